package e2e

import (
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

// TestSeveralInstancesShareState runs two Kontor processes' worth of application, as a
// load-balanced deployment would, on one PostgreSQL database and one Redis: a token
// issued by one is accepted by the other, rate-limit buckets are shared through Redis,
// and an Idempotency-Key replays across instances from the database store.
func TestSeveralInstancesShareState(t *testing.T) {
	redisURL := harness.Redis(t)
	env := map[string]string{"KONTOR_REDIS_URL": redisURL}
	a := harness.Start(t, harness.Options{Engine: harness.Postgres, RateLimits: true, Env: env})
	shared := map[string]string{"KONTOR_REDIS_URL": redisURL, "KONTOR_DATABASE_URL": a.Config.DatabaseURL}
	b := harness.Start(t, harness.Options{Engine: harness.SQLite, RateLimits: true, Env: shared})
	if !b.Config.IsPostgres() || b.Config.DatabaseURL != a.Config.DatabaseURL {
		t.Fatalf("second instance is not on the first one's database: %q", b.Config.DatabaseURL)
	}

	ca, cb := a.Client(), b.Client()
	ca.Post(t, "/api/v1/auth/register", map[string]string{
		"email": "grace@example.com", "password": "a long enough password", "name": "Grace Hopper",
	}).Expect(t, http.StatusCreated)

	// Login on B with the account registered on A; the token from B works on A.
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	cb.Post(t, "/api/v1/auth/login", map[string]string{"email": "grace@example.com", "password": "a long enough password"}).
		Expect(t, http.StatusOK).JSON(t, &tokens)
	ca.Token, cb.Token = tokens.AccessToken, tokens.AccessToken
	ca.Get(t, "/api/v1/me").Expect(t, http.StatusOK)

	// The AUTH bucket (5 per IP) is one bucket across instances: the register and
	// login above took two tokens, three more logins alternate between instances, and
	// the next one is refused wherever it lands.
	for i := 0; i < 3; i++ {
		c := ca
		if i%2 == 1 {
			c = cb
		}
		res := c.Post(t, "/api/v1/auth/login", map[string]string{"email": "grace@example.com", "password": "a long enough password"})
		res.Expect(t, http.StatusOK)
		if got := res.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(2-i) {
			t.Fatalf("login %d: X-RateLimit-Remaining = %q, want %d (one shared bucket)", i, got, 2-i)
		}
	}
	refused := cb.Post(t, "/api/v1/auth/login", map[string]string{"email": "grace@example.com", "password": "a long enough password"})
	refused.ExpectProblem(t, http.StatusTooManyRequests, "rate_limited")
	if refused.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}

	// The same Idempotency-Key sent to both instances at once creates one API key.
	var wg sync.WaitGroup
	results := make([]*harness.Response, 2)
	for i, c := range []*harness.Client{ca, cb} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.Post(t, "/api/v1/api-keys", map[string]string{"name": "deploy"}, "Idempotency-Key: same-key-both-instances")
		}()
	}
	wg.Wait()
	created := 0
	for _, r := range results {
		switch r.Status {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
			r.ExpectProblem(t, http.StatusConflict, "idempotency_request_in_progress")
		default:
			t.Fatalf("unexpected status %d: %s", r.Status, r.Body)
		}
	}
	if created == 0 {
		t.Fatal("neither instance created the key")
	}
	// A replay on either instance now returns the stored response.
	replay := cb.Post(t, "/api/v1/api-keys", map[string]string{"name": "deploy"}, "Idempotency-Key: same-key-both-instances")
	replay.Expect(t, http.StatusCreated)
	if replay.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("no Idempotent-Replayed header: %v", replay.Header)
	}
	var list struct {
		APIKeys []map[string]any `json:"api_keys"`
	}
	ca.Get(t, "/api/v1/api-keys").Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.APIKeys) != 1 {
		t.Fatalf("%d API keys exist, want exactly 1", len(list.APIKeys))
	}
}
