package httpserver_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/platform/httpserver"
)

type nestedBody struct {
	Name     string             `json:"name"`
	Metadata map[string]*string `json:"metadata"`
	Items    []struct {
		Label string `json:"label"`
	} `json:"items"`
	Inner *struct {
		Value string `json:"value"`
	} `json:"inner"`
}

type nestedRoutes struct{}

func (nestedRoutes) Register(r *httpserver.Router) {
	r.APIWrite(fiber.MethodPost, "/nested", func(c *fiber.Ctx) error {
		var b nestedBody
		if err := httpserver.DecodeJSON(c, &b); err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(b)
	})
	r.APIRead("/search", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"q": c.Query("q")}) })
	r.PublicPage(fiber.MethodGet, "/find", func(c *fiber.Ctx) error { return c.SendString("q=" + c.Query("q")) })
}

func post(t *testing.T, app *fiber.App, path, body string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer good")
	req.Header.Set("Content-Type", "application/json")
	return do(t, app, req)
}

// TestJSONStrictnessHoles holds issue 10 items 5, 6 and 2 for JSON bodies: names match
// exactly, a repeated key is malformed, invalid UTF-8 and lone surrogates are refused
// rather than replaced, and control characters are refused by one rule, nested
// objects, arrays and maps included.
func TestJSONStrictnessHoles(t *testing.T) {
	app, _ := newServerWith(t, nil, nestedRoutes{})
	cases := []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"exact", `{"name":"a","metadata":{"k":"v"},"items":[{"label":"x"}],"inner":{"value":"y"}}`, 201, "", ""},
		{"upper-case name", `{"NAME":"a"}`, 400, "unknown_field", "NAME"},
		{"mixed-case name", `{"Name":"a"}`, 400, "unknown_field", "Name"},
		{"case-variant nested", `{"name":"a","inner":{"VALUE":"y"}}`, 400, "unknown_field", "inner.VALUE"},
		{"case-variant in array", `{"name":"a","items":[{"Label":"x"}]}`, 400, "unknown_field", "items[0].Label"},
		{"duplicate key", `{"name":"a","name":"b"}`, 400, "malformed_json", ""},
		{"duplicate nested key", `{"name":"a","inner":{"value":"x","value":"y"}}`, 400, "malformed_json", ""},
		{"duplicate map key", `{"name":"a","metadata":{"k":"1","k":"2"}}`, 400, "malformed_json", ""},
		{"invalid UTF-8 0xFF", "{\"name\":\"a\xffb\"}", 400, "malformed_json", ""},
		{"overlong encoding", "{\"name\":\"\xc0\xaf\"}", 400, "malformed_json", ""},
		{"lone high surrogate", `{"name":"a\ud800b"}`, 400, "malformed_json", ""},
		{"lone low surrogate", `{"name":"\udc00"}`, 400, "malformed_json", ""},
		{"surrogate pair is fine", `{"name":"\ud83d\ude00"}`, 201, "", ""},
		{"escaped backslash then u", `{"name":"\\ud800"}`, 201, "", ""},
		{"NUL escape", `{"name":"a\u0000b"}`, 422, "validation_failed", "name"},
		{"bell in map value", `{"name":"a","metadata":{"k":"\u0007"}}`, 422, "validation_failed", "metadata.k"},
		{"C1 control nested", `{"name":"a","items":[{"label":"\u0085"}]}`, 422, "validation_failed", "items[0].label"},
		{"NUL in a key", `{"name":"a","metadata":{"k\u0000":"v"}}`, 422, "validation_failed", "metadata"},
		{"tab and newline are text", `{"name":"line one\nline\ttwo"}`, 201, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, body := post(t, app, "/api/v1/nested", tc.body)
			if tc.code == "" {
				if res.StatusCode != tc.status {
					t.Fatalf("status %d: %s", res.StatusCode, body)
				}
				return
			}
			p := problem(t, res, body, tc.status, tc.code)
			if tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field) {
				t.Fatalf("errors %+v, want one naming %q", p.Errors, tc.field)
			}
		})
	}
}

