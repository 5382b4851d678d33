package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

// processRSS is a process's resident set size and its peak (VmRSS, VmHWM) in MiB,
// read from /proc (zeros where /proc is missing).
func processRSS(pid int) (rss, peak float64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var kb float64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), "%f", &kb)
			rss = kb / 1024
		case strings.HasPrefix(line, "VmHWM:"):
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
			peak = kb / 1024
		}
	}
	return rss, peak
}

// streamUpload posts file as the multipart field "file" without holding the
// request body in this process (the client writes it as it is sent), so only the
// server's own memory grows with the file.
func streamUpload(tb testing.TB, base, token, connectionID string, file []byte) importJSON {
	tb.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile("file", "big.ofx")
		if err == nil {
			_, err = fw.Write(file)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/connections/"+connectionID+"/imports", pr)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := (&http.Client{Timeout: 15 * time.Minute}).Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		tb.Fatalf("import: %d %s", res.StatusCode, body)
	}
	var sum importJSON
	if err := json.Unmarshal(body, &sum); err != nil {
		tb.Fatal(err)
	}
	return sum
}

// BenchmarkConnectionsImportMemory runs the kontor binary and imports a generated
// OFX statement of 10,000, 50,000 and 100,000 transactions through
// POST /connections/{id}/imports, then the same file again (nothing added), each
// size in a process and database of its own. It reports the server process's RSS
// just before the import, its peak RSS (VmHWM, reset just before the import so
// start-up and log-in do not count) after the first import and after both, and
// both times; and, from the runtime's own trace of each garbage collection during
// the first import (GODEBUG=gctrace=1), how many ran, the largest live heap one
// left (what the import holds) and the largest heap one started at (what it holds
// plus the garbage the collector's goal lets build up). SQLite and PostgreSQL by
// default; KONTOR_BENCH_ENGINE=sqlite or
// postgres runs one; KONTOR_BENCH_BINARY names a kontor binary built elsewhere
// (another commit, to compare) instead of this tree's.
//
// KONTOR_BENCH_SETTLE (a duration, e.g. 130s) waits that long between the log-in
// and the imports. A log-in hashes the password with Argon2id (64 MiB), which
// leaves the Go heap's collection goal near 190 MB until the runtime's forced
// collection (every two minutes): without the wait, whatever runs next, an import
// included, may grow the heap up to that goal before anything is collected. Every
// process is prepared first, so all of them settle during one wait.
//
//	KONTOR_BENCH_SETTLE=130s go test ./e2e -run '^$' -bench ConnectionsImportMemory -benchtime 1x -timeout 30m
func BenchmarkConnectionsImportMemory(b *testing.B) {
	engines := []harness.Engine{harness.SQLite, harness.Postgres}
	switch os.Getenv("KONTOR_BENCH_ENGINE") {
	case "sqlite":
		engines = engines[:1]
	case "postgres":
		engines = engines[1:]
	}
	var settle time.Duration
	if v := os.Getenv("KONTOR_BENCH_SETTLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("KONTOR_BENCH_SETTLE: %v", err)
		}
		settle = d
	}
	binary := os.Getenv("KONTOR_BENCH_BINARY")
	if binary == "" {
		binary = kontorBinary(b)
	}
	type run struct {
		name  string
		n     int
		file  []byte
		proc  *tracedKontor
		base  string
		token string
	}
	var runs []*run
	for _, engine := range engines {
		for _, n := range []int{10_000, 50_000, 100_000} {
			name := "sqlite"
			if engine == harness.Postgres {
				name = "postgres"
			}
			r := &run{name: fmt.Sprintf("%s/%dk", name, n/1000), n: n, file: []byte(bigOFX(n))}
			r.proc, r.base, r.token = importServer(b, binary, engine)
			runs = append(runs, r)
		}
	}
	time.Sleep(settle)
	for _, r := range runs {
		b.Run(r.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				importMemoryOnce(b, r.proc, r.base, r.token, r.file, r.n)
			}
		})
	}
}

