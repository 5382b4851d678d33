package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// latencies measures GET path with clients concurrent clients until stop is
// closed, and returns every request's duration, sorted.
func latencies(a *api, path string, clients int, stop <-chan struct{}) ([]time.Duration, error) {
	var mu sync.Mutex
	var all []time.Duration
	var failed atomic.Value
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := *a.Client
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				req, _ := http.NewRequest(http.MethodGet, c.BaseURL+path, nil)
				req.Header.Set("Authorization", "Bearer "+c.Token)
				res, err := c.HTTP.Do(req)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				_ = res.Body.Close()
				took := time.Since(start)
				if res.StatusCode != http.StatusOK {
					failed.Store(fmt.Sprintf("GET %s answered %d", path, res.StatusCode))
					return
				}
				mu.Lock()
				all = append(all, took)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if f := failed.Load(); f != nil {
		return all, fmt.Errorf("%v", f)
	}
	return all, nil
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// finishedRuns counts the finished transaction runs of the instance.
func finishedRuns(b testing.TB, inst *harness.Instance) int {
	var n int
	if err := inst.DB.NewRaw("SELECT count(*) FROM sync_runs WHERE kind = 'transactions' AND status <> 'running'").Scan(context.Background(), &n); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkSyncSweep100 links 100 connections to the sandbox bank's standard
// persona (auto sync off), then lets the scheduler sweep them: auto sync is
// turned on for all, the next tick of the periodic job (every minute) queues a
// sync job per connection and River's workers run them. GET /api/v1/accounts is
// measured by four clients during that first sweep (from nothing), for 15 s with
// no sync running, and during a second sweep (every connection made due again:
// incremental syncs with nothing new); it reports each phase's p50 and p99 and
// how long each sweep took from its first run to its last. PostgreSQL by default,
// KONTOR_BENCH_ENGINE=sqlite for SQLite.
//
//	go test ./e2e -run '^$' -bench SyncSweep100 -benchtime 1x -timeout 30m
func BenchmarkSyncSweep100(b *testing.B) {
	engine := harness.Postgres
	if os.Getenv("KONTOR_BENCH_ENGINE") == "sqlite" {
		engine = harness.SQLite
	}
	const connections = 100
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		inst := harness.Start(b, harness.Options{Engine: engine, Env: sandboxEnv(b, nil)})
		anon := newAPI(inst, loadContract(b, inst), false)
		email := newEmail("bench-sweep")
		anon.Post(b, "/api/v1/auth/register", map[string]any{"name": "Sweep", "email": email, "password": password}).Expect(b, http.StatusCreated)
		var pair tokenPair
		anon.Post(b, "/api/v1/auth/login", map[string]any{"email": email, "password": password}).Expect(b, http.StatusOK).JSON(b, &pair)
		a := anon.with(pair.AccessToken)
		ids := make([]string, connections)
		for j := range ids {
			ids[j] = linkSandbox(b, a, "standard", false)
		}
		b.StartTimer()

		sweep := func(name string, due func()) time.Duration {
			base := finishedRuns(b, inst)
			stop := make(chan struct{})
			var lat []time.Duration
			var latErr error
			done := make(chan struct{})
			go func() { lat, latErr = latencies(a, "/api/v1/accounts", 4, stop); close(done) }()
			due()
			start := time.Now()
			deadline := start.Add(15 * time.Minute)
			for finishedRuns(b, inst) < base+connections {
				if time.Now().After(deadline) {
					close(stop)
					<-done
					b.Fatalf("%s: %d of %d runs finished in 15 minutes", name, finishedRuns(b, inst)-base, connections)
				}
				time.Sleep(200 * time.Millisecond)
			}
			took := time.Since(start)
			close(stop)
			<-done
			if latErr != nil {
				b.Fatal(latErr)
			}
			b.ReportMetric(float64(quantile(lat, 0.5).Microseconds())/1000, name+"-p50-ms")
			b.ReportMetric(float64(quantile(lat, 0.99).Microseconds())/1000, name+"-p99-ms")
			b.Logf("%s: %d GET /api/v1/accounts, p50 %s, p99 %s; sweep done %s after it was made due (the tick runs every minute)",
				name, len(lat), quantile(lat, 0.5), quantile(lat, 0.99), took.Round(time.Millisecond))
			return took
		}

		first := sweep("sweep1", func() {
			for _, id := range ids {
				a.call(b, http.MethodPatch, "/api/v1/connections/"+id, map[string]any{"auto_sync": true}).Expect(b, http.StatusOK)
			}
		})

		stop := make(chan struct{})
		time.AfterFunc(15*time.Second, func() { close(stop) })
		idle, err := latencies(a, "/api/v1/accounts", 4, stop)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(quantile(idle, 0.5).Microseconds())/1000, "idle-p50-ms")
		b.ReportMetric(float64(quantile(idle, 0.99).Microseconds())/1000, "idle-p99-ms")
		b.Logf("no sweep: %d GET /api/v1/accounts, p50 %s, p99 %s", len(idle), quantile(idle, 0.5), quantile(idle, 0.99))

		second := sweep("sweep2", func() {
			if _, err := inst.DB.NewRaw("UPDATE connections SET next_sync_at = ? WHERE auto_sync", time.Now().UTC().Add(-time.Minute)).Exec(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
		b.StopTimer()
		b.ReportMetric(first.Seconds(), "sweep1-s")
		b.ReportMetric(second.Seconds(), "sweep2-s")
		var accounts int
		if err := inst.DB.NewRaw("SELECT count(*) FROM accounts WHERE connection_id IS NOT NULL").Scan(context.Background(), &accounts); err != nil {
			b.Fatal(err)
		}
		b.Logf("%d linked accounts after the sweeps", accounts)
	}
}
