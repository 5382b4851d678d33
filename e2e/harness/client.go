package harness

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"
)

// Client speaks to an Instance over real HTTP.
type Client struct {
	BaseURL string
	// Token, when set, is sent as "Authorization: Bearer <Token>".
	Token string
	HTTP  *http.Client
}

// Client returns a new client without credentials and with its own cookie jar.
func (i *Instance) Client() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{
		BaseURL: i.BaseURL,
		HTTP: &http.Client{
			Timeout: 60 * time.Second,
			Jar:     jar,
			// Pages answer with redirects that tests want to see.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// Response is a fully read HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Problem is the problem+json body of an error response.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail"`
	Instance string         `json:"instance"`
	TraceID  string         `json:"trace_id"`
	Code     string         `json:"code"`
	Errors   []FieldError   `json:"errors"`
	Details  map[string]any `json:"details"`
}

// FieldError is one entry of Problem.Errors.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Raw sends body (already encoded) with the given headers, given as "Name: value".
func (c *Client) Raw(t testing.TB, method, path string, body []byte, headers ...string) *Response {
	t.Helper()
	req, err := http.NewRequest(method, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			t.Fatalf("header %q is not Name: value", h)
		}
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// Do sends v as JSON (nil sends no body) and returns the response.
func (c *Client) Do(t testing.TB, method, path string, v any, headers ...string) *Response {
	t.Helper()
	var body []byte
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			t.Fatalf("encode body: %v", err)
		}
		headers = append([]string{"Content-Type: application/json"}, headers...)
	}
	return c.Raw(t, method, path, body, headers...)
}

// Get is Do with GET.
func (c *Client) Get(t testing.TB, path string, headers ...string) *Response {
	t.Helper()
	return c.Do(t, http.MethodGet, path, nil, headers...)
}

// Post is Do with POST.
func (c *Client) Post(t testing.TB, path string, v any, headers ...string) *Response {
	t.Helper()
	return c.Do(t, http.MethodPost, path, v, headers...)
}

// Expect fails t unless the response has status; it returns r for chaining.
func (r *Response) Expect(t testing.TB, status int) *Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, truncate(r.Body))
	}
	return r
}

// JSON decodes the body into v.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode body: %v; body: %s", err, truncate(r.Body))
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Problem decodes a problem+json body and checks its content type and status field.
func (r *Response) Problem(t testing.TB) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("content type %q, want application/problem+json; body: %s", ct, truncate(r.Body))
	}
	var p Problem
	r.JSON(t, &p)
	if p.Status != r.Status {
		t.Fatalf("problem status %d differs from HTTP status %d", p.Status, r.Status)
	}
	if p.TraceID == "" || p.TraceID != r.Header.Get("X-Request-Id") {
		t.Fatalf("problem trace_id %q does not match X-Request-Id %q", p.TraceID, r.Header.Get("X-Request-Id"))
	}
	return p
}

// ExpectProblem fails t unless the response is a problem with status and code.
func (r *Response) ExpectProblem(t testing.TB, status int, code string) Problem {
	t.Helper()
	r.Expect(t, status)
	p := r.Problem(t)
	if p.Code != code {
		t.Fatalf("problem code %q, want %q; body: %s", p.Code, code, truncate(r.Body))
	}
	return p
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + fmt.Sprintf("… (%d bytes)", len(b))
	}
	return string(b)
}

// ZipFiles reads the body as a ZIP archive (a data export) and returns its files'
// contents by name, in full; t fails when it is not one.
func (r *Response) ZipFiles(t testing.TB) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(r.Body), int64(len(r.Body)))
	if err != nil {
		t.Fatalf("the body is not a ZIP archive: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		files[f.Name] = b
	}
	return files
}
