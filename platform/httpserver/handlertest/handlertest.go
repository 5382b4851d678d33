// Package handlertest serves a module's routes exactly as the server does (the
// middleware, the one error handler, the Router's policies) but without a database,
// so handler tests check parsing and error mapping against a fake service, with no
// container and in milliseconds. Requests carry the bearer token Token or the
// session cookie of Session and are authenticated as Subject; there is no
// idempotency store, so a request must not send Idempotency-Key.
package handlertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"go.uber.org/fx/fxtest"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/ratelimit"
)

// Token is the bearer token the fake authenticator accepts.
const Token = "handler-test-token"

// Session is the session cookie value the fake authenticator accepts.
const Session = "handler-test-session"

// Subject is who a request with Token or Session is.
var Subject = authn.Subject{
	UserID: uuid.MustParse("01900000-0000-7000-8000-000000000001"),
	Email:  "ada@example.test", Name: "Ada", Method: authn.MethodJWT,
}

type fakeAuth struct{}

func (fakeAuth) AuthenticateBearer(_ context.Context, token string) (authn.Subject, error) {
	if token == Token {
		return Subject, nil
	}
	return authn.Subject{}, apperr.New(apperr.InvalidToken, "The token is not valid.")
}

func (fakeAuth) AuthenticateSession(_ context.Context, token string) (authn.Subject, error) {
	if token == Session {
		s := Subject
		s.Method, s.SessionID = authn.MethodSession, "session-id"
		return s, nil
	}
	return authn.Subject{}, apperr.New(apperr.InvalidToken, "The session is not valid.")
}

// New returns the application serving routes, with rate limits switched off.
func New(t testing.TB, routes ...httpserver.Routes) *fiber.App {
	t.Helper()
	settings := map[string]string{"KONTOR_SECRET_KEY": strings.Repeat("h", 40), "KONTOR_ADDR": "127.0.0.1:0"}
	cfg, err := config.Load(nil, func(k string) string { return settings[k] })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpserver.New(httpserver.Params{
		Config:  cfg,
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Auth:    fakeAuth{},
		Limiter: ratelimit.NewLimiter(ratelimit.NewMemoryStore(), ratelimit.PoliciesFrom(cfg), true),
		Routes:  routes,
		Lc:      fxtest.NewLifecycle(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv.App
}

// Response is an answer read whole.
type Response struct {
	*http.Response
	Body []byte
}

// Problem decodes the body as a problem document.
func (r Response) Problem(t testing.TB) httpserver.Problem {
	t.Helper()
	var p httpserver.Problem
	if ct := r.Header.Get(fiber.HeaderContentType); ct != "application/problem+json" {
		t.Fatalf("content type %q, want a problem: %s", ct, r.Body)
	}
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("problem: %v: %s", err, r.Body)
	}
	return p
}

// ExpectProblem fails the test unless the answer is a problem with status and code,
// and, when fields are given, with a field error for each of them; it returns the
// problem.
func (r Response) ExpectProblem(t testing.TB, status int, code apperr.Code, fields ...string) httpserver.Problem {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", r.StatusCode, status, r.Body)
	}
	p := r.Problem(t)
	if p.Code != code {
		t.Fatalf("code %q, want %q: %s", p.Code, code, r.Body)
	}
	for _, f := range fields {
		found := false
		for _, fe := range p.Errors {
			found = found || fe.Field == f
		}
		if !found {
			t.Fatalf("no field error for %q: %s", f, r.Body)
		}
	}
	return p
}

// JSON decodes the body into v after checking the status.
func (r Response) JSON(t testing.TB, status int, v any) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", r.StatusCode, status, r.Body)
	}
	if v != nil {
		if err := json.Unmarshal(r.Body, v); err != nil {
			t.Fatalf("decode: %v: %s", err, r.Body)
		}
	}
}

// Do sends a request as Subject over the API (bearer token): body, when not nil, is
// sent as JSON (a string or []byte as it is); header adds "Name", "value" pairs.
func Do(t testing.TB, app *fiber.App, method, path string, body any, header ...string) Response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Authorization", "Bearer "+Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Response: res, Body: b}
}
