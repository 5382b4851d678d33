package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/kontor-app/kontor/e2e/harness"
)

// contract is the OpenAPI document an instance serves, loaded and validated, with a
// router that finds the operation of any request so its exchange can be checked.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

// loadContract fetches /api/v1/openapi.json from inst, checks that it is a valid
// OpenAPI 3.1 document and prepares it for checking exchanges.
func loadContract(t testing.TB, inst *harness.Instance) *contract {
	t.Helper()
	res := inst.Client().Get(t, "/api/v1/openapi.json").Expect(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("openapi.json content type %q", ct)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(res.Body)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() || doc.OpenAPIMajorMinor() != "3.1" {
		t.Fatalf("openapi.json declares OpenAPI %q, want 3.1", doc.OpenAPI)
	}
	ctx := loader.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	// The served document names a relative server (/api/v1); the router needs the
	// absolute one to match request URLs against.
	for _, s := range doc.Servers {
		if strings.HasPrefix(s.URL, "/") {
			s.URL = inst.BaseURL + s.URL
		}
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("route openapi.json: %v", err)
	}
	return &contract{doc: doc, router: router}
}

// operation returns the documented operation for method and path (relative to the
// server, e.g. /me), or nil.
func (k *contract) operation(method, path string) *openapi3.Operation {
	item := k.doc.Paths.Find(path)
	if item == nil {
		return nil
	}
	return item.GetOperation(method)
}

// check fails t unless the exchange matches the contract (see validate).
func (k *contract) check(t testing.TB, method, url string, reqHeader http.Header, body []byte, res *harness.Response) {
	t.Helper()
	if err := k.validate(method, url, reqHeader, body, res); err != nil {
		t.Errorf("contract: %v\nbody: %s", err, clip(res.Body))
	}
}

// validate reports whether the request was one the document allows and the response
// one it documents: a listed status, the declared content type, and a body that
// validates against the schema. body is the encoded request body (or nil).
func (k *contract) validate(method, url string, reqHeader http.Header, body []byte, res *harness.Response) error {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = reqHeader.Clone()
	route, params, err := k.router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("%s %s is not in openapi.json: %w", method, url, err)
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("request %s %s does not match openapi.json: %w", method, url, err)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 res.Status,
		Header:                 res.Header,
		Options:                opts,
	}
	out.SetBodyBytes(res.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("response %d to %s %s does not match openapi.json: %w", res.Status, method, url, err)
	}
	return nil
}

// TestContractCatchesDrift keeps the validator honest: responses the document does
// not describe must be refused, or every other check in this package proves nothing.
func TestContractCatchesDrift(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Auto})
	k := loadContract(t, inst)
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	me := inst.BaseURL + "/api/v1/me"
	good := &harness.Response{Status: http.StatusOK, Header: jsonHeader,
		Body: []byte(`{"id":"0190a0a0-0000-7000-8000-000000000000","email":"a@example.test","name":"A","created_at":"2026-01-02T03:04:05Z"}`)}
	if err := k.validate(http.MethodGet, me, http.Header{}, nil, good); err != nil {
		t.Fatalf("a well-formed /me response is refused: %v", err)
	}
	for name, res := range map[string]*harness.Response{
		"a wrong type":           {Status: http.StatusOK, Header: jsonHeader, Body: []byte(`{"id":5,"email":"a@example.test","name":"A","created_at":"2026-01-02T03:04:05Z"}`)},
		"a missing field":        {Status: http.StatusOK, Header: jsonHeader, Body: []byte(`{"name":"A"}`)},
		"an undocumented status": {Status: http.StatusTeapot, Header: jsonHeader, Body: []byte(`{}`)},
	} {
		if err := k.validate(http.MethodGet, me, http.Header{}, nil, res); err == nil {
			t.Errorf("a /me response with %s passes the contract", name)
		}
	}
	if err := k.validate(http.MethodGet, inst.BaseURL+"/api/v1/no-such-thing", http.Header{}, nil, good); err == nil {
		t.Error("an undocumented path passes the contract")
	}
	bad := []byte(`{"email":"a@example.test"}`)
	if err := k.validate(http.MethodPost, inst.BaseURL+"/api/v1/auth/login", jsonHeader, bad, &harness.Response{Status: http.StatusOK, Header: jsonHeader, Body: []byte(`{}`)}); err == nil {
		t.Error("a login request without a password passes the contract")
	}
}

