package negative

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/httpserver"
)

// member is one raw member of a JSON object, so that bodies may hold what
// encoding/json would never write (duplicate keys, invalid UTF-8).
type member struct {
	key string
	raw []byte
}

func encodeObject(ms []member) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(mustJSON(m.key))
		b.WriteByte(':')
		b.Write(m.raw)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// with returns base with key set to raw (replacing or appending).
func with(base []member, key string, raw []byte) []member {
	out := make([]member, 0, len(base)+1)
	found := false
	for _, m := range base {
		if m.key == key {
			m.raw, found = raw, true
		}
		out = append(out, m)
	}
	if !found {
		out = append(out, member{key, raw})
	}
	return out
}

// resourceID returns the id the suite's user owns (own) or another user owns for a
// path, judged by its first segment.
func (s *suite) resourceID(path string, own bool) (uuid.UUID, bool) {
	switch {
	case strings.HasPrefix(path, "/accounts/"):
		if own {
			return s.fx.account, true
		}
		return s.fx.otherAccount, true
	case strings.HasPrefix(path, "/connections/"), strings.HasPrefix(path, "/providers/"):
		if own {
			return s.fx.connection, true
		}
		return s.fx.otherConnection, true
	}
	return uuid.UUID{}, false
}

// fill puts values into the path template: overrides by parameter name, else id.
func fill(path string, id string, overrides map[string]string) string {
	for {
		i := strings.Index(path, "{")
		if i < 0 {
			return path
		}
		j := strings.Index(path[i:], "}") + i
		name := path[i+1 : j]
		v, ok := overrides[name]
		if !ok {
			v = id
		}
		path = path[:i] + v + path[j+1:]
	}
}

// value is a plausible valid value for a property, used to build a base body in
// which each case changes one thing.
func (s *suite) value(name string, prop any, depth int) any {
	sc := s.spec.resolve(prop)
	if isMoney(prop, sc) {
		return "1.00"
	}
	for _, e := range asList(sc["enum"]) {
		if e != nil {
			return e
		}
	}
	switch asString(sc["format"]) {
	case "uuid":
		switch {
		case strings.Contains(name, "connection"):
			return s.fx.connection.String()
		case strings.Contains(name, "account"):
			return s.fx.account.String()
		}
		return uuid.NewString()
	case "date":
		return "2026-01-15"
	case "date-time":
		return "2026-01-15T10:00:00Z"
	case "email":
		return "neg-" + uuid.NewString()[:8] + "@example.com"
	}
	switch mainType(sc) {
	case "string":
		switch {
		case name == "currency":
			return "USD"
		case name == "password":
			return "correct horse battery staple"
		case name == "provider":
			return "ofx"
		}
		n := 3
		if ml, ok := sc["minLength"].(float64); ok && int(ml) > n {
			n = int(ml)
		}
		return strings.Repeat("n", n)
	case "integer", "number":
		if m, ok := sc["minimum"].(float64); ok {
			return m
		}
		return 60
	case "boolean":
		return false
	case "array":
		return []any{}
	case "object":
		if depth > 3 {
			return map[string]any{}
		}
		out := map[string]any{}
		for _, r := range asList(sc["required"]) {
			k := asString(r)
			out[k] = s.value(k, obj(sc["properties"])[k], depth+1)
		}
		return out
	}
	return "n"
}

// baseBody is the operation's JSON body with every required property valid.
func (s *suite) baseBody(schema map[string]any) []member {
	var ms []member
	req := asList(schema["required"])
	names := make([]string, 0, len(req))
	for _, r := range req {
		names = append(names, asString(r))
	}
	sort.Strings(names)
	for _, k := range names {
		ms = append(ms, member{k, mustJSON(s.value(k, obj(schema["properties"])[k], 1))})
	}
	return ms
}

