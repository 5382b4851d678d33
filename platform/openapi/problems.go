package openapi

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/kontor-app/kontor/platform/apperr"
)

// Problem codes per operation. Every error response of every operation is typed with
// the codes that operation can answer with that status, as an enum on the problem's
// code, so a generated client can switch on them (issue 10, "the OpenAPI document as
// consumers use it"). The codes come from three places:
//
//   - the shared middleware's codes for the status (a 400 can be bad_request or
//     invalid_parameter everywhere, malformed_json and unknown_field where a body
//     is read, invalid_cursor where a cursor is taken; a write can meet
//     idempotency_request_in_progress and idempotency_key_reused; ...);
//   - the codes the response's description names in snake_case, kept when the code
//     is registered with apperr under that very status, so the prose and the enum
//     cannot drift apart;
//   - an "x-problem-codes" object on the operation, status to a list of codes, for
//     codes the prose does not name or responses shared as components.
//
// A code whose details have a shape (a component schema carrying
// "x-problem-code": "<code>") gets its own variant, so the details are typed too.
// The "default" response lists the codes any request may meet whatever its
// operation, past the statuses the operation lists.

// defaultCodes are the codes any request may be answered with, whichever operation
// it addresses: the refusals of the shared stack before routing or outside the
// operation's own statuses, and the server's own failures.
var defaultCodes = []apperr.Code{
	apperr.BadRequest, apperr.InvalidParameter, apperr.MalformedJSON, apperr.UnknownField,
	apperr.Unauthenticated, apperr.InvalidToken, apperr.Forbidden, apperr.NotFound,
	apperr.MethodNotAllowed, apperr.PayloadTooLarge, apperr.URITooLong,
	apperr.UnsupportedMediaType, apperr.ValidationFailed, apperr.RateLimited,
	apperr.HeaderFieldsTooLarge, apperr.Internal, apperr.ServiceUnavailable,
}

// idempotencyResponseUnavailable is platform/idempotency's code for a retry whose
// stored answer was sealed with a secret key the server no longer holds.
const idempotencyResponseUnavailable apperr.Code = "idempotency_response_unavailable"

// opShape is what decides the shared middleware's codes for an operation.
type opShape struct {
	write, public, body, cursor bool
}

// sharedCodes are the codes the shared middleware answers with status for an
// operation of this shape.
func sharedCodes(status int, s opShape) []apperr.Code {
	var out []apperr.Code
	switch status {
	case 400:
		out = append(out, apperr.BadRequest, apperr.InvalidParameter)
		if s.body || s.write {
			out = append(out, apperr.MalformedJSON, apperr.UnknownField)
		}
		if s.cursor {
			out = append(out, apperr.InvalidCursor)
		}
	case 401:
		if !s.public {
			out = append(out, apperr.Unauthenticated, apperr.InvalidToken)
		}
	case 403:
		out = append(out, apperr.Forbidden)
	case 404:
		out = append(out, apperr.NotFound)
	case 406:
		out = append(out, apperr.NotAcceptable)
	case 409:
		if s.write {
			out = append(out, apperr.IdempotencyInProgress, idempotencyResponseUnavailable)
		}
	case 412:
		out = append(out, apperr.PreconditionFailed)
	case 413:
		out = append(out, apperr.PayloadTooLarge)
	case 415:
		out = append(out, apperr.UnsupportedMediaType)
	case 422:
		out = append(out, apperr.ValidationFailed)
		if s.write {
			out = append(out, apperr.IdempotencyKeyReused)
		}
	case 428:
		out = append(out, apperr.PreconditionRequired)
	case 429:
		out = append(out, apperr.RateLimited)
	case 503:
		out = append(out, apperr.ServiceUnavailable)
	}
	return out
}

var codeWord = regexp.MustCompile(`[a-z][a-z0-9]*(?:_[a-z0-9]+)*`)

// namedCodes returns the registered codes of status that text names.
func namedCodes(text string, status int) []apperr.Code {
	var out []apperr.Code
	for _, w := range codeWord.FindAllString(text, -1) {
		c := apperr.Code(w)
		if apperr.Status(c) == status && (status != 500 || c == apperr.Internal) && known(c) {
			out = append(out, c)
		}
	}
	return out
}

// known reports whether c is a platform code or one a module registered.
func known(c apperr.Code) bool {
	return apperr.Status(c) != 500 || c == apperr.Internal
}

