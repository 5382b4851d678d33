package bench_test

// The accounts performance benchmarks (issue 3): one user with 1,000 accounts and
// 1,000,000 transactions, 50 concurrent keep-alive clients, per scenario the count,
// throughput, p50/p95/p99/max latency, errors and queries per request, plus the plan
// of every list query on the seeded data. Run them with `task bench`, or:
//
//	go test ./e2e/bench -run '^$' -bench . -benchtime 1x -timeout 120m
//
// Add -v to see every log line in full (the query plans); without it the testing
// package keeps ten lines per benchmark. Each engine's database is seeded once per
// run and shared by its scenarios. Every scenario runs as a closed loop (each client
// sends its next request as soon as the last one is answered, which saturates the
// machine), then paced to fixed total rates. baseline_healthz measures the floor:
// the same server and load generator on a route with no authentication and no query.
// The machine may be shared: before each run the harness waits (a minute at most)
// until other programs use under 10% of it, and a run they disturbed beyond that is
// measured again, up to KONTOR_BENCH_ATTEMPTS times, keeping the least disturbed;
// every figure is reported with that share.
//
// Settings (environment): KONTOR_BENCH_CLIENTS (50), KONTOR_BENCH_DURATION (30s),
// KONTOR_BENCH_WARMUP (3s), KONTOR_BENCH_PACED_RATES (250,500 requests/s in all;
// empty skips the paced runs), KONTOR_BENCH_ATTEMPTS (2), KONTOR_BENCH_ACCOUNTS (1000),
// KONTOR_BENCH_TRANSACTIONS (1000000; the hot accounts scale with it),
// KONTOR_BENCH_DEEP_PAGES (1000), KONTOR_BENCH_PG_VIA_PROXY (1: reach PostgreSQL
// through Docker's published port), KONTOR_BENCH_PROFILE_DIR (write a CPU profile
// per scenario there) and, for experiments only, KONTOR_BENCH_MAX_OPEN_CONNS
// (resize the application's pool).

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/e2e/bench"
	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

func TestMain(m *testing.M) { harness.Main(m) }

const password = "correct horse battery staple"

// BenchmarkAccountsPostgres runs the scenarios against PostgreSQL.
func BenchmarkAccountsPostgres(b *testing.B) { benchAccounts(b, harness.Postgres) }

// BenchmarkAccountsSQLite runs the scenarios against SQLite.
func BenchmarkAccountsSQLite(b *testing.B) { benchAccounts(b, harness.SQLite) }

type settings struct {
	clients      int
	pacedRates   []float64
	maxOpenConns int
	attempts     int
	duration     time.Duration
	warmup       time.Duration
	deepPages    int
	spec         bench.Spec
}

func settingsFromEnv(b *testing.B) settings {
	s := settings{clients: 50, attempts: 2, duration: 30 * time.Second, warmup: 3 * time.Second, deepPages: 1000, spec: bench.DefaultSpec()}
	intEnv := func(name string, v *int) {
		if raw := os.Getenv(name); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 1 {
				b.Fatalf("%s=%q is not a positive integer", name, raw)
			}
			*v = n
		}
	}
	durEnv := func(name string, v *time.Duration) {
		if raw := os.Getenv(name); raw != "" {
			d, err := time.ParseDuration(raw)
			if err != nil || d < 0 {
				b.Fatalf("%s=%q is not a duration", name, raw)
			}
			*v = d
		}
	}
	intEnv("KONTOR_BENCH_CLIENTS", &s.clients)
	durEnv("KONTOR_BENCH_DURATION", &s.duration)
	durEnv("KONTOR_BENCH_WARMUP", &s.warmup)
	intEnv("KONTOR_BENCH_DEEP_PAGES", &s.deepPages)
	intEnv("KONTOR_BENCH_MAX_OPEN_CONNS", &s.maxOpenConns)
	intEnv("KONTOR_BENCH_ATTEMPTS", &s.attempts)
	rates := "250,500"
	if raw, ok := os.LookupEnv("KONTOR_BENCH_PACED_RATES"); ok {
		rates = raw
	}
	for _, r := range strings.Split(rates, ",") {
		if r = strings.TrimSpace(r); r == "" || r == "0" {
			continue
		}
		n, err := strconv.Atoi(r)
		if err != nil || n < 1 {
			b.Fatalf("KONTOR_BENCH_PACED_RATES=%q is not a list of positive integers", rates)
		}
		s.pacedRates = append(s.pacedRates, float64(n))
	}
	intEnv("KONTOR_BENCH_ACCOUNTS", &s.spec.Accounts)
	total := s.spec.Transactions
	intEnv("KONTOR_BENCH_TRANSACTIONS", &s.spec.Transactions)
	if s.spec.Transactions != total {
		for i := range s.spec.Hot {
			s.spec.Hot[i] = max(1, s.spec.Hot[i]*(s.spec.Transactions/1000)/(total/1000))
		}
	}
	return s
}