// cases derives the hostile requests for one operation from its schema.
func (s *suite) cases(op operation) []tcase {
	media, schema, _ := s.spec.body(op)
	hasBody := len(media) > 0
	isJSON := schema != nil
	safe := op.Method == http.MethodGet
	// A request that would be valid must never be sent to an operation that changes
	// state, so bodiless writes aim at an id nobody owns.
	ownID, hasOwn := s.resourceID(op.Path, true)
	baseID := uuid.NewString()
	if hasOwn && (safe || hasBody) {
		baseID = ownID.String()
	}
	basePath := fill(op.Path, baseID, nil)
	var base []member
	var baseRaw []byte
	var jsonCT = [2]string{"Content-Type", "application/json"}
	var baseHeaders [][2]string
	if isJSON {
		base = s.baseBody(schema)
		baseRaw = encodeObject(base)
		baseHeaders = [][2]string{jsonCT}
	}
	var out []tcase
	add := func(tc tcase) {
		if tc.method == "" {
			tc.method = op.Method
		}
		if tc.target == "" {
			tc.target = basePath
		}
		if tc.body == nil && tc.headers == nil && isJSON {
			tc.body, tc.headers = baseRaw, baseHeaders
		}
		out = append(out, tc)
	}
	bodyCase := func(name string, body []byte, headers ...[2]string) {
		if headers == nil {
			headers = baseHeaders
		}
		add(tcase{name: name, body: body, headers: headers})
	}

	// Credentials.
	if !op.public() {
		add(tcase{name: "no-credentials", noAuth: true})
		add(tcase{name: "garbage-token", token: "garbage"})
		add(tcase{name: "unknown-api-key", token: "kontor_" + strings.Repeat("0", 40)})
		add(tcase{name: "alg-none-jwt", token: "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIwMTkwYzVhOC0xZDJlLTdmMDAtODAwMC0wMDAwMDAwMDAwMDEifQ."})
		add(tcase{name: "huge-token", token: strings.Repeat("A", 6000)})
	}

	// Path ids.
	if strings.Contains(op.Path, "{") {
		for name, bad := range badUUIDs {
			add(tcase{name: "path-" + name, target: fill(op.Path, bad, nil)})
		}
		if other, ok := s.resourceID(op.Path, false); ok {
			add(tcase{name: "path-other-users-id", target: fill(op.Path, other.String(), nil)})
		}
		if hasOwn && safe {
			add(tcase{name: "path-upper-case-id", target: fill(op.Path, strings.ToUpper(ownID.String()), nil)})
		}
	}

	// Query parameters.
	for _, p := range op.Params {
		if asString(p["in"]) != "query" {
			continue
		}
		name := asString(p["name"])
		sc := s.spec.resolve(p["schema"])
		if mainType(sc) == "array" {
			sc = s.spec.resolve(sc["items"])
		}
		q := func(caseName, raw string) {
			add(tcase{name: "query-" + name + "-" + caseName, target: basePath + "?" + url.QueryEscape(name) + "=" + raw, mayAccept: safe})
		}
		for cn, raw := range map[string]string{
			"nul": "a%00b", "control": "a%07b", "invalid-utf8": "%FF%FE", "sql": url.QueryEscape("' OR 1=1 --"),
			"html": url.QueryEscape("<script>alert(1)</script>"), "huge-number": "1e400", "long-digits": strings.Repeat("9", 400),
			"fraction-19": "0.0000000000000000001", "empty": "", "long": strings.Repeat("x", 3000),
		} {
			q(cn, raw)
		}
		add(tcase{name: "query-" + name + "-duplicate", target: basePath + "?" + name + "=1&" + name + "=2", mayAccept: safe})
		switch {
		case name == "cursor":
			for cn, raw := range badCursors {
				q(cn, raw)
			}
		case name == "limit":
			for _, raw := range []string{"0", "-1", "201", "1.5", "abc", "99999999999999999999"} {
				q(raw, raw)
			}
		}
		switch mainType(sc) {
		case "integer", "number":
			q("not-a-number", "abc")
		case "boolean":
			q("not-a-boolean", "maybe")
		}
		switch asString(sc["format"]) {
		case "uuid":
			q("bad-uuid", "not-a-uuid")
		case "date", "date-time":
			q("bad-date", "2026-02-30")
			q("year-0", "0000-01-01")
		}
		if len(asList(sc["enum"])) > 0 {
			q("not-in-enum", "zz_not_in_enum")
		}
	}

	// Heads and URLs.
	// Heads past the server's read buffer, but small enough to fit the socket's
	// buffers: the whole request is written before the server refuses it, so the
	// refusal is read rather than lost to a reset connection.
	over := httpserver.ReadBufferSize + 4<<10
	add(tcase{name: "oversized-header", headers: append([][2]string{{"X-Oversized", strings.Repeat("h", over)}}, baseHeaders...)})
	add(tcase{name: "many-headers", headers: append(manyHeaders(over/100), baseHeaders...)})
	add(tcase{name: "oversized-url", target: basePath + "?zz=" + strings.Repeat("u", over)})
	if !safe {
		add(tcase{name: "idempotency-key-too-long", headers: append([][2]string{{"Idempotency-Key", strings.Repeat("k", 256)}}, baseHeaders...)})
		add(tcase{name: "idempotency-key-non-ascii", headers: append([][2]string{{"Idempotency-Key", "ключ-é"}}, baseHeaders...)})
	}
	if op.Method == http.MethodPatch {
		add(tcase{name: "if-match-garbage", headers: append([][2]string{{"If-Match", `"garbage"`}}, baseHeaders...)})
	}

	if !hasBody {
		if !safe {
			// A body on a bodiless write (still aimed at an unknown id).
			add(tcase{name: "unexpected-body", body: []byte(`{"zz":1}`), headers: [][2]string{jsonCT}})
		}
		return out
	}

	// Content types.
	if isJSON {
		for cn, ct := range map[string]string{"none": "", "text-plain": "text/plain", "xml": "application/xml",
			"form": "application/x-www-form-urlencoded", "multipart": "multipart/form-data; boundary=x", "garbage": ";;;"} {
			h := [][2]string{}
			if ct != "" {
				h = append(h, [2]string{"Content-Type", ct})
			}
			bodyCase("content-type-"+cn, baseRaw, h...)
		}
	} else {
		bodyCase("content-type-json", []byte(`{"file":"x"}`), jsonCT)
		bodyCase("content-type-none", []byte("OFXHEADER:100"), [2]string{"X-None", "1"})
		bodyCase("multipart-garbage-file", multipart("file", "x.ofx", []byte("<OFX>\x00'; DROP TABLE transactions; --")), [2]string{"Content-Type", "multipart/form-data; boundary=negbound"})
		bodyCase("multipart-no-file", multipart("other", "x.ofx", []byte("x")), [2]string{"Content-Type", "multipart/form-data; boundary=negbound"})
		bodyCase("multipart-broken", []byte("--negbound\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc"), [2]string{"Content-Type", "multipart/form-data; boundary=negbound"})
		// Past the server's 10 MiB body limit. Expect: 100-continue lets the server
		// refuse before the body is sent, so its answer is read rather than lost to a
		// connection it closes mid-upload.
		bodyCase("multipart-oversized", multipart("file", "big.ofx", bytes.Repeat([]byte("A"), 11<<20)),
			[2]string{"Content-Type", "multipart/form-data; boundary=negbound"}, [2]string{"Expect", "100-continue"})
		return out
	}

	// Whole-body malformations.
	for cn, b := range map[string]string{
		"empty": "", "whitespace": "  \n", "truncated": `{"a":`, "array": `[]`, "null": `null`, "string": `"x"`, "number": `1`,
		"two-values": string(baseRaw) + " {}", "trailing-garbage": string(baseRaw) + "x", "invalid-utf8": "{\"\xff\xfe\":1}",
		"lone-surrogate": `{"a":"\ud800"}`, "bom": "\ufeff" + string(baseRaw),
		"single-quotes": `{'a':1}`, "comment": `{/* c */}`, "nan": `{"a":NaN}`,
	} {
		bodyCase("body-"+cn, []byte(b))
	}
	if op.Path == "/auth/register" {
		// The JSON decoder is shared by every route: one body nested far past
		// the decoder's depth bound, which must answer 400.
		bodyCase("body-deep-nesting", []byte(strings.Repeat("[", 10001)))
	}
	bodyCase("body-unknown-field", encodeObject(with(base, "zz_unknown", []byte(`1`))))
	bodyCase("body-oversized", encodeObject(with(base, "zz_pad", mustJSON(strings.Repeat("p", 1<<20)))))
	if len(base) > 0 {
		first := base[0]
		bodyCase("body-duplicate-key", encodeObject(append(append([]member{}, base...), first)))
		up := append([]member{}, base...)
		up[0].key = strings.ToUpper(first.key[:1]) + first.key[1:]
		bodyCase("body-case-variant-key", encodeObject(up))
		up2 := append(append([]member{}, base...), member{strings.ToUpper(first.key), first.raw})
		bodyCase("body-case-variant-duplicate", encodeObject(up2))
	}

	// Each property.
	props := obj(schema["properties"])
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		prop := props[name]
		sc := s.spec.resolve(prop)
		pc := func(cn string, raw []byte) {
			bodyCase("prop-"+name+"-"+cn, encodeObject(with(base, name, raw)))
		}
		if op.Path == "/auth/logout" && name == "refresh_token" {
			// Logging out is idempotent: any well-formed string answers 204 and
			// changes nothing, so only its JSON type can be wrong.
			pc = func(cn string, raw []byte) {
				add(tcase{name: "prop-" + name + "-" + cn, body: encodeObject(with(base, name, raw)), headers: baseHeaders, mayAccept: true})
			}
		}
		money := isMoney(prop, sc)
		typ := mainType(sc)
		switch {
		case money:
			pc("fraction-19", []byte(`"0.0000000000000000001"`))
			pc("fraction-19-number", []byte(`0.0000000000000000001`))
			pc("huge", []byte(`"1e400"`))
			pc("huge-number", []byte(`1e400`))
			pc("too-many-digits", []byte(`"`+strings.Repeat("9", 60)+`"`))
			pc("not-a-number", []byte(`"12,50"`))
			pc("nan", []byte(`"NaN"`))
			pc("infinity", []byte(`"Infinity"`))
			pc("hex", []byte(`"0x10"`))
			pc("bool", []byte(`true`))
			pc("object", []byte(`{"value":"1.00"}`))
			pc("nul", mustJSON("1.00\x00"))
		case typ == "string":
			pc("wrong-type-number", []byte(`12345`))
			pc("wrong-type-bool", []byte(`true`))
			pc("wrong-type-object", []byte(`{"a":"b"}`))
			pc("wrong-type-array", []byte(`["a"]`))
			for cn, v := range badText {
				pc(cn, mustJSON(v))
			}
			pc("invalid-utf8", []byte("\"a\xffb\""))
			pc("escaped-nul", []byte(`"a\u0000b"`))
			if ml, ok := sc["maxLength"].(float64); ok {
				pc("over-max-length", mustJSON(strings.Repeat("m", int(ml)+1)))
			}
			if len(asList(sc["enum"])) > 0 {
				pc("not-in-enum", []byte(`"zz_not_in_enum"`))
				if e := asString(asList(sc["enum"])[0]); e != "" {
					pc("enum-upper-case", mustJSON(strings.ToUpper(e)+"_X"))
				}
			}
			switch asString(sc["format"]) {
			case "uuid":
				pc("bad-uuid", []byte(`"not-a-uuid"`))
				pc("unknown-uuid", []byte(`"0190c5a8-1d2e-7f00-8000-000000000001"`))
				if other, ok := s.resourceID("/"+strings.TrimSuffix(name, "_id")+"s/", false); ok {
					pc("other-users-id", mustJSON(other.String()))
				}
			case "date", "date-time":
				pc("bad-date", []byte(`"2026-02-30"`))
				pc("year-0", []byte(`"0000-01-01"`))
				pc("year-99999", []byte(`"99999-01-01T00:00:00Z"`))
			case "email":
				pc("bad-email", []byte(`"not an email"`))
			case "", "password":
				if len(asList(sc["enum"])) == 0 && name != "provider" && name != "currency" {
					for i, h := range hostileText {
						tc := tcase{name: fmt.Sprintf("prop-%s-hostile-%d", name, i), body: encodeObject(with(base, name, mustJSON(h))),
							headers: baseHeaders, mayAccept: true}
						if name != "password" && name != "state" && name != "refresh_token" && name != "code" {
							tc.echo = h
						}
						add(tc)
					}
				}
			}
		case typ == "integer" || typ == "number":
			pc("wrong-type-string", []byte(`"12"`))
			pc("huge", []byte(`1e400`))
			pc("long-digits", []byte(strings.Repeat("9", 40)))
			pc("fraction", []byte(`1.5`))
			pc("negative", []byte(`-99999999999`))
			pc("bool", []byte(`false`))
		case typ == "boolean":
			pc("wrong-type-string", []byte(`"true"`))
			pc("wrong-type-number", []byte(`1`))
		case typ == "array":
			pc("wrong-type-object", []byte(`{}`))
			pc("wrong-type-string", []byte(`"x"`))
			item := s.spec.resolve(sc["items"])
			if mainType(item) == "object" {
				elem := map[string]any{}
				if v, ok := s.value(name, sc["items"], 1).(map[string]any); ok {
					elem = v
				}
				elem["zz_unknown_nested"] = 1
				pc("unknown-nested-field", mustJSON([]any{elem}))
				pc("nested-nul", mustJSON([]any{map[string]any{"label": "a\x00", "value": "b"}}))
			}
			pc("huge-array", mustJSON(make([]int, 200000)))
		case typ == "object":
			pc("wrong-type-string", []byte(`"x"`))
			pc("wrong-type-array", []byte(`[]`))
			if ap, ok := sc["additionalProperties"]; ok && ap != false {
				pc("nested-key-nul", []byte(`{"a\u0000":"b"}`))
				pc("nested-value-nul", []byte(`{"a":"b\u0000"}`))
				pc("nested-duplicate-key", []byte(`{"a":"1","a":"2"}`))
				pc("nested-wrong-value-type", []byte(`{"a":{"b":1}}`))
			} else {
				pc("unknown-nested-field", []byte(`{"zz_unknown_nested":1}`))
			}
		}
	}
	return out
}

