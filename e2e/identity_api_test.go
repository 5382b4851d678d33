package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// password is long enough for the identity rules (12 characters at least).
const password = "correct horse battery staple"

var emailSeq atomic.Int64

// newEmail returns an address no other test of this binary uses.
func newEmail(who string) string {
	return fmt.Sprintf("%s-%d-%d@example.test", who, time.Now().UnixNano(), emailSeq.Add(1))
}

func engineName(e harness.Engine) string {
	switch e {
	case harness.Postgres:
		return "postgres"
	case harness.SQLite:
		return "sqlite"
	}
	return "auto"
}

// start boots an instance on PostgreSQL (embedded SQLite without Docker outside CI)
// and says which engine it got.
func start(t *testing.T, opts harness.Options) *harness.Instance {
	t.Helper()
	inst := harness.Start(t, opts)
	t.Logf("kontor at %s on %s", inst.BaseURL, engineName(inst.Engine))
	return inst
}

type user struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
}

type tokenPair struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int    `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int    `json:"refresh_expires_in"`
}

type apiKey struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Prefix    string  `json:"prefix"`
	Key       string  `json:"key"`
	CreatedAt string  `json:"created_at"`
	ExpiresAt *string `json:"expires_at"`
}

// register creates a user over the API and returns it.
func register(t *testing.T, a *api, name, email string) user {
	t.Helper()
	var u user
	a.post(t, "/api/v1/auth/register", map[string]any{"name": name, "email": email, "password": password}).
		Expect(t, http.StatusCreated).JSON(t, &u)
	if u.ID == "" || u.Email != email || u.Name != name {
		t.Fatalf("registered user %+v, want %s <%s> with an id", u, name, email)
	}
	if _, err := time.Parse(time.RFC3339, u.CreatedAt); err != nil {
		t.Fatalf("created_at %q is not RFC 3339: %v", u.CreatedAt, err)
	}
	return u
}

// login returns a fresh token pair for email.
func login(t *testing.T, a *api, email string) tokenPair {
	t.Helper()
	var p tokenPair
	a.post(t, "/api/v1/auth/login", map[string]any{"email": email, "password": password}).
		Expect(t, http.StatusOK).JSON(t, &p)
	checkPair(t, p)
	return p
}

func checkPair(t *testing.T, p tokenPair) {
	t.Helper()
	if p.AccessToken == "" || p.RefreshToken == "" || p.TokenType != "Bearer" || p.ExpiresIn <= 0 || p.RefreshExpiresIn <= p.ExpiresIn {
		t.Fatalf("token pair %+v: want both tokens, type Bearer, and a refresh token outliving the access token", p)
	}
}

func TestIdentityOverJSON(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Auto})
	k := loadContract(t, inst)
	a := newAPI(inst, k, false)
	email := newEmail("ada")

	me := register(t, a, "Ada Lovelace", email)
	a.post(t, "/api/v1/auth/register", map[string]any{"name": "Ada again", "email": email, "password": password}).
		ExpectProblem(t, http.StatusConflict, "email_taken")
	a.post(t, "/api/v1/auth/login", map[string]any{"email": email, "password": "wrong password, sorry"}).
		ExpectProblem(t, http.StatusUnauthorized, "invalid_credentials")

	first := login(t, a, email)

	var second tokenPair
	a.post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": first.RefreshToken}).
		Expect(t, http.StatusOK).JSON(t, &second)
	checkPair(t, second)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatalf("refresh did not rotate the tokens")
	}
	// Reusing the rotated token is theft or a bug: the whole family is revoked, so
	// the token that replaced it stops working too.
	a.post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": first.RefreshToken}).
		ExpectProblem(t, http.StatusUnauthorized, "invalid_token")
	a.post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": second.RefreshToken}).
		ExpectProblem(t, http.StatusUnauthorized, "invalid_token")

	owner := a.with(second.AccessToken)
	var got user
	owner.get(t, "/api/v1/me").Expect(t, http.StatusOK).JSON(t, &got)
	if got != me {
		t.Fatalf("/me = %+v, want %+v", got, me)
	}
	a.get(t, "/api/v1/me").ExpectProblem(t, http.StatusUnauthorized, "unauthenticated")
	a.with("not-a-token").get(t, "/api/v1/me").ExpectProblem(t, http.StatusUnauthorized, "invalid_token")

	var key apiKey
	owner.post(t, "/api/v1/api-keys", map[string]any{"name": "ci"}).Expect(t, http.StatusCreated).JSON(t, &key)
	if key.ID == "" || key.Name != "ci" || !strings.HasPrefix(key.Key, "kontor_") || key.Prefix == "" || !strings.HasPrefix(key.Key, key.Prefix) {
		t.Fatalf("API key %+v: want an id, the name, a kontor_ key and its prefix", key)
	}
	list := owner.get(t, "/api/v1/api-keys").Expect(t, http.StatusOK)
	if !strings.Contains(string(list.Body), key.ID) || strings.Contains(string(list.Body), key.Key) {
		t.Fatalf("the key list must name the key and never show it again: %s", list.Body)
	}

	withKey := a.with(key.Key)
	got = user{}
	withKey.get(t, "/api/v1/me").Expect(t, http.StatusOK).JSON(t, &got)
	if got != me {
		t.Fatalf("/me with the API key = %+v, want %+v", got, me)
	}

	owner.call(t, http.MethodDelete, "/api/v1/api-keys/"+key.ID, nil).Expect(t, http.StatusNoContent)
	withKey.get(t, "/api/v1/me").ExpectProblem(t, http.StatusUnauthorized, "invalid_token")

	// Logging out revokes the refresh token.
	third := login(t, a, email)
	a.post(t, "/api/v1/auth/logout", map[string]any{"refresh_token": third.RefreshToken}).Expect(t, http.StatusNoContent)
	a.post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": third.RefreshToken}).
		ExpectProblem(t, http.StatusUnauthorized, "invalid_token")
}

func TestRateLimits(t *testing.T) {
	t.Run("every API response carries the headers", func(t *testing.T) {
		inst := start(t, harness.Options{Engine: harness.Auto, RateLimits: true})
		a := newAPI(inst, loadContract(t, inst), true)
		email := newEmail("grace")
		register(t, a, "Grace Hopper", email)
		owner := a.with(login(t, a, email).AccessToken)
		owner.get(t, "/api/v1/me").Expect(t, http.StatusOK)
		owner.post(t, "/api/v1/api-keys", map[string]any{"name": "limited"}).Expect(t, http.StatusCreated)
		owner.get(t, "/api/v1/api-keys").Expect(t, http.StatusOK)
	})

	t.Run("AUTH allows 5 logins from one IP, then 429", func(t *testing.T) {
		inst := start(t, harness.Options{Engine: harness.Auto, RateLimits: true})
		a := newAPI(inst, loadContract(t, inst), true)
		// Unknown addresses: no account gets locked, so a 429 can only be the limit.
		for i := range 5 {
			res := a.post(t, "/api/v1/auth/login", map[string]any{"email": newEmail("nobody"), "password": password})
			res.ExpectProblem(t, http.StatusUnauthorized, "invalid_credentials")
			if got := res.Header.Get("X-RateLimit-Limit"); got != "5" {
				t.Fatalf("login %d: X-RateLimit-Limit %q, want 5", i+1, got)
			}
			if got := res.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(4-i) {
				t.Fatalf("login %d: X-RateLimit-Remaining %q, want %d", i+1, got, 4-i)
			}
		}
		res := a.post(t, "/api/v1/auth/login", map[string]any{"email": newEmail("nobody"), "password": password})
		res.ExpectProblem(t, http.StatusTooManyRequests, "rate_limited")
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
			t.Fatalf("Retry-After %q, want 1 to 60 seconds (5 tokens a minute)", res.Header.Get("Retry-After"))
		}
		if reset, err := strconv.ParseInt(res.Header.Get("X-RateLimit-Reset"), 10, 64); err != nil || reset < time.Now().Unix() {
			t.Fatalf("X-RateLimit-Reset %q, want a unix time to come", res.Header.Get("X-RateLimit-Reset"))
		}
	})
}

func TestOperationalEndpoints(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Auto})
	c := inst.Client()

	var health struct{ Status string }
	res := c.Get(t, "/healthz").Expect(t, http.StatusOK)
	checkCommonHeaders(t, "GET /healthz", res)
	res.JSON(t, &health)
	if health.Status != "ok" {
		t.Fatalf("/healthz status %q", health.Status)
	}

	var ready struct{ Status, Database string }
	res = c.Get(t, "/readyz").Expect(t, http.StatusOK)
	checkCommonHeaders(t, "GET /readyz", res)
	res.JSON(t, &ready)
	if ready.Status != "ok" || ready.Database != engineName(inst.Engine) {
		t.Fatalf("/readyz = %+v, want ok on %s", ready, engineName(inst.Engine))
	}

	// A request to count first, then the counter must show it.
	c.Get(t, "/api/v1/me", "X-Request-Id: e2e-metrics-probe").Expect(t, http.StatusUnauthorized)
	res = c.Get(t, "/metrics").Expect(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("/metrics content type %q, want Prometheus text", ct)
	}
	body := string(res.Body)
	if !strings.Contains(body, "# TYPE kontor_http_requests_total counter") ||
		!strings.Contains(body, `kontor_http_requests_total{method="GET",route="/api/v1/me",status="401"}`) {
		t.Fatalf("/metrics lacks kontor_http_requests_total for GET /api/v1/me:\n%s", clip(res.Body))
	}

	// A client's well-formed request id is echoed.
	if got := c.Get(t, "/healthz", "X-Request-Id: e2e-probe-1").Header.Get("X-Request-Id"); got != "e2e-probe-1" {
		t.Fatalf("X-Request-Id %q, want the client's id echoed", got)
	}

	k := loadContract(t, inst)
	for _, op := range []struct{ method, path string }{
		{"POST", "/auth/register"}, {"POST", "/auth/login"}, {"POST", "/auth/refresh"}, {"POST", "/auth/logout"},
		{"GET", "/me"}, {"POST", "/api-keys"}, {"GET", "/api-keys"}, {"DELETE", "/api-keys/{id}"},
	} {
		if k.operation(op.method, op.path) == nil {
			t.Errorf("openapi.json does not document %s %s", op.method, op.path)
		}
	}

	res = c.Get(t, "/docs").Expect(t, http.StatusOK)
	checkCommonHeaders(t, "GET /docs", res)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("/docs content type %q", ct)
	}
	if page := string(res.Body); !strings.Contains(page, "<html") || !strings.Contains(page, "/auth/login") {
		t.Fatalf("/docs does not list /auth/login:\n%s", clip(res.Body))
	}
}