// typeProblems replaces each error response of op with one typed by its codes.
func typeProblems(doc map[string]any, op map[string]any, s opShape) {
	responses := child(op, "responses")
	extra := asMap(op["x-problem-codes"])
	delete(op, "x-problem-codes")
	for _, code := range sortedKeys(responses) {
		if strings.HasPrefix(code, "2") || strings.HasPrefix(code, "3") {
			continue
		}
		resp := asMap(responses[code])
		shared := false
		if ref, ok := resp["$ref"].(string); ok {
			// A shared component's prose is generic: only the operation's own
			// responses name its codes.
			resp, shared = copyMap(pointer(doc, ref)), true
		} else {
			resp = copyMap(resp)
		}
		if resp == nil || asMap(asMap(resp["content"])["application/problem+json"]) == nil {
			continue
		}
		var codes []apperr.Code
		if code == "default" {
			codes = defaultCodes
		} else {
			status, err := strconv.Atoi(code)
			if err != nil {
				continue
			}
			codes = append(codes, sharedCodes(status, s)...)
			if desc, _ := resp["description"].(string); !shared {
				codes = append(codes, namedCodes(desc, status)...)
			}
			for _, c := range list(extra[code]) {
				if name, ok := c.(string); ok && apperr.Status(apperr.Code(name)) == status {
					codes = append(codes, apperr.Code(name))
				}
			}
		}
		codes = uniqueCodes(codes)
		if len(codes) == 0 {
			continue
		}
		content := map[string]any{"schema": problemSchema(doc, codes)}
		resp["content"] = map[string]any{"application/problem+json": content}
		responses[code] = resp
	}
}

// problemSchema is the Problem with code limited to codes; a code with a details
// schema gets a variant of its own.
func problemSchema(doc map[string]any, codes []apperr.Code) map[string]any {
	detailed := detailSchemas(doc)
	var variants []any
	var plain []any
	for _, c := range codes {
		if name, ok := detailed[string(c)]; ok {
			variants = append(variants, map[string]any{"$ref": "#/components/schemas/" + variantSchema(doc, string(c), name)})
			continue
		}
		plain = append(plain, string(c))
	}
	restrict := func(enum []any) map[string]any {
		return map[string]any{"allOf": []any{
			map[string]any{"$ref": "#/components/schemas/Problem"},
			map[string]any{"type": "object", "required": []any{"code"}, "properties": map[string]any{
				"code": map[string]any{"type": "string", "enum": enum},
			}},
		}}
	}
	if len(variants) == 0 {
		return restrict(plain)
	}
	if len(plain) > 0 {
		variants = append(variants, restrict(plain))
	}
	if len(variants) == 1 {
		return asMap(variants[0])
	}
	return map[string]any{"oneOf": variants}
}

// detailSchemas maps a code to the component schema of its details.
func detailSchemas(doc map[string]any) map[string]string {
	out := map[string]string{}
	schemas := child(child(doc, "components"), "schemas")
	for _, name := range sortedKeys(schemas) {
		if c, ok := asMap(schemas[name])["x-problem-code"].(string); ok {
			out[c] = name
		}
	}
	return out
}

// variantSchema adds (once) and names the problem schema of a code with details.
func variantSchema(doc map[string]any, code, details string) string {
	name := camel(code) + "Problem"
	schemas := child(child(doc, "components"), "schemas")
	if _, has := schemas[name]; !has {
		schemas[name] = map[string]any{
			"description": "The problem answered with code " + code + ", with its details.",
			"allOf": []any{
				map[string]any{"$ref": "#/components/schemas/Problem"},
				map[string]any{"type": "object", "required": []any{"code", "details"}, "properties": map[string]any{
					"code":    map[string]any{"type": "string", "enum": []any{code}},
					"details": map[string]any{"$ref": "#/components/schemas/" + details},
				}},
			},
		}
	}
	return name
}

func camel(code string) string {
	var b strings.Builder
	for _, part := range strings.Split(code, "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

func uniqueCodes(in []apperr.Code) []apperr.Code {
	seen := map[apperr.Code]bool{}
	var out []apperr.Code
	for _, c := range in {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// copyMap is a shallow copy; the response's headers are copied one level deeper,
// as finish adds to them.
func copyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	if h := asMap(out["headers"]); h != nil {
		hc := make(map[string]any, len(h))
		for k, v := range h {
			hc[k] = v
		}
		out["headers"] = hc
	}
	return out
}
