package openapi

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/platform/httpserver"
)

// Operation is one endpoint as the reference page shows it.
type Operation struct {
	Method      string
	Path        string
	Anchor      string
	Summary     string
	Description string
	Public      bool
	Parameters  []Parameter
	RequestBody string
	Responses   []Response
}

// Parameter is one documented parameter.
type Parameter struct {
	Name, In, Type, Description string
	Required                    bool
}

// Response is one documented response.
type Response struct {
	Status, Description, Schema string
}

// Section groups the operations of one tag.
type Section struct {
	Tag         string
	Description string
	Operations  []Operation
}

var methodOrder = map[string]int{"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}

// Sections turns the document into the reference page's sections, in tag order.
func (d *Document) Sections() []Section {
	paths, _ := d.Parsed["paths"].(map[string]any)
	byTag := map[string]*Section{}
	var order []string
	if tags, ok := d.Parsed["tags"].([]any); ok {
		for _, t := range tags {
			tm, _ := t.(map[string]any)
			name, _ := tm["name"].(string)
			desc, _ := tm["description"].(string)
			if name != "" && byTag[name] == nil {
				byTag[name] = &Section{Tag: name, Description: desc}
				order = append(order, name)
			}
		}
	}
	pathKeys := make([]string, 0, len(paths))
	for p := range paths {
		pathKeys = append(pathKeys, p)
	}
	sort.Strings(pathKeys)
	for _, p := range pathKeys {
		item, _ := paths[p].(map[string]any)
		methods := make([]string, 0, len(item))
		for m := range item {
			if _, ok := methodOrder[m]; ok {
				methods = append(methods, m)
			}
		}
		sort.Slice(methods, func(i, j int) bool { return methodOrder[methods[i]] < methodOrder[methods[j]] })
		for _, m := range methods {
			op, _ := item[m].(map[string]any)
			o := Operation{Method: strings.ToUpper(m), Path: p, Summary: str(op["summary"]), Description: str(op["description"])}
			o.Anchor = strings.ToLower(o.Method) + strings.NewReplacer("/", "-", "{", "", "}", "").Replace(p)
			if sec, ok := op["security"].([]any); ok && len(sec) == 0 {
				o.Public = true
			}
			for _, raw := range append(asList(item["parameters"]), asList(op["parameters"])...) {
				pm := d.resolve(raw)
				o.Parameters = append(o.Parameters, Parameter{
					Name: str(pm["name"]), In: str(pm["in"]), Description: str(pm["description"]),
					Required: pm["required"] == true, Type: schemaName(pm["schema"]),
				})
			}
			if rb, ok := op["requestBody"].(map[string]any); ok {
				o.RequestBody = contentSchema(rb)
			}
			if rs, ok := op["responses"].(map[string]any); ok {
				codes := make([]string, 0, len(rs))
				for code := range rs {
					codes = append(codes, code)
				}
				sort.Strings(codes)
				for _, code := range codes {
					r := d.resolve(rs[code])
					o.Responses = append(o.Responses, Response{Status: code, Description: str(r["description"]), Schema: contentSchema(r)})
				}
			}
			tag := "Other"
			if tags := asList(op["tags"]); len(tags) > 0 {
				tag = str(tags[0])
			}
			if byTag[tag] == nil {
				byTag[tag] = &Section{Tag: tag}
				order = append(order, tag)
			}
			byTag[tag].Operations = append(byTag[tag].Operations, o)
		}
	}
	out := make([]Section, 0, len(order))
	for _, t := range order {
		if len(byTag[t].Operations) > 0 {
			out = append(out, *byTag[t])
		}
	}
	return out
}

// resolve follows a local $ref once.
func (d *Document) resolve(v any) map[string]any {
	m, _ := v.(map[string]any)
	ref, ok := m["$ref"].(string)
	if !ok {
		return m
	}
	cur := any(d.Parsed)
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		cm, _ := cur.(map[string]any)
		cur = cm[part]
	}
	out, _ := cur.(map[string]any)
	return out
}

func contentSchema(v map[string]any) string {
	content, _ := v["content"].(map[string]any)
	for _, ct := range []string{"application/json", "application/problem+json", "multipart/form-data", "text/csv", "application/pdf", "text/event-stream"} {
		if c, ok := content[ct].(map[string]any); ok {
			return ct + ": " + schemaName(c["schema"])
		}
	}
	return ""
}

// schemaName names a schema briefly: its $ref name, or its type.
func schemaName(v any) string {
	m, _ := v.(map[string]any)
	if m == nil {
		return ""
	}
	if ref, ok := m["$ref"].(string); ok {
		return ref[strings.LastIndex(ref, "/")+1:]
	}
	if t, ok := m["type"].(string); ok {
		if t == "array" {
			return "array of " + schemaName(m["items"])
		}
		if enum := asList(m["enum"]); len(enum) > 0 {
			parts := make([]string, len(enum))
			for i, e := range enum {
				b, _ := json.Marshal(e)
				parts[i] = string(b)
			}
			return t + " (" + strings.Join(parts, ", ") + ")"
		}
		if f := str(m["format"]); f != "" {
			return t + " (" + f + ")"
		}
		return t
	}
	if ts := asList(m["type"]); len(ts) > 0 {
		parts := make([]string, len(ts))
		for i, t := range ts {
			parts[i] = str(t)
		}
		return strings.Join(parts, " or ")
	}
	if all := asList(m["allOf"]); len(all) > 0 {
		// A problem typed by its codes: the base schema and the codes it may carry.
		name := schemaName(all[0])
		for _, part := range all[1:] {
			props, _ := asMap(part)["properties"].(map[string]any)
			if enum := asList(asMap(props["code"])["enum"]); len(enum) > 0 {
				codes := make([]string, len(enum))
				for i, e := range enum {
					codes[i] = str(e)
				}
				name += " (code " + strings.Join(codes, ", ") + ")"
			}
		}
		return name
	}
	if one := asList(m["oneOf"]); len(one) > 0 {
		parts := make([]string, len(one))
		for i, s := range one {
			parts[i] = schemaName(s)
		}
		return strings.Join(parts, " or ")
	}
	return "object"
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

type routes struct{ doc *Document }

// NewRoutes serves the document; its reference page at /docs is the UI shell's
// (web/apidocs).
func NewRoutes(doc *Document) httpserver.Routes { return routes{doc: doc} }

// Register adds GET /api/v1/openapi.json.
func (r routes) Register(rt *httpserver.Router) {
	rt.Raw(fiber.MethodGet, "/api/v1/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "application/json")
		c.Set(fiber.HeaderCacheControl, "no-cache")
		return c.Send(r.doc.JSON)
	})
}