// api is a client whose every exchange is held to the contract and to the headers
// every response must carry.
type api struct {
	*harness.Client
	contract *contract
	// rateLimited says the instance runs with rate limits on, so every API response
	// must carry the X-RateLimit headers.
	rateLimited bool
}

func newAPI(inst *harness.Instance, k *contract, rateLimited bool) *api {
	return &api{Client: inst.Client(), contract: k, rateLimited: rateLimited}
}

// with returns a copy of a that authenticates with token.
func (a *api) with(token string) *api {
	c := *a.Client
	c.Token = token
	return &api{Client: &c, contract: a.contract, rateLimited: a.rateLimited}
}

// call sends v as JSON (nil sends no body) and checks the exchange.
func (a *api) call(t testing.TB, method, path string, v any, headers ...string) *harness.Response {
	t.Helper()
	var body []byte
	reqHeader := http.Header{}
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			t.Fatalf("encode body: %v", err)
		}
		reqHeader.Set("Content-Type", "application/json")
	}
	if a.Token != "" {
		reqHeader.Set("Authorization", "Bearer "+a.Token)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		reqHeader.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	res := a.Do(t, method, path, v, headers...)
	checkCommonHeaders(t, method+" "+path, res)
	if a.rateLimited {
		checkRateLimitHeaders(t, method+" "+path, res)
	}
	a.contract.check(t, method, a.BaseURL+path, reqHeader, body, res)
	return res
}

func (a *api) get(t testing.TB, path string) *harness.Response {
	t.Helper()
	return a.call(t, http.MethodGet, path, nil)
}

func (a *api) post(t testing.TB, path string, v any) *harness.Response {
	t.Helper()
	return a.call(t, http.MethodPost, path, v)
}

// securityHeaders are the headers httpserver sets on every response.
var securityHeaders = []string{
	"Content-Security-Policy",
	"X-Content-Type-Options",
	"X-Frame-Options",
	"Referrer-Policy",
	"Cross-Origin-Opener-Policy",
	"Permissions-Policy",
}

// checkCommonHeaders fails t unless res carries a request id and the security headers.
func checkCommonHeaders(t testing.TB, what string, res *harness.Response) {
	t.Helper()
	if res.Header.Get("X-Request-Id") == "" {
		t.Errorf("%s: response %d has no X-Request-Id", what, res.Status)
	}
	for _, h := range securityHeaders {
		if res.Header.Get(h) == "" {
			t.Errorf("%s: response %d has no %s", what, res.Status, h)
		}
	}
	if got := res.Header.Get("X-Content-Type-Options"); got != "" && got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", what, got)
	}
}

// checkRateLimitHeaders fails t unless res carries the three X-RateLimit headers as
// integers, and a Retry-After when refused.
func checkRateLimitHeaders(t testing.TB, what string, res *harness.Response) {
	t.Helper()
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		if v := res.Header.Get(h); v == "" || strings.Trim(v, "0123456789") != "" {
			t.Errorf("%s: response %d has %s %q, want an integer", what, res.Status, h, v)
		}
	}
	if res.Status == http.StatusTooManyRequests {
		if v := res.Header.Get("Retry-After"); v == "" || strings.Trim(v, "0123456789") != "" {
			t.Errorf("%s: 429 has Retry-After %q, want seconds", what, v)
		}
	}
}

func clip(b []byte) string {
	if len(b) > 1500 {
		return string(b[:1500]) + "…"
	}
	return string(b)
}