// fixture is one engine's running application over the seeded data.
type fixture struct {
	inst     *harness.Instance
	seeded   bench.Seeded
	email    string
	counter  *bench.QueryCounter
	settings settings

	accountCursors []string     // cursors of pages 2.. of the account list
	deepCursors    []deepCursor // hot accounts' cursors at several depths
	deepCursor     string       // the hottest account's cursor deepPages pages in
	base           string       // when set, the server the scenario measures instead of inst (the floor)
}

// baseURL is the server a scenario measures.
func (f *fixture) baseURL() string {
	if f.base != "" {
		return f.base
	}
	return f.inst.BaseURL
}

func benchAccounts(b *testing.B, engine harness.Engine) {
	s := settingsFromEnv(b)
	ctx := context.Background()
	env := map[string]string{"KONTOR_LOG_LEVEL": "warn"}
	if engine == harness.Postgres {
		pgURL, how := postgresURL(b)
		env["KONTOR_DATABASE_URL"] = pgURL
		b.Logf("PostgreSQL: %s", how)
	}
	inst := harness.Start(b, harness.Options{Engine: engine, Env: env})
	f := &fixture{inst: inst, settings: s, counter: &bench.QueryCounter{}}
	b.Logf("machine: %s/%s, %d CPUs (GOMAXPROCS %d), %s; app, load generator and database share them",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())

	// The user is registered through the API, so the application knows them (and
	// their casbin role) as any other user.
	c := inst.Client()
	f.email = fmt.Sprintf("bench-%d@example.test", time.Now().UnixNano())
	var me struct {
		ID string `json:"id"`
	}
	c.Post(b, "/api/v1/auth/register", map[string]string{"email": f.email, "password": password, "name": "Bench Mark"}).
		Expect(b, http.StatusCreated).JSON(b, &me)
	user := uuid.MustParse(me.ID)

	seeded, err := bench.Seed(ctx, inst.DB, user, s.spec)
	if err != nil {
		b.Fatalf("seed: %v", err)
	}
	f.seeded = seeded
	b.Logf("seeded %d accounts, %d transactions, %d transfers, %d daily deltas: generate %s, write %s, analyze %s (hot accounts hold %v entries)",
		len(seeded.Accounts), seeded.Transactions, seeded.Transfers, seeded.DailyDeltas,
		seeded.Generate.Round(time.Millisecond), seeded.Write.Round(time.Millisecond), seeded.Analyze.Round(time.Millisecond),
		seeded.Counts[:len(s.spec.Hot)])
	began := time.Now()
	if err := bench.VerifyLedger(ctx, inst.DB); err != nil {
		b.Fatalf("after seeding: %v", err)
	}
	b.Logf("ledger invariant verified over every account in %s", time.Since(began).Round(time.Millisecond))
	inst.DB.AddQueryHook(f.counter)

	f.walkCursors(b)

	if n := s.maxOpenConns; n > 0 {
		// An experiment only: the application's own pool size is the default.
		inst.DB.SetMaxOpenConns(n)
		inst.DB.SetMaxIdleConns(n)
		b.Logf("database pool set to %d connections (KONTOR_BENCH_MAX_OPEN_CONNS)", n)
	}

	hot := seeded.Hot(0).String()
	deepCursor := url.QueryEscape(f.deepCursor)
	scenarios := []struct {
		name string
		path func(*rand.Rand) string
	}{
		{"accounts_list", func(*rand.Rand) string { return "/api/v1/accounts?limit=50" }},
		{"transactions_first_page", func(*rand.Rand) string { return "/api/v1/accounts/" + hot + "/transactions?limit=50" }},
		{fmt.Sprintf("transactions_deep_page_%d", s.deepPages), func(*rand.Rand) string {
			return "/api/v1/accounts/" + hot + "/transactions?limit=50&cursor=" + deepCursor
		}},
		{"mixed", f.mixed},
	}
	// The floor: the cheapest route of the same server, no authentication, no query.
	b.Run("baseline_healthz", func(b *testing.B) { f.scenario(b, func(*rand.Rand) string { return "/healthz" }, 0) })
	// The floor of the transaction page: bench.NewFloor on the same database, in
	// this process, with the application's tokens; compare with
	// transactions_first_page.
	floor := bench.NewFloor(inst.DB, inst.Config.SecretKey)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go floor.Listener(ln) //nolint:errcheck // ends with Shutdown below
	b.Cleanup(func() { _ = floor.Shutdown() })
	b.Run("floor_transactions_first_page", func(b *testing.B) {
		f.base = "http://" + ln.Addr().String()
		defer func() { f.base = "" }()
		f.scenario(b, scenarios[1].path, 0)
	})
	for _, sc := range scenarios {
		b.Run(sc.name, func(b *testing.B) { f.scenario(b, sc.path, 0) })
	}
	for _, rate := range s.pacedRates {
		for _, sc := range scenarios {
			b.Run(fmt.Sprintf("%s_paced_%.0frps", sc.name, rate), func(b *testing.B) { f.scenario(b, sc.path, rate) })
		}
	}
}