func manyHeaders(n int) [][2]string {
	out := make([][2]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, [2]string{fmt.Sprintf("X-Neg-%d", i), strings.Repeat("v", 100)})
	}
	return out
}

func multipart(field, filename string, content []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "--negbound\r\nContent-Disposition: form-data; name=%q; filename=%q\r\nContent-Type: application/octet-stream\r\n\r\n", field, filename)
	b.Write(content)
	b.WriteString("\r\n--negbound--\r\n")
	return b.Bytes()
}

// extra is a case that belongs to a path rather than to one of its operations.
type extra struct {
	op operation
	tc tcase
}

// methodCases send each path a method it does not document.
func (s *suite) methodCases() []extra {
	byPath := map[string]map[string]bool{}
	for _, op := range s.spec.operations() {
		if byPath[op.Path] == nil {
			byPath[op.Path] = map[string]bool{}
		}
		byPath[op.Path][op.Method] = true
	}
	var out []extra
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		methods := []string{http.MethodPut, http.MethodPatch, http.MethodDelete}
		if p == "/me" {
			// A method Fiber does not know at all; once is enough.
			methods = append(methods, "PROPFIND")
		}
		for _, m := range methods {
			if byPath[p][m] {
				continue
			}
			op := operation{Method: m, Path: p, Op: map[string]any{"responses": map[string]any{}}}
			out = append(out, extra{op, tcase{name: "undocumented-method", method: m, target: fill(p, uuid.NewString(), nil),
				body: []byte(`{}`), headers: [][2]string{{"Content-Type", "application/json"}}}})
		}
	}
	return out
}

var _ = json.Valid
