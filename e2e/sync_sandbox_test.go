package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// freeAddr returns a loopback address with a port free a moment ago, so an
// instance's base URL (and with it the sandbox URL and the OAuth redirect) can
// be known before it starts.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// sandboxEnv runs an instance that serves the sandbox bank and reaches it over
// plain HTTP on loopback, as its own provider.
func sandboxEnv(t testing.TB, extra map[string]string) map[string]string {
	addr := freeAddr(t)
	env := map[string]string{
		"KONTOR_ADDR": addr, "KONTOR_BASE_URL": "http://" + addr, "KONTOR_SANDBOX": "true",
		"KONTOR_PROVIDERS_ALLOW_PRIVATE_NETWORKS": "true",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

var consentForm = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)">.*?name="request" value="([^"]+)"`)

// linkSandbox links the persona over the JSON API, driving the bank's consent
// form with plain HTTP, and returns the active connection's id. Without
// autoSync the connection is never scheduled (turned off before it is linked).
func linkSandbox(t testing.TB, a *api, persona string, autoSync bool) string {
	t.Helper()
	var created struct {
		Connection       connectionJSON `json:"connection"`
		AuthorizationURL *string        `json:"authorization_url"`
	}
	a.post(t, "/api/v1/connections", map[string]any{"provider": "sandbox", "alias": persona}).Expect(t, http.StatusCreated).JSON(t, &created)
	if created.AuthorizationURL == nil || created.Connection.Status != "pending" {
		t.Fatalf("sandbox link: %+v", created)
	}
	if !autoSync {
		a.call(t, http.MethodPatch, "/api/v1/connections/"+created.Connection.ID, map[string]any{"auto_sync": false}).Expect(t, http.StatusOK)
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 5 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(*created.AuthorizationURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := consentForm.FindStringSubmatch(string(page))
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("consent page %d: %.500s", res.StatusCode, page)
	}
	action, err := res.Request.URL.Parse(htmlUnescape(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	res, err = hc.PostForm(action.String(), url.Values{"request": {htmlUnescape(m[2])}, "persona": {persona}, "decision": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("consent answered %d, Location %q: %.600s", res.StatusCode, res.Header.Get("Location"), answer)
	}
	var done struct {
		Connection connectionJSON `json:"connection"`
	}
	a.post(t, "/api/v1/connections/callback", map[string]any{"code": loc.Query().Get("code"), "state": loc.Query().Get("state")}).
		Expect(t, http.StatusOK).JSON(t, &done)
	if done.Connection.Status != "active" {
		t.Fatalf("after the callback: %+v", done.Connection)
	}
	return done.Connection.ID
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&quot;", `"`).Replace(s)
}

type accountSyncResult struct {
	SyncID          string `json:"sync_id"`
	Status          string `json:"status"`
	Created         int    `json:"created"`
	Errors          int    `json:"errors"`
	Message         string `json:"message"`
	AccountsCreated int    `json:"accounts_created"`
}

type transactionSyncResult struct {
	SyncID     string `json:"sync_id"`
	Status     string `json:"status"`
	Added      int    `json:"added"`
	Modified   int    `json:"modified"`
	Removed    int    `json:"removed"`
	Duplicates int    `json:"duplicates"`
	Errors     int    `json:"errors"`
	Message    string `json:"message"`
}

// ledgerCounts returns the provider entries of the connection's accounts in the
// ledger, how many are pending, and how many distinct entries the sync's facts
// say there must be.
func ledgerCounts(t testing.TB, inst *harness.Instance, connectionID string) (entries, pending, want int) {
	t.Helper()
	ctx := context.Background()
	q := "SELECT count(*) FROM transactions WHERE provider_transaction_id IS NOT NULL AND provider_transaction_id NOT LIKE 'kontor:%' AND account_id IN (SELECT id FROM accounts WHERE connection_id = ?)"
	if err := inst.DB.NewRaw(q, connectionID).Scan(ctx, &entries); err != nil {
		t.Fatal(err)
	}
	if err := inst.DB.NewRaw(q+" AND status = 'pending'", connectionID).Scan(ctx, &pending); err != nil {
		t.Fatal(err)
	}
	f := "SELECT count(DISTINCT provider_account_id || '|' || canonical_id) FROM sync_provider_transactions WHERE connection_id = ? AND NOT removed AND NOT (pending AND linked_posted <> '')"
	if err := inst.DB.NewRaw(f, connectionID).Scan(ctx, &want); err != nil {
		t.Fatal(err)
	}
	return entries, pending, want
}

// waitForRun polls GET /syncs until the connection has a finished run with
// trigger, or fails after limit.
func waitForRun(t *testing.T, a *api, connectionID, trigger string, limit time.Duration) syncRunJSON {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var list struct {
			Syncs []syncRunJSON `json:"syncs"`
		}
		a.get(t, "/api/v1/syncs?connection_id="+connectionID).Expect(t, http.StatusOK).JSON(t, &list)
		for _, r := range list.Syncs {
			if r.Trigger == trigger && r.Status != "running" {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s run of %s within %s: %+v", trigger, connectionID, limit, list.Syncs)
		}
		time.Sleep(2 * time.Second)
	}
}

// TestSyncSandboxLinkScheduleAdvanceAndPost links the standard persona over
// JSON; the scheduler (River's periodic job, then the connection's sync job)
// syncs it at once with trigger link. Then manual syncs: the accounts are
// unchanged, a transaction sync too soon is refused with Retry-After, the bank
// moves on (pending transactions post under new ids, some with a tip; a hold is
// cancelled), a forced sync finds every posted transaction exactly once, and a
// repeat changes nothing.
func TestSyncSandboxLinkScheduleAdvanceAndPost(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Postgres, Env: sandboxEnv(t, nil)})
	k := loadContract(t, inst)
	anon := newAPI(inst, k, false)
	email := newEmail("sync-sandbox")
	register(t, anon, "Ada", email)
	a := anon.with(login(t, anon, email).AccessToken)
	conn := linkSandbox(t, a, "standard", true)

	first := waitForRun(t, a, conn, "link", 4*time.Minute)
	if first.Status != "succeeded" || first.Kind != "transactions" || first.Stats.Added == 0 {
		t.Fatalf("the scheduled first sync: %+v", first)
	}
	entries, pending, want := ledgerCounts(t, inst, conn)
	if entries != first.Stats.Added || entries != want || pending == 0 {
		t.Fatalf("after the first sync: %d entries (%d pending), sync added %d, facts say %d", entries, pending, first.Stats.Added, want)
	}

	var acc accountSyncResult
	a.post(t, "/api/v1/accounts/syncs", map[string]any{"connection_id": conn}).Expect(t, http.StatusCreated).JSON(t, &acc)
	if acc.Status != "succeeded" || acc.Created != 0 || acc.Errors != 0 {
		t.Fatalf("account sync after the link: %+v", acc)
	}
	res := a.post(t, "/api/v1/transactions/syncs", map[string]any{"connection_id": conn})
	res.ExpectProblem(t, http.StatusTooManyRequests, "sync_too_soon")
	if n, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || n < 1 || n > 15*60 {
		t.Fatalf("sync_too_soon with Retry-After %q", res.Header.Get("Retry-After"))
	}

	a.Client.Post(t, "/sandbox/api/personas/standard/advance", map[string]any{"days": 3}).Expect(t, http.StatusOK)
	var tx2 transactionSyncResult
	a.post(t, "/api/v1/transactions/syncs", map[string]any{"connection_id": conn, "force": true}).Expect(t, http.StatusCreated).JSON(t, &tx2)
	var run syncRunJSON
	a.get(t, "/api/v1/syncs/"+tx2.SyncID).Expect(t, http.StatusOK).JSON(t, &run)
	if tx2.Status != "succeeded" || run.Stats.LinkedPending == 0 || run.Trigger != "manual" {
		t.Fatalf("after advance: %+v %+v", tx2, run)
	}
	entries2, pending2, want2 := ledgerCounts(t, inst, conn)
	if entries2 != want2 {
		t.Fatalf("after posting: %d ledger entries but %d distinct transactions: a pending one was duplicated or lost", entries2, want2)
	}
	var stale int
	if err := inst.DB.NewRaw(`SELECT count(*) FROM transactions t JOIN sync_provider_transactions f
		ON f.provider_id = t.provider_transaction_id AND f.pending AND f.linked_posted <> ''
		WHERE t.status = 'pending' AND f.connection_id = ?`, conn).Scan(context.Background(), &stale); err != nil {
		t.Fatal(err)
	}
	if stale != 0 {
		t.Fatalf("%d pending entries stayed after posting", stale)
	}
	t.Logf("standard: %d entries (%d pending) → advance 3 days → %d entries (%d pending), %d posted in place, %d removed",
		entries, pending, entries2, pending2, run.Stats.LinkedPending, tx2.Removed)

	var tx3 transactionSyncResult
	a.post(t, "/api/v1/transactions/syncs", map[string]any{"connection_id": conn, "force": true}).Expect(t, http.StatusCreated).JSON(t, &tx3)
	if tx3.Added+tx3.Modified+tx3.Removed != 0 {
		t.Fatalf("a repeat sync changed something: %+v", tx3)
	}
	var list struct {
		Syncs []syncRunJSON `json:"syncs"`
	}
	a.get(t, "/api/v1/syncs?connection_id="+conn).Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Syncs) != 4 || list.Syncs[0].ID != tx3.SyncID || list.Syncs[3].Trigger != "link" {
		t.Fatalf("history: %+v", list.Syncs)
	}
}

