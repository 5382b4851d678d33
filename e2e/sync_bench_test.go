package e2e

import (
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// cpuSeconds is the CPU time (user and system) this process has used so far: on a
// shared machine it measures the work done, whatever the other processes take.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// postgresCPUSeconds is the CPU time the PostgreSQL container serving
// databaseURL has used so far (its cgroup's counter, read with docker exec), or
// -1 when it cannot be read (no docker CLI, another cgroup layout).
func postgresCPUSeconds(databaseURL string) float64 {
	u, err := url.Parse(databaseURL)
	if err != nil || u.Port() == "" {
		return -1
	}
	out, err := exec.Command("docker", "ps", "--format", "{{.ID}} {{.Ports}}").Output()
	if err != nil {
		return -1
	}
	id := ""
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, ":"+u.Port()+"->5432/tcp") {
			id, _, _ = strings.Cut(line, " ")
		}
	}
	if id == "" {
		return -1
	}
	read := func(script string, unit float64) float64 {
		out, err := exec.Command("docker", "exec", id, "sh", "-c", script).Output()
		if err != nil {
			return -1
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil {
			return -1
		}
		return v / unit
	}
	if v := read("cat /sys/fs/cgroup/cpuacct/cpuacct.usage", 1e9); v >= 0 { // cgroup v1: nanoseconds
		return v
	}
	return read("sed -n 's/^usage_usec //p' /sys/fs/cgroup/cpu.stat", 1e6) // cgroup v2: microseconds
}

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
// during the first sync (the sandbox bank and the client run in the same process),
// with the CPU time the process spent on the first sync (on SQLite that is all of
// the work; on PostgreSQL the server's share is not in it): on a machine shared
// with other work, wall time measures the load as much as the sync.
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
				start, cpu, pg := time.Now(), cpuSeconds(), postgresCPUSeconds(inst.Config.DatabaseURL)
				var first transactionSyncResult
				a.post(b, "/api/v1/transactions/syncs", map[string]any{"connection_id": conn, "force": true}).Expect(b, http.StatusCreated).JSON(b, &first)
				took, cpu := time.Since(start), cpuSeconds()-cpu
				if pg >= 0 {
					pg = postgresCPUSeconds(inst.Config.DatabaseURL) - pg
				}
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
				b.ReportMetric(cpu, "sync-cpu-s")
				if engine.e == harness.Postgres && pg >= 0 {
					b.ReportMetric(pg, "pg-cpu-s")
				}
				b.ReportMetric(repeat.Seconds(), "repeat-s")
				b.ReportMetric(rss, "peak-rss-MiB")
			}
		})
	}
}
