package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/money"
)

// kontorBinary builds cmd/kontor into the test's temporary directory (removed
// with it; the build cache makes a second build quick) and returns its path.
func kontorBinary(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kontor")
	cmd := exec.Command("go", "build", "-o", path, "./cmd/kontor")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/kontor: %v\n%s", err, out)
	}
	return path
}

// kontorProcess is the kontor binary running as a child process.
type kontorProcess struct {
	cmd  *exec.Cmd
	logs *bytes.Buffer
	done chan struct{}
}

// startKontor runs the kontor binary with env (over a minimal environment) and
// waits until /readyz answers 200.
func startKontor(t *testing.T, binary string, env map[string]string) *kontorProcess {
	t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &kontorProcess{cmd: cmd, logs: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	base := env["KONTOR_BASE_URL"]
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case <-p.done:
			t.Fatalf("kontor exited before it was ready: %s", p.logs)
		default:
		}
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("kontor not ready after two minutes: %s", p.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *kontorProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// TestSyncBulkKilledAndResumedPostgres is TestSyncBulkKilledAndResumed on PostgreSQL.
func TestSyncBulkKilledAndResumedPostgres(t *testing.T) {
	syncKilledAndResumed(t, map[string]string{"KONTOR_DATABASE_URL": dbtest.NewPostgresURL(t)})
}

// TestSyncBulkKilledAndResumedSQLite is TestSyncBulkKilledAndResumed on SQLite: the
// restarted process opens the same data directory.
func TestSyncBulkKilledAndResumedSQLite(t *testing.T) {
	syncKilledAndResumed(t, nil)
}

// syncKilledAndResumed runs the kontor binary, links the sandbox bank's bulk
// persona (100,000 transactions), starts a sync, kills the process with SIGKILL
// once the run has applied some pages but not all, restarts it on the same
// database and syncs again: the new run waits for the dead run's lease to lapse,
// resumes from the committed cursor, and the connection ends with exactly
// 100,000 provider entries (no duplicate, none lost) and a ledger balance equal
// to the balance the provider reports.
func syncKilledAndResumed(t *testing.T, extra map[string]string) {
	addr := freeAddr(t)
	env := map[string]string{
		"KONTOR_ADDR": addr, "KONTOR_BASE_URL": "http://" + addr, "KONTOR_SANDBOX": "true",
		"KONTOR_PROVIDERS_ALLOW_PRIVATE_NETWORKS": "true", "KONTOR_ENV": "development",
		"KONTOR_SECRET_KEY": "test-secret-key-0123456789abcdef0123456789abcdef", "KONTOR_DATA_DIR": t.TempDir(),
		"KONTOR_LOG_LEVEL": "warn", "KONTOR_RATE_LIMIT_DISABLED": "true",
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	binary := kontorBinary(t)
	first := startKontor(t, binary, env)
	inst := &harness.Instance{BaseURL: env["KONTOR_BASE_URL"], Config: cfg}
	anon := newAPI(inst, loadContract(t, inst), false)
	email := newEmail("sync-kill")
	anon.post(t, "/api/v1/auth/register", map[string]any{"name": "Kill", "email": email, "password": password}).Expect(t, http.StatusCreated)
	var pair tokenPair
	anon.post(t, "/api/v1/auth/login", map[string]any{"email": email, "password": password}).Expect(t, http.StatusOK).JSON(t, &pair)
	a := anon.with(pair.AccessToken)
	conn := linkSandbox(t, a, "bulk", false)
	a.post(t, "/api/v1/accounts/syncs", map[string]any{"connection_id": conn}).Expect(t, http.StatusCreated)

	// The sync runs in the request; the request dies with the process.
	go func() {
		c := &http.Client{Timeout: 10 * time.Minute}
		req, _ := http.NewRequest(http.MethodPost, inst.BaseURL+"/api/v1/transactions/syncs", strings.NewReader(`{"connection_id":"`+conn+`","force":true}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+pair.AccessToken)
		if res, err := c.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	var killedAt syncRunJSON
	deadline := time.Now().Add(5 * time.Minute)
	for killedAt.ID == "" {
		var list struct {
			Syncs []syncRunJSON `json:"syncs"`
		}
		a.get(t, "/api/v1/syncs?connection_id="+conn).Expect(t, http.StatusOK).JSON(t, &list)
		for _, r := range list.Syncs {
			if r.Kind == "transactions" && r.Status == "running" && r.Stats.Pages >= 3 {
				killedAt = r
			}
			if r.Kind == "transactions" && r.Status != "running" {
				t.Fatalf("the sync ended before it could be killed: %+v", r)
			}
		}
		if killedAt.ID == "" && time.Now().After(deadline) {
			t.Fatal("the sync applied no three pages in five minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	first.kill(t)
	db, err := database.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	entriesAtKill := providerEntries(t, db, conn)
	if entriesAtKill == 0 || entriesAtKill >= 100_000 {
		t.Fatalf("killed with %d provider entries applied; the test needs a run killed midway", entriesAtKill)
	}
	t.Logf("killed after %d pages reported, %d provider entries applied", killedAt.Stats.Pages, entriesAtKill)

	// The same database, a new process: the dead run's lease lapses (LeaseTTL),
	// then a sync goes through and resumes.
	startKontor(t, binary, env)
	a.HTTP = &http.Client{Timeout: 10 * time.Minute}
	var resumed transactionSyncResult
	busy := 0
	deadline = time.Now().Add(3 * time.Minute)
	for {
		res := a.post(t, "/api/v1/transactions/syncs", map[string]any{"connection_id": conn, "force": true})
		if res.Status == http.StatusConflict {
			res.ExpectProblem(t, http.StatusConflict, "sync_in_progress")
			busy++
			if time.Now().After(deadline) {
				t.Fatal("the dead run's lease never lapsed")
			}
			time.Sleep(time.Second)
			continue
		}
		res.Expect(t, http.StatusCreated).JSON(t, &resumed)
		break
	}
	if resumed.Status != "succeeded" {
		t.Fatalf("resumed sync: %+v", resumed)
	}
	entries := providerEntries(t, db, conn)
	var distinct int
	if err := db.NewRaw(`SELECT count(DISTINCT provider_transaction_id) FROM transactions WHERE provider_transaction_id NOT LIKE 'kontor:%'
AND account_id IN (SELECT id FROM accounts WHERE connection_id = ?)`, conn).Scan(context.Background(), &distinct); err != nil {
		t.Fatal(err)
	}
	if entries != 100_000 || distinct != 100_000 {
		t.Fatalf("after the restart: %d provider entries (%d distinct), want 100,000", entries, distinct)
	}
	var runs []syncRunJSON
	var list struct {
		Syncs []syncRunJSON `json:"syncs"`
	}
	a.get(t, "/api/v1/syncs?connection_id="+conn).Expect(t, http.StatusOK).JSON(t, &list)
	for _, r := range list.Syncs {
		if r.Kind == "transactions" {
			runs = append(runs, r)
		}
	}
	statuses := map[string]string{}
	for _, r := range runs {
		statuses[r.ID] = r.Status
		if r.ID == killedAt.ID && (r.Error == nil || r.Error.Code != "interrupted") {
			t.Fatalf("the killed run is not recorded as interrupted: %+v", r)
		}
	}
	if len(runs) != 2 || statuses[killedAt.ID] != "failed" || statuses[resumed.SyncID] != "succeeded" {
		t.Fatalf("transaction runs after the restart: %+v (killed %s, resumed %s)", runs, killedAt.ID, resumed.SyncID)
	}

	// The ledger agrees with itself and with the provider.
	var accounts struct {
		Accounts []struct {
			ID              string  `json:"id"`
			Balance         string  `json:"balance_amount"`
			ProviderBalance *string `json:"provider_balance_amount"`
		} `json:"accounts"`
	}
	a.get(t, "/api/v1/accounts").Expect(t, http.StatusOK).JSON(t, &accounts)
	if len(accounts.Accounts) != 1 {
		t.Fatalf("accounts: %+v", accounts.Accounts)
	}
	acct := accounts.Accounts[0]
	if acct.ProviderBalance == nil || !money.MustParse(acct.Balance).Equal(money.MustParse(*acct.ProviderBalance)) {
		t.Fatalf("balance %s, provider's balance %v", acct.Balance, acct.ProviderBalance)
	}
	var sums []string
	if err := db.NewRaw("SELECT amount FROM transactions WHERE account_id = ? AND status = 'posted'", acct.ID).Scan(context.Background(), &sums); err != nil {
		t.Fatal(err)
	}
	ledger := money.Zero
	for _, s := range sums {
		ledger = ledger.Add(money.MustParse(s))
	}
	if !ledger.Equal(money.MustParse(acct.Balance)) {
		t.Fatalf("balance %s, sum of the ledger's posted entries %s", acct.Balance, ledger)
	}
	t.Logf("postgres=%v: resumed after %d refusals while the dead run's lease lasted; %d entries, balance %s = provider's balance",
		cfg.IsPostgres(), busy, entries, acct.Balance)
}

// providerEntries counts the provider entries of the connection's accounts.
func providerEntries(t *testing.T, db *database.DB, conn string) int {
	t.Helper()
	var n int
	err := db.NewRaw(`SELECT count(*) FROM transactions WHERE provider_transaction_id IS NOT NULL AND provider_transaction_id NOT LIKE 'kontor:%'
AND account_id IN (SELECT id FROM accounts WHERE connection_id = ?)`, conn).Scan(context.Background(), &n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