// postgresURL returns a fresh, migrated database in the test container. Its
// published port on 127.0.0.1 goes through Docker's userland proxy, which copies
// every byte between application and server and, in a first run, cost as much CPU
// per request as the PostgreSQL backends themselves; a deployment has no such hop.
// So the URL names the container's own address on Docker's bridge when the host
// can reach it (Linux), unless KONTOR_BENCH_PG_VIA_PROXY=1.
func postgresURL(b *testing.B) (string, string) {
	published := dbtest.NewPostgresURL(b)
	if os.Getenv("KONTOR_BENCH_PG_VIA_PROXY") == "1" {
		return published, "through the published port and Docker's proxy (KONTOR_BENCH_PG_VIA_PROXY=1)"
	}
	db, err := database.OpenPostgres(published)
	if err != nil {
		b.Fatal(err)
	}
	var host string
	var port int
	err = db.QueryRowContext(context.Background(), "SELECT host(inet_server_addr()), inet_server_port()").Scan(&host, &port)
	db.Close()
	if err != nil {
		b.Fatal(err)
	}
	direct := net.JoinHostPort(host, strconv.Itoa(port))
	conn, err := net.DialTimeout("tcp", direct, 2*time.Second)
	if err != nil {
		return published, fmt.Sprintf("through the published port and Docker's proxy (the container's address %s is not reachable: %v)", direct, err)
	}
	conn.Close()
	u, err := url.Parse(published)
	if err != nil {
		b.Fatal(err)
	}
	u.Host = direct
	return u.String(), "straight to the container at " + direct + ", not through Docker's proxy"
}

// mixed is a plausible blend of reads: account lists (first and later pages), first
// pages of any account's transactions, deep pages of hot accounts, and the ledger
// across all accounts.
func (f *fixture) mixed(rng *rand.Rand) string {
	switch r := rng.IntN(100); {
	case r < 35:
		return "/api/v1/accounts?limit=50"
	case r < 45:
		return "/api/v1/accounts?limit=50&cursor=" + url.QueryEscape(f.accountCursors[rng.IntN(len(f.accountCursors))])
	case r < 70:
		id := f.seeded.Accounts[rng.IntN(len(f.seeded.Accounts))]
		return "/api/v1/accounts/" + id.String() + "/transactions?limit=50"
	case r < 90:
		d := f.deepCursors[rng.IntN(len(f.deepCursors))]
		return "/api/v1/accounts/" + d.account.String() + "/transactions?limit=50&cursor=" + url.QueryEscape(d.cursor)
	}
	return "/api/v1/transactions?limit=50"
}

// deepCursor is a cursor some pages into an account's transactions.
type deepCursor struct {
	account uuid.UUID
	cursor  string
}

type page struct {
	NextCursor *string `json:"next_cursor"`
	HasMore    bool    `json:"has_more"`
}

