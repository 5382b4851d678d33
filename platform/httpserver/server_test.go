package httpserver_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"go.uber.org/fx/fxtest"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/idempotency"
	"github.com/kontor-app/kontor/platform/money"
	"github.com/kontor-app/kontor/platform/ratelimit"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fakeAuth accepts the bearer token "good" and the session cookie "good-session".
type fakeAuth struct{ user uuid.UUID }

func (f fakeAuth) AuthenticateBearer(_ context.Context, token string) (authn.Subject, error) {
	if token == "good" {
		return authn.Subject{UserID: f.user, Method: authn.MethodJWT}, nil
	}
	return authn.Subject{}, apperr.New(apperr.InvalidToken, "The token is not valid.")
}

func (f fakeAuth) AuthenticateSession(_ context.Context, token string) (authn.Subject, error) {
	if token == "good-session" || token == "other-session" {
		return authn.Subject{UserID: f.user, Name: "Ada", Method: authn.MethodSession, SessionID: "id-" + token}, nil
	}
	return authn.Subject{}, apperr.New(apperr.InvalidToken, "The session is not valid.")
}

type probeRoutes struct{}

type probeBody struct {
	Name   string        `json:"name"`
	Count  int           `json:"count"`
	Amount *money.Amount `json:"amount,omitempty"`
}

// probeNotEmpty is a module's code, registered as a module registers its own.
var probeNotEmpty = apperr.Register("account_not_empty", http.StatusConflict, "Account not empty")

func (probeRoutes) Register(r *httpserver.Router) {
	r.APIWrite(fiber.MethodPost, "/probe", func(c *fiber.Ctx) error {
		var b probeBody
		if err := httpserver.DecodeJSON(c, &b); err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(b)
	})
	r.APIRead("/probe/panic", func(c *fiber.Ctx) error { panic("secret database password in panic") })
	r.APIRead("/probe/internal", func(c *fiber.Ctx) error {
		return apperr.Wrap(errors.New("unexpected EOF in the secret parser"), "load something")
	})
	r.APIRead("/probe/conflict", func(c *fiber.Ctx) error {
		return apperr.New(probeNotEmpty, "Empty it first.").WithDetails(map[string]any{"current_balance": "1.00"})
	})
	r.PublicPage(fiber.MethodGet, "/form", func(c *fiber.Ctx) error { return c.SendString("form") })
	r.PublicPage(fiber.MethodPost, "/form", func(c *fiber.Ctx) error { return c.SendString("posted") })
	r.Page(fiber.MethodGet, "/private", func(c *fiber.Ctx) error { return c.SendString("private") })
}

func newServer(t *testing.T) *fiber.App {
	t.Helper()
	app, _ := newServerWith(t, nil)
	return app
}

