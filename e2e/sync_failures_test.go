package e2e

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// TestSyncProviderFailures syncs the sandbox's flaky persona (503 on every third
// call, 429 with Retry-After now and then) until a sync succeeds: each failure is
// a failed run with its reason while the connection stays active, Kontor's own
// Retry-After holds back the next try, and the run that succeeds leaves every
// transaction exactly once. Then a persona that withdraws consent: the sync fails
// as an auth error, the connection needs reauthorization, and further syncs are
// refused until then.
func TestSyncProviderFailures(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Postgres, Env: sandboxEnv(t, nil)})
	k := loadContract(t, inst)
	anon := newAPI(inst, k, false)
	email := newEmail("sync-flaky")
	register(t, anon, "Flo", email)
	a := anon.with(login(t, anon, email).AccessToken)

	flaky := linkSandbox(t, a, "flaky", false)
	codes := map[string]int{}
	succeeded := false
	for try := 0; try < 15 && !succeeded; try++ {
		res := a.post(t, "/api/v1/transactions/syncs", map[string]any{"connection_id": flaky, "force": true})
		if res.Status == http.StatusTooManyRequests {
			res.ExpectProblem(t, http.StatusTooManyRequests, "sync_too_soon")
			wait, err := strconv.Atoi(res.Header.Get("Retry-After"))
			if err != nil || wait < 1 || wait > 60 {
				t.Fatalf("sync_too_soon with Retry-After %q", res.Header.Get("Retry-After"))
			}
			codes["sync_too_soon"]++
			time.Sleep(time.Duration(wait) * time.Second)
			continue
		}
		var r transactionSyncResult
		res.Expect(t, http.StatusCreated).JSON(t, &r)
		if r.Status == "succeeded" {
			succeeded = true
			break
		}
		var run syncRunJSON
		a.get(t, "/api/v1/syncs/"+r.SyncID).Expect(t, http.StatusOK).JSON(t, &run)
		if run.Error == nil || run.Error.Message == "" || r.Errors == 0 {
			t.Fatalf("a failed run without its reason: %+v", run)
		}
		codes[run.Error.Code]++
		var c connectionJSON
		a.get(t, "/api/v1/connections/"+flaky).Expect(t, http.StatusOK).JSON(t, &c)
		if c.Status != "active" {
			t.Fatalf("a transient %s failure made the connection %s", run.Error.Code, c.Status)
		}
	}
	if !succeeded || codes["provider_unavailable"] == 0 {
		t.Fatalf("flaky persona: succeeded=%v after failures %v", succeeded, codes)
	}
	for code := range codes {
		if code != "provider_unavailable" && code != "rate_limited" && code != "sync_too_soon" {
			t.Fatalf("unexpected failure %s (%v)", code, codes)
		}
	}
	if entries, _, want := ledgerCounts(t, inst, flaky); entries == 0 || entries != want {
		t.Fatalf("after the failures: %d ledger entries for %d transactions", entries, want)
	}
	t.Logf("flaky persona: failures before success %v", codes)

	std := linkSandbox(t, a, "standard", false)
	a.post(t, "/api/v1/accounts/syncs", map[string]any{"connection_id": std}).Expect(t, http.StatusCreated)
	a.Client.Post(t, "/sandbox/api/personas/standard/revoke", map[string]any{}).Expect(t, http.StatusOK)
	var r transactionSyncResult
	a.post(t, "/api/v1/transactions/syncs", map[string]any{"connection_id": std, "force": true}).Expect(t, http.StatusCreated).JSON(t, &r)
	var run syncRunJSON
	a.get(t, "/api/v1/syncs/"+r.SyncID).Expect(t, http.StatusOK).JSON(t, &run)
	if r.Status != "failed" || run.Error == nil || (run.Error.Code != "auth_revoked" && run.Error.Code != "auth_expired") {
		t.Fatalf("after the consent was revoked: %+v %+v", r, run.Error)
	}
	var c connectionJSON
	a.get(t, "/api/v1/connections/"+std).Expect(t, http.StatusOK).JSON(t, &c)
	if c.Status != "needs_reauth" {
		t.Fatalf("after an auth failure the connection is %s", c.Status)
	}
	a.post(t, "/api/v1/transactions/syncs", map[string]any{"connection_id": std, "force": true}).ExpectProblem(t, http.StatusConflict, "connection_not_active")
}