// walkCursors follows next_cursor through the account list and deep into each hot
// account's transactions, as a client paging through them would.
func (f *fixture) walkCursors(b *testing.B) {
	c := f.client(b)
	began := time.Now()
	next := ""
	for {
		path := "/api/v1/accounts?limit=50"
		if next != "" {
			path += "&cursor=" + url.QueryEscape(next)
		}
		var p page
		c.Get(b, path).Expect(b, http.StatusOK).JSON(b, &p)
		if !p.HasMore || p.NextCursor == nil {
			break
		}
		next = *p.NextCursor
		f.accountCursors = append(f.accountCursors, next)
	}
	if len(f.accountCursors) == 0 {
		b.Fatalf("the account list has a single page; the mixed scenario needs more")
	}
	depths := map[int]bool{10: true, 100: true, f.settings.deepPages / 2: true, f.settings.deepPages: true}
	requests := 0
	for i := range f.settings.spec.Hot {
		id := f.seeded.Hot(i)
		next = ""
		for n := 1; n <= f.settings.deepPages; n++ {
			path := "/api/v1/accounts/" + id.String() + "/transactions?limit=50"
			if next != "" {
				path += "&cursor=" + url.QueryEscape(next)
			}
			var p page
			c.Get(b, path).Expect(b, http.StatusOK).JSON(b, &p)
			requests++
			if !p.HasMore || p.NextCursor == nil {
				if i == 0 {
					b.Fatalf("the hottest account has only %d pages; the deep scenario needs %d", n, f.settings.deepPages+1)
				}
				break
			}
			next = *p.NextCursor
			if depths[n] {
				f.deepCursors = append(f.deepCursors, deepCursor{account: id, cursor: next})
			}
		}
		if i == 0 {
			f.deepCursor = next
		}
	}
	b.Logf("followed next_cursor through %d account pages and %d transaction pages (up to %d per hot account) in %s",
		len(f.accountCursors)+1, requests, f.settings.deepPages, time.Since(began).Round(time.Millisecond))
}

// client logs the user in (access tokens last 15 minutes, a whole run longer).
func (f *fixture) client(b *testing.B) *harness.Client {
	c := f.inst.Client()
	var pair struct {
		AccessToken string `json:"access_token"`
	}
	c.Post(b, "/api/v1/auth/login", map[string]string{"email": f.email, "password": password}).Expect(b, http.StatusOK).JSON(b, &pair)
	c.Token = pair.AccessToken
	return c
}

// probeRequests is how many requests, one at a time, measure queries per request.
const probeRequests = 20

// scenario shows the plans of the queries behind path's requests, counts queries
// per request, and then runs the load and reports it.
func (f *fixture) scenario(b *testing.B, path func(*rand.Rand) string, rate float64) {
	ctx := context.Background()
	c := f.client(b)
	c.BaseURL = f.baseURL()
	rng := rand.New(rand.NewPCG(7, 7))

	// Plans: every distinct query behind a sample of requests, run on the seeded data.
	seen := map[string]bool{}
	unindexed := 0
	queries := f.counter.Record(func() {
		for range 10 {
			c.Get(b, path(rng)).Expect(b, http.StatusOK)
		}
	})
	for _, q := range queries {
		shape := queryShape(q)
		if seen[shape] || !strings.HasPrefix(strings.TrimSpace(strings.ToUpper(q)), "SELECT") {
			continue
		}
		seen[shape] = true
		plan, err := bench.Explain(ctx, f.inst.DB, q)
		if err != nil {
			b.Fatalf("explain %s: %v", q, err)
		}
		verdict := "index walk"
		if !bench.UsesIndex(f.inst.DB.Dialect, plan) {
			verdict = "NO INDEX WALK"
			unindexed++
		}
		b.Logf("%s\n  %s\n%s", verdict, q, indent(plan))
		if verdict != "index walk" && f.inst.DB.Dialect == database.Postgres {
			alt, err := bench.ExplainWithoutSeqScan(ctx, f.inst.DB, q)
			if err != nil {
				b.Fatalf("explain %s: %v", q, err)
			}
			b.Logf("the same with enable_seqscan and enable_bitmapscan off (the index plan the planner turned down):\n%s", indent(alt))
		}
	}

	// Queries per request, one request at a time.
	before, _ := f.counter.Count()
	for range probeRequests {
		c.Get(b, path(rng)).Expect(b, http.StatusOK)
	}
	after, _ := f.counter.Count()
	perRequest := float64(after-before) / probeRequests

	// The machine is shared: wait for other programs to quieten down, and measure
	// again (keeping the least disturbed attempt) when they did not keep quiet.
	stopProfile := f.profile(b)
	var m measurement
	for attempt := 1; attempt <= f.settings.attempts; attempt++ {
		f.waitQuiet(b)
		next := f.measure(ctx, c.Token, path, rate)
		if attempt == 1 || next.use.Others < m.use.Others {
			m = next
		}
		if next.use.Others <= quietShare {
			break
		}
		b.Logf("attempt %d: other programs used %.0f%% of the machine (%s)", attempt, next.use.Others*100, next.res)
	}
	stopProfile()
	res, use := m.res, m.use
	// CPU per request counts the warm-up's requests too, in proportion to its time.
	perReq := func(d time.Duration) float64 {
		return bench.Millis(d) / float64(max(1, res.Requests)) * float64(f.settings.duration) / float64(f.settings.duration+f.settings.warmup)
	}
	appCPU, serverCPU := perReq(use.Process), perReq(use.Server)
	mode := "closed loop"
	if rate > 0 {
		mode = fmt.Sprintf("paced to %.0f requests/s", rate)
	}
	b.Logf("%s on %s, %d clients, %s: %s; %.1f queries/request; %.2fms in the database per request (including waits for a connection); "+
		"CPU per request: %.2fms in this process (app and load generator), %.2fms in PostgreSQL (backends and Docker proxy); "+
		"machine %.0f%% busy, %.0f%% of it by other programs (%.0f%% stolen by the hypervisor); load average %s",
		b.Name(), engineName(f.inst.DB), f.settings.clients, mode, res, perRequest,
		bench.Millis(m.dbTime)/float64(max(1, res.Requests)), appCPU, serverCPU,
		use.MachineBusy*100, use.Others*100, use.Steal*100, m.loadAverage)
	if res.Errors > 0 {
		b.Logf("first error: %s", res.FirstError)
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(res.Requests), "requests")
	b.ReportMetric(res.Throughput, "req/s")
	b.ReportMetric(bench.Millis(res.P50), "p50-ms")
	b.ReportMetric(bench.Millis(res.P95), "p95-ms")
	b.ReportMetric(bench.Millis(res.P99), "p99-ms")
	b.ReportMetric(bench.Millis(res.Max), "max-ms")
	b.ReportMetric(float64(res.Errors), "errors")
	b.ReportMetric(perRequest, "queries/req")
	b.ReportMetric(float64(unindexed), "unindexed-queries")
	b.ReportMetric(appCPU, "app-cpu-ms/req")
	if serverCPU > 0 {
		b.ReportMetric(serverCPU, "pg-cpu-ms/req")
	}
	b.ReportMetric(use.Others*100, "others-cpu-%")
}