// newServerWith builds a server on a fresh SQLite with extra settings and routes
// beside the probes, and returns its database too.
func newServerWith(t *testing.T, env map[string]string, routes ...httpserver.Routes) (*fiber.App, *database.DB) {
	t.Helper()
	settings := map[string]string{"KONTOR_SECRET_KEY": strings.Repeat("k", 40), "KONTOR_ADDR": "127.0.0.1:0"}
	for k, v := range env {
		settings[k] = v
	}
	cfg, err := config.Load(nil, func(k string) string { return settings[k] })
	if err != nil {
		t.Fatal(err)
	}
	db := dbtest.NewSQLite(t)
	lc := fxtest.NewLifecycle(t)
	srv, err := httpserver.New(httpserver.Params{
		Config:  cfg,
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		DB:      db,
		Auth:    fakeAuth{user: uuid.New()},
		Limiter: ratelimit.NewLimiter(ratelimit.NewMemoryStore(), ratelimit.PoliciesFrom(cfg), false),
		Idem:    idempotency.NewStore(db),
		Routes:  append([]httpserver.Routes{probeRoutes{}}, routes...),
		Lc:      lc,
		Home:    func(c *fiber.Ctx) error { return c.SendString("home") },
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv.App, db
}

func do(t *testing.T, app *fiber.App, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func problem(t *testing.T, res *http.Response, body []byte, status int, code string) httpserver.Problem {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", res.StatusCode, status, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q: %s", ct, body)
	}
	var p httpserver.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if string(p.Code) != code || p.Status != status || p.TraceID != res.Header.Get("X-Request-Id") || p.TraceID == "" {
		t.Fatalf("problem %+v, want code %s status %d and trace id %q", p, code, status, res.Header.Get("X-Request-Id"))
	}
	return p
}

func apiPost(body, contentType string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/probe", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer good")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

func TestJSONStrictness(t *testing.T) {
	app := newServer(t)
	cases := []struct {
		name, body, contentType string
		status                  int
		code, field             string
	}{
		{"valid", `{"name":"a","count":2}`, "application/json", 201, "", ""},
		{"malformed", `{"name":`, "application/json", 400, "malformed_json", ""},
		{"syntax", `{"name" "a"}`, "application/json", 400, "malformed_json", ""},
		{"empty", ``, "application/json", 400, "malformed_json", ""},
		{"two values", `{} {}`, "application/json", 400, "malformed_json", ""},
		{"not an object", `[1,2]`, "application/json", 400, "malformed_json", ""},
		{"unknown field", `{"name":"a","admin":true}`, "application/json", 400, "unknown_field", "admin"},
		{"wrong type", `{"name":"a","count":"many"}`, "application/json", 422, "validation_failed", "count"},
		{"exact money", `{"name":"a","amount":0.1}`, "application/json", 201, "", ""},
		{"too precise money", `{"name":"a","amount":"0.0000000000000000001"}`, "application/json", 422, "validation_failed", "amount"},
		{"money as bool", `{"name":"a","amount":true}`, "application/json", 422, "validation_failed", "amount"},
		{"wrong content type", `{"name":"a"}`, "text/plain", 415, "unsupported_media_type", ""},
		{"no content type", `{"name":"a"}`, "", 415, "unsupported_media_type", ""},
		{"over 1 MiB", `{"name":"` + strings.Repeat("x", httpserver.MaxJSONBody) + `"}`, "application/json", 413, "payload_too_large", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, body := do(t, app, apiPost(tc.body, tc.contentType))
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

func TestBodyOverGlobalLimitIsAProblem(t *testing.T) {
	// Bodies over the server's limit are refused by fasthttp before routing, as soon as
	// it reads Content-Length; the error still goes through the one error handler. Only
	// a real listener shows this, so the request is written by hand and no body follows.
	app := newServer(t)
	conn, err := net.Dial("tcp", listen(t, app))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/probe HTTP/1.1\r\nHost: kontor\r\nContent-Type: application/json\r\n"+
		"Authorization: Bearer good\r\nContent-Length: %d\r\n\r\n", httpserver.BodyLimit+1)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	problem(t, res, body, http.StatusRequestEntityTooLarge, "payload_too_large")
}

func TestErrorsAndHeaders(t *testing.T) {
	app := newServer(t)

	t.Run("unknown API route is a 404 problem", func(t *testing.T) {
		res, body := do(t, app, httptest.NewRequest(http.MethodGet, "/api/v1/nowhere", nil))
		problem(t, res, body, 404, "not_found")
	})
	t.Run("wrong method is a 405 problem", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodDelete, "/api/v1/probe", nil)
		req.Header.Set("Authorization", "Bearer good")
		res, body := do(t, app, req)
		problem(t, res, body, 405, "method_not_allowed")
	})
	t.Run("missing and bad tokens are 401 problems", func(t *testing.T) {
		res, body := do(t, app, httptest.NewRequest(http.MethodGet, "/api/v1/probe/conflict", nil))
		problem(t, res, body, 401, "unauthenticated")
		if res.Header.Get("WWW-Authenticate") == "" {
			t.Fatal("no WWW-Authenticate header")
		}
		req := httptest.NewRequest(http.MethodGet, "/api/v1/probe/conflict", nil)
		req.Header.Set("Authorization", "Bearer forged")
		res, body = do(t, app, req)
		problem(t, res, body, 401, "invalid_token")
	})
	t.Run("panic is a 500 that leaks nothing", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/probe/panic", nil)
		req.Header.Set("Authorization", "Bearer good")
		res, body := do(t, app, req)
		problem(t, res, body, 500, "internal_error")
		if strings.Contains(string(body), "secret") {
			t.Fatalf("panic text leaked: %s", body)
		}
	})
	t.Run("internal error leaks nothing", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/probe/internal", nil)
		req.Header.Set("Authorization", "Bearer good")
		res, body := do(t, app, req)
		problem(t, res, body, 500, "internal_error")
		if strings.Contains(string(body), "unexpected EOF") || strings.Contains(string(body), "load something") {
			t.Fatalf("cause leaked: %s", body)
		}
	})
	t.Run("details and instance", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/probe/conflict?x=1", nil)
		req.Header.Set("Authorization", "Bearer good")
		res, body := do(t, app, req)
		p := problem(t, res, body, 409, "account_not_empty")
		if p.Instance != "/api/v1/probe/conflict" || p.Details["current_balance"] != "1.00" || !strings.HasSuffix(p.Type, "/account_not_empty") {
			t.Fatalf("problem %+v", p)
		}
	})
	t.Run("request id echoed when valid, replaced when not", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.Header.Set("X-Request-Id", "client-abc.123")
		res, _ := do(t, app, req)
		if got := res.Header.Get("X-Request-Id"); got != "client-abc.123" {
			t.Fatalf("X-Request-Id %q", got)
		}
		req = httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.Header.Set("X-Request-Id", "<script>")
		res, _ = do(t, app, req)
		if got := res.Header.Get("X-Request-Id"); got == "<script>" || got == "" {
			t.Fatalf("X-Request-Id %q", got)
		}
	})
	t.Run("security headers", func(t *testing.T) {
		res, _ := do(t, app, httptest.NewRequest(http.MethodGet, "/form", nil))
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Fatalf("CSP %q", csp)
		}
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin"} {
			if got := res.Header.Get(h); got != want {
				t.Fatalf("%s = %q, want %q", h, got, want)
			}
		}
	})
	t.Run("unknown page is an HTML 404", func(t *testing.T) {
		res, body := do(t, app, httptest.NewRequest(http.MethodGet, "/no/such/page", nil))
		if res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), res.Header.Get("X-Request-Id")) {
			t.Fatalf("status %d type %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
	})
	t.Run("private page redirects to login", func(t *testing.T) {
		res, _ := do(t, app, httptest.NewRequest(http.MethodGet, "/private?tab=1", nil))
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next="+url.QueryEscape("/private?tab=1") {
			t.Fatalf("status %d location %q", res.StatusCode, res.Header.Get("Location"))
		}
		req := httptest.NewRequest(http.MethodGet, "/private", nil)
		req.AddCookie(&http.Cookie{Name: authn.SessionCookie, Value: "good-session"})
		res, body := do(t, app, req)
		if res.StatusCode != 200 || string(body) != "private" {
			t.Fatalf("with session: %d %s", res.StatusCode, body)
		}
	})
	t.Run("health, readiness, metrics", func(t *testing.T) {
		for _, p := range []string{"/healthz", "/readyz"} {
			res, body := do(t, app, httptest.NewRequest(http.MethodGet, p, nil))
			if res.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
				t.Fatalf("%s: %d %s", p, res.StatusCode, body)
			}
		}
		res, body := do(t, app, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if res.StatusCode != 200 || !strings.Contains(string(body), "kontor_http_requests_total") {
			t.Fatalf("metrics: %d", res.StatusCode)
		}
	})
}