// TestSyncBulkOnTwoInstancesAtOnce links the bulk persona (100,000 transactions)
// and sends POST /transactions/syncs to two instances on one PostgreSQL at the
// same moment: the connection is synced once, every transaction lands exactly
// once. It logs the time of the sync and the test process's peak RSS (both
// instances run in it) as the benchmark figure.
func TestSyncBulkOnTwoInstancesAtOnce(t *testing.T) {
	a := start(t, harness.Options{Engine: harness.Postgres, Env: sandboxEnv(t, nil)})
	b := start(t, harness.Options{Engine: harness.Postgres, Env: sandboxEnv(t, map[string]string{"KONTOR_DATABASE_URL": a.Config.DatabaseURL})})
	k := loadContract(t, a)
	anonA, anonB := newAPI(a, k, false), newAPI(b, loadContract(t, b), false)
	email := newEmail("sync-bulk")
	register(t, anonA, "Bulk", email)
	token := login(t, anonA, email).AccessToken
	ca, cb := anonA.with(token), anonB.with(token)
	for _, c := range []*api{ca, cb} {
		c.Client.HTTP = &http.Client{Timeout: 10 * time.Minute} // the whole sync runs in the request
	}
	conn := linkSandbox(t, ca, "bulk", false)
	ca.post(t, "/api/v1/accounts/syncs", map[string]any{"connection_id": conn}).Expect(t, http.StatusCreated)

	start := time.Now()
	var wg sync.WaitGroup
	results := make([]*harness.Response, 2)
	for i, c := range []*api{ca, cb} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.Client.Post(t, "/api/v1/transactions/syncs", map[string]any{"connection_id": conn, "force": true})
		}()
	}
	wg.Wait()
	took := time.Since(start)
	added, ok, busy := 0, 0, 0
	for _, res := range results {
		switch res.Status {
		case http.StatusCreated:
			var r transactionSyncResult
			res.JSON(t, &r)
			if r.Status != "succeeded" {
				t.Fatalf("bulk sync: %+v", r)
			}
			added += r.Added
			ok++
		case http.StatusConflict:
			res.ExpectProblem(t, http.StatusConflict, "sync_in_progress")
			busy++
		default:
			t.Fatalf("bulk sync answered %d: %s", res.Status, res.Body)
		}
	}
	entries, _, want := ledgerCounts(t, a, conn)
	if added != 100000 || entries != 100000 || want != 100000 || ok+busy != 2 {
		t.Fatalf("two instances at once: %d succeeded, %d refused as in progress, %d added, %d ledger entries, %d facts", ok, busy, added, entries, want)
	}
	var runs int
	if err := a.DB.NewRaw("SELECT count(*) FROM sync_runs WHERE connection_id = ? AND kind = 'transactions'", conn).Scan(context.Background(), &runs); err != nil || runs != ok {
		t.Fatalf("%d transaction runs recorded for %d accepted requests (%v)", runs, ok, err)
	}
	t.Logf("bulk persona: 100,000 transactions synced in %s on PostgreSQL (%d request refused as in progress); peak RSS of the test process %.0f MiB",
		took.Round(time.Millisecond), busy, importPeakRSS())

	// A repeat with nothing new.
	start = time.Now()
	var again transactionSyncResult
	cb.post(t, "/api/v1/transactions/syncs", map[string]any{"connection_id": conn, "force": true}).Expect(t, http.StatusCreated).JSON(t, &again)
	if again.Added != 0 {
		t.Fatalf("repeat: %+v", again)
	}
	t.Logf("repeat sync with nothing new: %s", time.Since(start).Round(time.Millisecond))
}