// TestQueryAndFormText holds issue 10 items 2 and 6 for query parameters and forms.
func TestQueryAndFormText(t *testing.T) {
	app, _ := newServerWith(t, nil, nestedRoutes{})
	for _, q := range []string{"%00", "a%FFb", "%C0%AF", "%07", "%C2%85"} {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/search?q="+q, nil)
		req.Header.Set("Authorization", "Bearer good")
		res, body := do(t, app, req)
		p := problem(t, res, body, 400, "invalid_parameter")
		if len(p.Errors) != 1 || p.Errors[0].Field != "q" {
			t.Fatalf("q=%s: errors %+v", q, p.Errors)
		}
		res, _ = do(t, app, httptest.NewRequest(http.MethodGet, "/find?q="+q, nil))
		if res.StatusCode != 400 {
			t.Fatalf("page with q=%s: %d, want 400", q, res.StatusCode)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/search?q="+url.QueryEscape("café ☕"), nil)
	req.Header.Set("Authorization", "Bearer good")
	if res, body := do(t, app, req); res.StatusCode != 200 || !strings.Contains(string(body), "café ☕") {
		t.Fatalf("a fine query: %d %s", res.StatusCode, body)
	}
	form := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader("name=a%00b"))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res, _ := do(t, app, form); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("form with NUL: %d, want 422", res.StatusCode)
	}
	form = httptest.NewRequest(http.MethodPost, "/form", strings.NewReader("name=a%FFb"))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res, _ := do(t, app, form); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("form with invalid UTF-8: %d, want 422", res.StatusCode)
	}
}

func rawExchange(t *testing.T, addr, head string, body []byte) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	if body != nil {
		_, _ = conn.Write(body)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func wantSecurityHeaders(t *testing.T, what string, res *http.Response) {
	t.Helper()
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "X-Request-Id"} {
		if res.Header.Get(h) == "" {
			t.Errorf("%s: no %s", what, h)
		}
	}
}

// TestProblemsBeforeRouting holds issue 10 item 7: what is refused before routing is
// still a problem+json with the security headers.
func TestProblemsBeforeRouting(t *testing.T) {
	app := newServer(t)
	addr := listen(t, app)

	res, body := rawExchange(t, addr, "GET /api/v1/probe/conflict HTTP/1.1\r\nHost: k\r\nX-Big: "+strings.Repeat("a", httpserver.ReadBufferSize)+"\r\n\r\n", nil)
	problem(t, res, body, http.StatusRequestHeaderFieldsTooLarge, "request_header_fields_too_large")
	wantSecurityHeaders(t, "431", res)

	res, body = rawExchange(t, addr, "GET /api/v1/probe/conflict?q="+strings.Repeat("a", httpserver.MaxURILength)+" HTTP/1.1\r\nHost: k\r\n\r\n", nil)
	problem(t, res, body, http.StatusRequestURITooLong, "uri_too_long")
	wantSecurityHeaders(t, "414", res)

	res, body = rawExchange(t, addr, fmt.Sprintf("POST /api/v1/probe HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\nAuthorization: Bearer good\r\nContent-Length: %d\r\n\r\n", httpserver.BodyLimit+1), nil)
	problem(t, res, body, http.StatusRequestEntityTooLarge, "payload_too_large")
	wantSecurityHeaders(t, "413", res)

	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	_ = w.WriteField("name", "a")
	// A broken part too, which a parser before routing would choke on.
	_ = w.Close()
	broken := append(mp.Bytes()[:mp.Len()-10], []byte("garbage")...)
	res, body = rawExchange(t, addr, fmt.Sprintf("POST /api/v1/probe HTTP/1.1\r\nHost: k\r\nContent-Type: %s\r\nAuthorization: Bearer good\r\nContent-Length: %d\r\n\r\n", w.FormDataContentType(), len(broken)), broken)
	problem(t, res, body, http.StatusUnsupportedMediaType, "unsupported_media_type")
	wantSecurityHeaders(t, "415", res)
}