// importServer starts the kontor binary on a database of its own and returns it
// with its base URL and a user's access token.
func importServer(b *testing.B, binary string, engine harness.Engine) (*tracedKontor, string, string) {
	addr := freeAddr(b)
	env := map[string]string{
		"KONTOR_ADDR": addr, "KONTOR_BASE_URL": "http://" + addr, "KONTOR_ENV": "development",
		"KONTOR_SECRET_KEY": "test-secret-key-0123456789abcdef0123456789abcdef", "KONTOR_DATA_DIR": b.TempDir(),
		"KONTOR_LOG_LEVEL": "warn", "KONTOR_RATE_LIMIT_DISABLED": "true",
	}
	if engine == harness.Postgres {
		env["KONTOR_DATABASE_URL"] = dbtest.NewPostgresURL(b)
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	env["GODEBUG"] = "gctrace=1"
	p := startTracedKontor(b, binary, env)
	inst := &harness.Instance{BaseURL: env["KONTOR_BASE_URL"], Config: cfg}
	anon := newAPI(inst, nil, false)
	email := newEmail("bench-import-memory")
	anon.Post(b, "/api/v1/auth/register", map[string]any{"name": "Bench", "email": email, "password": password}).Expect(b, http.StatusCreated)
	var pair tokenPair
	anon.Post(b, "/api/v1/auth/login", map[string]any{"email": email, "password": password}).Expect(b, http.StatusOK).JSON(b, &pair)
	return p, inst.BaseURL, pair.AccessToken
}

func importMemoryOnce(b *testing.B, p *tracedKontor, base, token string, file []byte, n int) {
	a := newAPI(&harness.Instance{BaseURL: base}, nil, false).with(token)
	var created struct {
		Connection connectionJSON `json:"connection"`
	}
	a.Post(b, "/api/v1/connections", map[string]any{"provider": "ofx"}).Expect(b, http.StatusCreated).JSON(b, &created)
	pid := p.cmd.Process.Pid
	before, _ := processRSS(pid)
	// Start the peak over from the present RSS (Linux: "5" to clear_refs resets
	// VmHWM), so the peak is the import's and not the start-up's or log-in's.
	if err := os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("the peak could not be reset (%v): it includes start-up and log-in", err)
	}
	gcs := len(p.collections())
	b.StartTimer()
	start := time.Now()
	sum := streamUpload(b, base, token, created.Connection.ID, file)
	first := time.Since(start)
	_, peakFirst := processRSS(pid)
	during := p.collections()[gcs:]
	start = time.Now()
	again := streamUpload(b, base, token, created.Connection.ID, file)
	second := time.Since(start)
	b.StopTimer()
	_, peak := processRSS(pid)
	if sum.TransactionsAdded != n || again.TransactionsAdded != 0 || again.Duplicates != n {
		b.Fatalf("first %+v, again %+v", sum, again)
	}
	b.ReportMetric(float64(len(file))/(1<<20), "file-MiB")
	b.ReportMetric(before, "rss-before-MiB")
	b.ReportMetric(peakFirst, "peak-rss-import-MiB")
	b.ReportMetric(peak, "peak-rss-MiB")
	var live, heap float64
	for _, c := range during {
		live, heap = max(live, c.live), max(heap, c.start)
	}
	b.ReportMetric(float64(len(during)), "gcs")
	b.ReportMetric(live, "max-live-heap-MB")
	b.ReportMetric(heap, "max-heap-MB")
	b.ReportMetric(first.Seconds(), "import-s")
	b.ReportMetric(second.Seconds(), "reimport-s")
}

// tracedKontor is the kontor binary run with GODEBUG=gctrace=1: the runtime writes a
// line per garbage collection to stderr, kept here.
type tracedKontor struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs bytes.Buffer
	done chan struct{}
}

func (p *tracedKontor) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.Write(b)
}

// collection is one garbage collection as gctrace reports it: the heap when it
// started and the live heap it left, in MB.
type collection struct{ start, live float64 }

var gcLine = regexp.MustCompile(`(?m)^gc \d+ @.*?, (\d+)->(\d+)->(\d+) MB, `)

// collections returns every collection so far, oldest first.
func (p *tracedKontor) collections() []collection {
	p.mu.Lock()
	text := p.logs.String()
	p.mu.Unlock()
	var out []collection
	for _, m := range gcLine.FindAllStringSubmatch(text, -1) {
		start, _ := strconv.ParseFloat(m[1], 64)
		live, _ := strconv.ParseFloat(m[3], 64)
		out = append(out, collection{start: start, live: live})
	}
	return out
}

// startTracedKontor runs the kontor binary like startKontor, keeping its output
// where collections can read it while it runs.
func startTracedKontor(tb testing.TB, binary string, env map[string]string) *tracedKontor {
	tb.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &tracedKontor{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p, p
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case <-p.done:
			tb.Fatalf("kontor exited before it was ready: %s", p.logs.String())
		default:
		}
		res, err := http.Get(env["KONTOR_BASE_URL"] + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("kontor not ready after two minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