var _ = json.Marshal

// TestSyncScheduleOnceAcrossInstances runs two instances on one PostgreSQL, both
// with River's workers: a newly linked connection is synced by the schedule
// exactly once (one job per connection, one run under the lease), and the next
// tick, a minute later, does not sync it again within its interval.
func TestSyncScheduleOnceAcrossInstances(t *testing.T) {
	a := start(t, harness.Options{Engine: harness.Postgres, Env: sandboxEnv(t, nil)})
	b := start(t, harness.Options{Engine: harness.Postgres, Env: sandboxEnv(t, map[string]string{"KONTOR_DATABASE_URL": a.Config.DatabaseURL})})
	k := loadContract(t, a)
	anon := newAPI(a, k, false)
	email := newEmail("sync-twice")
	register(t, anon, "Tess", email)
	ca := anon.with(login(t, anon, email).AccessToken)
	conn := linkSandbox(t, ca, "standard", true)
	first := waitForRun(t, ca, conn, "link", 4*time.Minute)
	if first.Status != "succeeded" {
		t.Fatalf("the scheduled first sync: %+v", first)
	}
	time.Sleep(75 * time.Second) // at least one more tick of the leader
	var runs int
	if err := b.DB.NewRaw("SELECT count(*) FROM sync_runs WHERE connection_id = ?", conn).Scan(context.Background(), &runs); err != nil || runs != 1 {
		t.Fatalf("%d runs of the connection across two instances (%v), want 1", runs, err)
	}
	entries, _, want := ledgerCounts(t, b, conn)
	if entries != want || entries != first.Stats.Added {
		t.Fatalf("%d entries, %d transactions, %d added", entries, want, first.Stats.Added)
	}
}
