package openapi

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// finish applies the conventions every operation shares, after the parts are merged,
// so that a module's fragment cannot forget them and consumers' generated clients see
// what the server really does (API.md "Conventions"):
//
//   - every response declares X-Request-Id, and the rate-limit headers; successful
//     answers to POST, PATCH and DELETE declare Idempotent-Replayed, and those writes
//     list 409 (their Idempotency-Key still running, or its answer unreadable);
//   - every operation has a "default" problem response and lists the statuses the
//     shared middleware answers: 401 unless public, 400 (a bad Idempotency-Key) on
//     writes, 413 and 415 where there is a body, 429 everywhere;
//   - path ids named id or *_id are uuids; next_cursor is the Cursor the cursor
//     parameter takes;
//   - every error response is typed with the problem codes it can carry (see
//     problems.go);
//   - optional request properties carry no "default" (generated clients would make
//     them required); the default is kept in words in the description;
//   - operations without a description reuse their summary.
func finish(doc map[string]any) {
	comps := child(doc, "components")
	for _, name := range sortedKeys(child(comps, "parameters")) {
		p := child(child(comps, "parameters"), name)
		uuidPathParam(p)
	}
	for _, name := range sortedKeys(child(comps, "responses")) {
		addHeaders(child(child(comps, "responses"), name), false)
	}
	paths := child(doc, "paths")
	for _, path := range sortedKeys(paths) {
		item := child(paths, path)
		for _, p := range list(item["parameters"]) {
			uuidPathParam(asMap(p))
		}
		for _, method := range []string{"get", "put", "post", "patch", "delete"} {
			op := asMap(item[method])
			if op == nil {
				continue
			}
			finishOperation(doc, method, op)
		}
	}
	// next_cursor is the Cursor that the cursor parameter takes back.
	for _, name := range sortedKeys(child(comps, "schemas")) {
		cursorProperties(child(child(comps, "schemas"), name))
	}
	for _, name := range sortedKeys(child(comps, "requestBodies")) {
		stripDefaults(doc, child(child(comps, "requestBodies"), name), map[string]bool{})
	}
	pruneResponses(doc)
}

// pruneResponses drops the shared responses no operation refers to any more: each
// error response was copied into its operation to be typed with its codes.
func pruneResponses(doc map[string]any) {
	responses := child(child(doc, "components"), "responses")
	keep := map[string]any{}
	for k, v := range responses {
		keep[k] = v
	}
	delete(child(doc, "components"), "responses")
	b, err := json.Marshal(doc)
	child(doc, "components")["responses"] = keep
	if err != nil {
		return
	}
	for _, name := range sortedKeys(keep) {
		if !bytes.Contains(b, []byte(`"#/components/responses/`+name+`"`)) {
			delete(keep, name)
		}
	}
	if len(keep) == 0 {
		delete(child(doc, "components"), "responses")
	}
}

func finishOperation(doc map[string]any, method string, op map[string]any) {
	if s, _ := op["description"].(string); s == "" {
		if sum, _ := op["summary"].(string); sum != "" {
			op["description"] = sum + "."
		}
	}
	for _, p := range list(op["parameters"]) {
		uuidPathParam(asMap(p))
	}
	write := method != "get"
	responses := child(op, "responses")
	for _, r := range responses {
		for mt, m := range asMap(asMap(r)["content"]) {
			// An event stream's messages carry an Event as data; the extension names
			// the schema, as OpenAPI 3.1 has no place for it (3.2's itemSchema).
			if mt == "text/event-stream" && asMap(m) != nil && asMap(pointer(doc, "#/components/schemas/Event")) != nil {
				if _, has := asMap(m)["x-event-data"]; !has {
					asMap(m)["x-event-data"] = map[string]any{"$ref": "#/components/schemas/Event"}
				}
			}
		}
	}
	for code, r := range responses {
		rm := asMap(r)
		if _, isRef := rm["$ref"]; isRef {
			continue // a shared response: its headers are set on the component
		}
		ok := strings.HasPrefix(code, "2")
		addHeaders(rm, ok && write)
	}
	public := false
	if sec, has := op["security"]; has && len(list(sec)) == 0 {
		public = true
	}
	ensure := func(code, ref string) {
		if _, has := responses[code]; !has {
			responses[code] = map[string]any{"$ref": "#/components/responses/" + ref}
		}
	}
	if !public {
		ensure("401", "Unauthorized")
	}
	if write {
		ensure("400", "BadRequest")
		// A retry while the first request with its Idempotency-Key still runs.
		ensure("409", "Conflict")
	}
	if rb := asMap(op["requestBody"]); rb != nil {
		ensure("413", "PayloadTooLarge")
		ensure("415", "UnsupportedMediaType")
		stripDefaults(doc, rb, map[string]bool{})
	}
	ensure("429", "TooManyRequests")
	ensure("default", "Error")
	typeProblems(doc, op, opShape{write: write, public: public, body: op["requestBody"] != nil, cursor: takesCursor(doc, op)})
}

