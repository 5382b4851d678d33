package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// TestAccessTokenRevocationReachesEveryInstance: access tokens are checked
// without reading a row, so a revocation (here: the account deleted on instance
// A) must reach the other instances through the event log. B refuses the token
// within a few poll intervals, and C, started after the revocation, refuses it
// from its first request (it reads the revocations of the last access-token
// lifetime when it starts).
func TestAccessTokenRevocationReachesEveryInstance(t *testing.T) {
	a := harness.Start(t, harness.Options{Engine: harness.Postgres})
	shared := map[string]string{"KONTOR_DATABASE_URL": a.Config.DatabaseURL}
	b := harness.Start(t, harness.Options{Engine: harness.SQLite, Env: shared})
	if !b.Config.IsPostgres() {
		t.Fatalf("second instance is not on the first one's database: %q", b.Config.DatabaseURL)
	}

	ca, cb := a.Client(), b.Client()
	ca.Post(t, "/api/v1/auth/register", map[string]string{
		"email": "revoked@example.com", "password": "a long enough password", "name": "Revoked",
	}).Expect(t, http.StatusCreated)
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	ca.Post(t, "/api/v1/auth/login", map[string]string{"email": "revoked@example.com", "password": "a long enough password"}).
		Expect(t, http.StatusOK).JSON(t, &tokens)
	ca.Token, cb.Token = tokens.AccessToken, tokens.AccessToken
	cb.Get(t, "/api/v1/accounts").Expect(t, http.StatusOK)

	// Two seconds apart from the login: a revocation refuses tokens issued up to
	// its second, so this keeps the test about propagation, not about rounding.
	time.Sleep(1100 * time.Millisecond)
	ca.Do(t, http.MethodDelete, "/api/v1/me", map[string]any{"confirmation": "DELETE"}).Expect(t, http.StatusNoContent)
	ca.Get(t, "/api/v1/accounts").ExpectProblem(t, http.StatusUnauthorized, "invalid_token")

	deadline := time.Now().Add(15 * time.Second)
	for {
		res := cb.Get(t, "/api/v1/accounts")
		if res.Status == http.StatusUnauthorized {
			res.ExpectProblem(t, http.StatusUnauthorized, "invalid_token")
			break
		}
		if res.Status != http.StatusOK {
			t.Fatalf("instance B: %d %s", res.Status, res.Body)
		}
		if time.Now().After(deadline) {
			t.Fatal("instance B still accepts the access token of a deleted user 15 s after the revocation")
		}
		time.Sleep(100 * time.Millisecond)
	}

	c := harness.Start(t, harness.Options{Engine: harness.SQLite, Env: shared})
	cc := c.Client()
	cc.Token = tokens.AccessToken
	cc.Get(t, "/api/v1/accounts").ExpectProblem(t, http.StatusUnauthorized, "invalid_token")
}
