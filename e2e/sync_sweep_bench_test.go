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
// closed, and returns every request's start and duration.
func latencies(a *api, path string, clients int, stop <-chan struct{}) ([]sample, error) {
	var mu sync.Mutex
	var all []sample
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
				all = append(all, sample{start, took})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f != nil {
		return all, fmt.Errorf("%v", f)
	}
	return all, nil
}

// sample is one request: when it started and how long it took.
type sample struct {
	at   time.Time
	took time.Duration
}

// within returns the durations of the requests started in [from, to], sorted.
func within(all []sample, from, to time.Time) []time.Duration {
	var out []time.Duration
	for _, s := range all {
		if !s.at.Before(from) && !s.at.After(to) {
			out = append(out, s.took)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// transactionRuns counts the instance's transaction runs, and those finished.
func transactionRuns(b testing.TB, inst *harness.Instance) (all, finished int) {
	ctx := context.Background()
	if err := inst.DB.NewRaw("SELECT count(*) FROM sync_runs WHERE kind = 'transactions'").Scan(ctx, &all); err != nil {
		b.Fatal(err)
	}
	if err := inst.DB.NewRaw("SELECT count(*) FROM sync_runs WHERE kind = 'transactions' AND status <> 'running'").Scan(ctx, &finished); err != nil {
		b.Fatal(err)
	}
	return all, finished
}

// BenchmarkSyncSweep100 links 100 connections to the sandbox bank's standard
// persona (auto sync off), then lets the scheduler sweep them: auto sync is
// turned on for all, the next tick of the periodic job (every minute) queues a
// sync job per connection and River's workers run them. GET /api/v1/accounts is
// measured by four clients during that first sweep (from nothing), for 15 s with
// no sync running, and during a second sweep (every connection made due again:
// incremental syncs with nothing new), each sweep from its first run's start to
// its last run's end; it reports each phase's p50 and p99 and how long each sweep
// ran. The second sweep and the quiet phase see the same 500 accounts. PostgreSQL by default,
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

		// sweep makes the connections due, waits for the tick to queue them and
		// River to run them, and measures GET /accounts from the first run's start
		// to the last run's end.
		sweep := func(name string, due func()) time.Duration {
			baseAll, base := transactionRuns(b, inst)
			stop := make(chan struct{})
			var lat []sample
			var latErr error
			done := make(chan struct{})
			go func() { lat, latErr = latencies(a, "/api/v1/accounts", 4, stop); close(done) }()
			due()
			var began time.Time
			deadline := time.Now().Add(15 * time.Minute)
			for {
				all, finished := transactionRuns(b, inst)
				if began.IsZero() && all > baseAll {
					began = time.Now()
				}
				if finished >= base+connections {
					break
				}
				if time.Now().After(deadline) {
					close(stop)
					<-done
					b.Fatalf("%s: %d of %d runs finished in 15 minutes", name, finished-base, connections)
				}
				time.Sleep(100 * time.Millisecond)
			}
			ended := time.Now()
			close(stop)
			<-done
			if latErr != nil {
				b.Fatal(latErr)
			}
			during := within(lat, began, ended)
			b.ReportMetric(float64(quantile(during, 0.5).Microseconds())/1000, name+"-p50-ms")
			b.ReportMetric(float64(quantile(during, 0.99).Microseconds())/1000, name+"-p99-ms")
			b.Logf("%s: %d GET /api/v1/accounts while it ran, p50 %s, p99 %s; the sweep ran %s from its first run's start to its last run's end",
				name, len(during), quantile(during, 0.5), quantile(during, 0.99), ended.Sub(began).Round(time.Millisecond))
			return ended.Sub(began)
		}

		first := sweep("sweep1", func() {
			for _, id := range ids {
				a.call(b, http.MethodPatch, "/api/v1/connections/"+id, map[string]any{"auto_sync": true}).Expect(b, http.StatusOK)
			}
		})

		stop := make(chan struct{})
		time.AfterFunc(15*time.Second, func() { close(stop) })
		from := time.Now()
		samples, err := latencies(a, "/api/v1/accounts", 4, stop)
		if err != nil {
			b.Fatal(err)
		}
		idle := within(samples, from, time.Now())
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