func TestCSRF(t *testing.T) {
	app := newServer(t)
	res, _ := do(t, app, httptest.NewRequest(http.MethodGet, "/form", nil))
	var secret *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == httpserver.CSRFCookie {
			secret = c
		}
	}
	if secret == nil || !secret.HttpOnly {
		t.Fatalf("no HttpOnly CSRF cookie: %v", res.Cookies())
	}
	token := httpserver.CSRFToken([]byte(strings.Repeat("k", 40)), secret.Value, "")

	post := func(form string, withCookie bool, header string) *http.Response {
		req := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if withCookie {
			req.AddCookie(secret)
		}
		if header != "" {
			req.Header.Set(httpserver.HeaderCSRF, header)
		}
		res, _ := do(t, app, req)
		return res
	}
	if res := post("_csrf="+url.QueryEscape(token), true, ""); res.StatusCode != 200 {
		t.Fatalf("valid token refused: %d", res.StatusCode)
	}
	if res := post("", true, token); res.StatusCode != 200 {
		t.Fatalf("valid header token refused: %d", res.StatusCode)
	}
	for name, res := range map[string]*http.Response{
		"missing token":    post("a=b", true, ""),
		"forged token":     post("_csrf=forged", true, ""),
		"token, no cookie": post("_csrf="+url.QueryEscape(token), false, ""),
	} {
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, res.StatusCode)
		}
	}
}