// takesCursor reports whether op has a cursor query parameter.
func takesCursor(doc map[string]any, op map[string]any) bool {
	for _, p := range list(op["parameters"]) {
		pm := asMap(p)
		if ref, ok := pm["$ref"].(string); ok {
			pm = pointer(doc, ref)
		}
		if pm["name"] == "cursor" && pm["in"] == "query" {
			return true
		}
	}
	return false
}

// cursorProperties makes every next_cursor property of s (and of its nested objects)
// the Cursor schema, null allowed where it was.
func cursorProperties(s map[string]any) {
	if s == nil {
		return
	}
	props := asMap(s["properties"])
	for _, name := range sortedKeys(props) {
		p := asMap(props[name])
		if name == "next_cursor" && p != nil {
			if _, ref := p["$ref"]; ref {
				continue
			}
			nullable := false
			for _, t := range list(p["type"]) {
				nullable = nullable || t == "null"
			}
			desc, _ := p["description"].(string)
			cursor := map[string]any{"$ref": "#/components/schemas/Cursor"}
			var next map[string]any
			if nullable {
				next = map[string]any{"anyOf": []any{cursor, map[string]any{"type": "null"}}}
			} else {
				next = cursor
			}
			if desc != "" {
				next["description"] = desc
			}
			props[name] = next
			continue
		}
		cursorProperties(p)
	}
}

// addHeaders declares the headers the server sends on every answer.
func addHeaders(resp map[string]any, replayable bool) {
	if resp == nil {
		return
	}
	h := child(resp, "headers")
	set := func(name, comp string) {
		if _, has := h[name]; !has {
			h[name] = map[string]any{"$ref": "#/components/headers/" + comp}
		}
	}
	set("X-Request-Id", "XRequestId")
	set("X-RateLimit-Limit", "XRateLimitLimit")
	set("X-RateLimit-Remaining", "XRateLimitRemaining")
	set("X-RateLimit-Reset", "XRateLimitReset")
	if replayable {
		set("Idempotent-Replayed", "IdempotentReplayed")
	}
}

// uuidPathParam marks a path parameter holding an id as a uuid.
func uuidPathParam(p map[string]any) {
	if p == nil || p["in"] != "path" {
		return
	}
	name, _ := p["name"].(string)
	if name != "id" && !strings.HasSuffix(name, "_id") {
		return
	}
	s := child(p, "schema")
	if _, ref := s["$ref"]; ref {
		return
	}
	if t, _ := s["type"].(string); t == "string" || t == "" {
		s["type"] = "string"
		s["format"] = "uuid"
	}
}

// stripDefaults removes "default" from optional properties of the request body's
// schemas (following local references), keeping the value in the description.
func stripDefaults(doc map[string]any, node map[string]any, seen map[string]bool) {
	for _, c := range child(node, "content") {
		walkSchema(doc, asMap(asMap(c)["schema"]), seen)
	}
}

func walkSchema(doc map[string]any, s map[string]any, seen map[string]bool) {
	if s == nil {
		return
	}
	if ref, ok := s["$ref"].(string); ok {
		if seen[ref] || !strings.HasPrefix(ref, "#/") {
			return
		}
		seen[ref] = true
		walkSchema(doc, pointer(doc, ref), seen)
		return
	}
	required := map[string]bool{}
	for _, r := range list(s["required"]) {
		if name, ok := r.(string); ok {
			required[name] = true
		}
	}
	props := asMap(s["properties"])
	for _, name := range sortedKeys(props) {
		p := asMap(props[name])
		if d, has := p["default"]; has && !required[name] {
			delete(p, "default")
			desc, _ := p["description"].(string)
			if !strings.Contains(strings.ToLower(desc), "default") {
				desc = strings.TrimSpace(desc + " Left out, it means " + literal(d) + ".")
				p["description"] = desc
			}
		}
		walkSchema(doc, p, seen)
	}
	walkSchema(doc, asMap(s["items"]), seen)
	for _, k := range []string{"allOf", "oneOf", "anyOf"} {
		for _, sub := range list(s[k]) {
			walkSchema(doc, asMap(sub), seen)
		}
	}
}

func literal(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return "the server's default"
}

func pointer(doc map[string]any, ref string) map[string]any {
	cur := doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		cur = asMap(cur[part])
		if cur == nil {
			return nil
		}
	}
	return cur
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func list(v any) []any           { l, _ := v.([]any); return l }

// child returns m[key] as an object, creating it when missing.
func child(m map[string]any, key string) map[string]any {
	if m == nil {
		return nil
	}
	c, ok := m[key].(map[string]any)
	if !ok {
		c = map[string]any{}
		m[key] = c
	}
	return c
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
