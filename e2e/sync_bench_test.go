package e2e

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// resetPeakRSS resets the process's peak resident set size (Linux: writing 5 to
// clear_refs), so importPeakRSS reports the peak of what follows.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// bulkSyncSetup starts an instance serving the sandbox bank on engine, registers a
// user, links the bulk persona (100,000 transactions, auto sync off) and syncs its
// accounts; it returns the user's client and the connection id.
func bulkSyncSetup(b testing.TB, engine harness.Engine) (*harness.Instance, *api, string) {
	inst := harness.Start(b, harness.Options{Engine: engine, Env: sandboxEnv(b, nil)})
	anon := newAPI(inst, loadContract(b, inst), false)
	email := newEmail("bench-sync")
	anon.Post(b, "/api/v1/auth/register", map[string]any{"name": "Bench", "email": email, "password": password}).Expect(b, http.StatusCreated)
	var pair tokenPair
	anon.Post(b, "/api/v1/auth/login", map[string]any{"email": email, "password": password}).Expect(b, http.StatusOK).JSON(b, &pair)
	a := anon.with(pair.AccessToken)
	a.HTTP = &http.Client{Timeout: 15 * time.Minute} // the whole sync runs in the request
	conn := linkSandbox(b, a, "bulk", false)
	a.post(b, "/api/v1/accounts/syncs", map[string]any{"connection_id": conn}).Expect(b, http.StatusCreated)
	return inst, a, conn
}

// BenchmarkSyncBulk syncs the sandbox bank's bulk persona (100,000 transactions)
// from nothing through POST /transactions/syncs, then once more with nothing new,
// on SQLite and on PostgreSQL, and reports both times and the process's peak RSS
// during the first sync (the sandbox bank and the client run in the same process).
//
//	go test ./e2e -run '^$' -bench SyncBulk -benchtime 1x
func BenchmarkSyncBulk(b *testing.B) {
	for _, engine := range []struct {
		name string
		e    harness.Engine
	}{{"sqlite", harness.SQLite}, {"postgres", harness.Postgres}} {
		b.Run(engine.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				inst, a, conn := bulkSyncSetup(b, engine.e)
				resetPeakRSS()
				b.StartTimer()
				start := time.Now()
				var first transactionSyncResult
				a.post(b, "/api/v1/transactions/syncs", map[string]any{"connection_id": conn, "force": true}).Expect(b, http.StatusCreated).JSON(b, &first)
				took := time.Since(start)
				rss := importPeakRSS()
				start = time.Now()
				var again transactionSyncResult
				a.post(b, "/api/v1/transactions/syncs", map[string]any{"connection_id": conn, "force": true}).Expect(b, http.StatusCreated).JSON(b, &again)
				repeat := time.Since(start)
				b.StopTimer()
				entries, _, _ := ledgerCounts(b, inst, conn)
				if first.Status != "succeeded" || first.Added != 100_000 || again.Status != "succeeded" || again.Added != 0 || entries != 100_000 {
					b.Fatalf("first %+v, again %+v, %d ledger entries", first, again, entries)
				}
				b.ReportMetric(took.Seconds(), "sync-s")
				b.ReportMetric(repeat.Seconds(), "repeat-s")
				b.ReportMetric(rss, "peak-rss-MiB")
			}
		})
	}
}