// quietShare is the share of the machine other programs may use during a run that
// counts as undisturbed.
const quietShare = 0.10

// measurement is one load run and what it cost.
type measurement struct {
	res         bench.Result
	use         bench.CPUUse
	dbTime      time.Duration
	loadAverage string
}

func (f *fixture) measure(ctx context.Context, token string, path func(*rand.Rand) string, rate float64) measurement {
	_, dbBefore := f.counter.Count()
	cpu := bench.SampleCPU(f.serverMatches()...)
	res := bench.Load{
		BaseURL: f.baseURL(), Token: token, Clients: f.settings.clients,
		Warmup: f.settings.warmup, Duration: f.settings.duration, Path: path, Rate: rate,
	}.Run(ctx)
	use := cpu.Since()
	_, dbAfter := f.counter.Count()
	return measurement{res: res, use: use, dbTime: dbAfter - dbBefore, loadAverage: loadAverage()}
}

// waitQuiet waits, a minute at most, until other programs use less than quietShare
// of the machine while the application idles.
func (f *fixture) waitQuiet(b *testing.B) {
	deadline := time.Now().Add(time.Minute)
	for {
		sample := bench.SampleCPU(f.serverMatches()...)
		time.Sleep(2 * time.Second)
		others := sample.Since().Others
		if others <= quietShare {
			return
		}
		if time.Now().After(deadline) {
			b.Logf("other programs still use %.0f%% of the machine after a minute's wait; measuring anyway", others*100)
			return
		}
	}
}

// profile writes a CPU profile of the load run into $KONTOR_BENCH_PROFILE_DIR, if set.
func (f *fixture) profile(b *testing.B) (stop func()) {
	dir := os.Getenv("KONTOR_BENCH_PROFILE_DIR")
	if dir == "" {
		return func() {}
	}
	name := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(b.Name())+".cpu.pprof")
	out, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		out.Close()
		b.Logf("CPU profile in %s", name)
	}
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(raw))[:3], " ")
}

func engineName(db *database.DB) string { return string(db.Dialect) }

// serverMatches pick the processes that serve this run's PostgreSQL database: its
// backends, which show the database's name, and the Docker proxy publishing the
// container's port on the host, which every byte between the two goes through.
func (f *fixture) serverMatches() []string {
	if f.inst.DB.Dialect != database.Postgres {
		return nil
	}
	u, err := url.Parse(f.inst.Config.DatabaseURL)
	if err != nil {
		return nil
	}
	return []string{" " + strings.TrimPrefix(u.Path, "/") + " ", "docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port " + u.Port() + " "}
}

// queryShape is the query with its quoted literals blanked, so the same statement
// with other arguments is explained once.
func queryShape(q string) string {
	var out strings.Builder
	in := false
	for _, r := range q {
		if r == '\'' {
			in = !in
			continue
		}
		if !in {
			out.WriteRune(r)
		}
	}
	return out.String()
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }
