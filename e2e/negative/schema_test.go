package negative

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// spec is the served OpenAPI document as generic JSON, with local $ref resolution.
type spec struct{ root map[string]any }

// operation is one documented method on one path.
type operation struct {
	Method, Path string
	Op           map[string]any
	Params       []map[string]any // path-level and operation-level, resolved
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

// resolve follows a local $ref (repeatedly) and returns the referenced object.
func (s *spec) resolve(v any) map[string]any {
	m := obj(v)
	for i := 0; m != nil && i < 16; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		m = s.pointer(ref)
	}
	return m
}

func (s *spec) pointer(ref string) map[string]any {
	cur := any(s.root)
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		cur = obj(cur)[part]
	}
	return obj(cur)
}

// refName is the last segment of v's $ref, or "".
func refName(v any) string {
	ref, _ := obj(v)["$ref"].(string)
	return ref[strings.LastIndex(ref, "/")+1:]
}

// operations lists every operation in a stable order.
func (s *spec) operations() []operation {
	var ops []operation
	paths := obj(s.root["paths"])
	for path, item := range paths {
		it := obj(item)
		var common []map[string]any
		for _, p := range asList(it["parameters"]) {
			common = append(common, s.resolve(p))
		}
		for method, op := range it {
			switch method {
			case "get", "post", "put", "patch", "delete":
			default:
				continue
			}
			o := operation{Method: strings.ToUpper(method), Path: path, Op: obj(op)}
			o.Params = append(o.Params, common...)
			for _, p := range asList(o.Op["parameters"]) {
				o.Params = append(o.Params, s.resolve(p))
			}
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	return ops
}

func asList(v any) []any { l, _ := v.([]any); return l }

// public reports whether the operation needs no credentials.
func (o operation) public() bool {
	sec, ok := o.Op["security"]
	return ok && len(asList(sec)) == 0
}

// statuses are the response codes the operation documents.
func (o operation) statuses() map[string]bool {
	out := map[string]bool{}
	for code := range obj(o.Op["responses"]) {
		out[code] = true
	}
	return out
}

// bodyMedia returns the request body's media types and the JSON schema, if any.
func (s *spec) body(o operation) (media []string, schema map[string]any, schemaRef any) {
	rb := s.resolve(o.Op["requestBody"])
	for mt, c := range obj(rb["content"]) {
		media = append(media, mt)
		if mt == "application/json" {
			schemaRef = obj(c)["schema"]
			schema = s.resolve(schemaRef)
		}
	}
	sort.Strings(media)
	return media, schema, schemaRef
}

// streams reports whether a success answer is an event stream (never read to the end).
func (o operation) streams() bool {
	for _, r := range obj(o.Op["responses"]) {
		if _, ok := obj(obj(r)["content"])["text/event-stream"]; ok {
			return true
		}
	}
	return false
}

// types returns the JSON types a schema allows ("string", "null", ...).
func types(schema map[string]any) []string {
	switch t := schema["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func hasType(schema map[string]any, t string) bool {
	for _, x := range types(schema) {
		if x == t {
			return true
		}
	}
	return false
}

// mainType is the first non-null type.
func mainType(schema map[string]any) string {
	for _, t := range types(schema) {
		if t != "null" {
			return t
		}
	}
	if _, ok := schema["properties"]; ok {
		return "object"
	}
	return ""
}

// isMoney says whether a property takes a money amount.
func isMoney(prop any, schema map[string]any) bool {
	switch refName(prop) {
	case "Money", "MoneyInput":
		return true
	}
	if f, _ := schema["format"].(string); f == "decimal" {
		return true
	}
	_, oneOf := schema["oneOf"]
	return oneOf && strings.Contains(strings.ToLower(asString(schema["description"])), "decimal")
}

func asString(v any) string { s, _ := v.(string); return s }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// problemCodes returns the codes the document allows in the problem o answers with
// status (its own response for that status, else its default), and false when that
// response does not type its codes.
func (s *spec) problemCodes(o operation, status int) (map[string]bool, bool) {
	responses := obj(o.Op["responses"])
	r, has := responses[strconv.Itoa(status)]
	if !has {
		r = responses["default"]
	}
	schema := obj(obj(obj(s.resolve(r)["content"])["application/problem+json"])["schema"])
	codes := map[string]bool{}
	s.collectCodes(schema, codes, 0)
	return codes, len(codes) > 0
}

func (s *spec) collectCodes(v map[string]any, codes map[string]bool, depth int) {
	v = s.resolve(v)
	if v == nil || depth > 8 {
		return
	}
	for _, c := range asList(obj(obj(v["properties"])["code"])["enum"]) {
		codes[asString(c)] = true
	}
	for _, k := range []string{"allOf", "oneOf", "anyOf"} {
		for _, sub := range asList(v[k]) {
			s.collectCodes(obj(sub), codes, depth+1)
		}
	}
}
