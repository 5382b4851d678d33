package app_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/sync/internal/app"
	"github.com/kontor-app/kontor/modules/sync/internal/domain"
	"github.com/kontor-app/kontor/modules/sync/internal/store"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/money"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// providerErr is the fake provider's typed failure.
type providerErr struct {
	code  string
	retry time.Duration
}

func (e *providerErr) Error() string { return e.code }

// event is one entry of the fake bank's change log.
type event struct {
	txn     app.Transaction
	removed bool
	mod     bool
}

// bank is a fake provider: a change log read as a Plaid-style cursor feed (the
// cursor is an offset into the log) or as a window, plus scripted failures.
type bank struct {
	mu        sync.Mutex
	provider  string
	accounts  []app.ProviderAccount
	log       []event
	calls     int
	failNext  []error     // returned by the next calls, in order
	mutateAt  map[int]int // page offset -> how many times to answer mutation first
	window    []app.Transaction
	windowBad map[string]bool // accounts the window says are incomplete
	outcomes  []error
	status    string
}

func newBank() *bank {
	return &bank{provider: "sandbox", status: "active", mutateAt: map[int]int{},
		accounts: []app.ProviderAccount{{ID: "chk", Name: "Checking", Type: "checking", Currency: "USD", Balance: money.MustParse("100.00")}}}
}

func (b *bank) add(evs ...event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.log = append(b.log, evs...)
}

func txn(id string, pending bool, amount string, day int, pendingID string) app.Transaction {
	return app.Transaction{ID: id, AccountID: "chk", Pending: pending, Amount: money.MustParse(amount),
		Date: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day), Description: "Shop " + id, Counterparty: "Shop", PendingTransactionID: pendingID}
}

func added(ts ...app.Transaction) []event {
	out := make([]event, len(ts))
	for i, t := range ts {
		out[i] = event{txn: t}
	}
	return out
}

type fakeConnections struct {
	b    *bank
	conn app.Connection
	now  func() time.Time
}

func (f *fakeConnections) check(id uuid.UUID) (app.Connection, error) {
	if id != f.conn.ID {
		return app.Connection{}, apperr.New(apperr.NotFound, "no connection")
	}
	if f.b.status != "active" {
		return app.Connection{}, apperr.New(apperr.ConnectionNotActive, "not active")
	}
	c := f.conn
	c.Provider, c.Status = f.b.provider, f.b.status
	return c, nil
}

func (f *fakeConnections) Connection(_ context.Context, sub authn.Subject, id uuid.UUID) (app.Connection, error) {
	if id != f.conn.ID {
		return app.Connection{}, apperr.New(apperr.NotFound, "no connection")
	}
	if f.conn.UserID != sub.UserID {
		return app.Connection{}, apperr.New(apperr.Forbidden, "not yours")
	}
	c := f.conn
	c.Provider, c.Status = f.b.provider, f.b.status
	return c, nil
}

func (f *fakeConnections) ForSync(_ context.Context, sub authn.Subject, id uuid.UUID) (app.Connection, error) {
	c, err := f.check(id)
	if err == nil && c.UserID != sub.UserID {
		return app.Connection{}, apperr.New(apperr.Forbidden, "not yours")
	}
	return c, err
}

func (f *fakeConnections) SystemForSync(_ context.Context, id uuid.UUID) (app.Connection, error) {
	return f.check(id)
}

func (f *fakeConnections) Due(_ context.Context, now time.Time, _ int) ([]app.Connection, error) {
	c, err := f.check(f.conn.ID)
	if err != nil || !c.AutoSync || c.NextSyncAt == nil || c.NextSyncAt.After(now) {
		return nil, nil
	}
	return []app.Connection{c}, nil
}

func (f *fakeConnections) FetchAccounts(context.Context, uuid.UUID) ([]app.ProviderAccount, error) {
	b := f.b
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	if len(b.failNext) > 0 {
		err := b.failNext[0]
		b.failNext = b.failNext[1:]
		return nil, err
	}
	return append([]app.ProviderAccount(nil), b.accounts...), nil
}

func (f *fakeConnections) FetchTransactions(_ context.Context, _ uuid.UUID, req app.FetchRequest) (app.Changes, error) {
	b := f.b
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	if len(b.failNext) > 0 {
		err := b.failNext[0]
		b.failNext = b.failNext[1:]
		var pe *providerErr
		if errors.As(err, &pe) && pe.code == "rate_limited" {
			next := f.now().Add(pe.retry)
			f.conn.ReasonCode, f.conn.NextSyncAt = "rate_limited", &next
		}
		return app.Changes{}, err
	}
	if b.provider == "simplefin" {
		ch := app.Changes{Accounts: b.accounts, Window: &app.Window{From: req.From, To: req.To, Incomplete: b.windowBad}}
		for _, t := range b.window {
			if !t.Date.Before(req.From) && t.Date.Before(req.To) {
				ch.Added = append(ch.Added, t)
			}
		}
		return ch, nil
	}
	off := 0
	if req.Cursor != "" {
		off, _ = strconv.Atoi(req.Cursor)
	}
	if n := b.mutateAt[off]; n > 0 {
		b.mutateAt[off] = n - 1
		return app.Changes{}, &providerErr{code: app.CodeMutationDuringPagination}
	}
	end := min(off+req.Count, len(b.log))
	ch := app.Changes{NextCursor: strconv.Itoa(end), HasMore: end < len(b.log)}
	for _, e := range b.log[off:end] {
		switch {
		case e.removed:
			ch.Removed = append(ch.Removed, app.Removed{ID: e.txn.ID, AccountID: e.txn.AccountID})
		case e.mod:
			ch.Modified = append(ch.Modified, e.txn)
		default:
			ch.Added = append(ch.Added, e.txn)
		}
	}
	return ch, nil
}

func (f *fakeConnections) ReportOutcome(_ context.Context, id uuid.UUID, result error) (app.Connection, error) {
	f.b.mu.Lock()
	f.b.outcomes = append(f.b.outcomes, result)
	var pe *providerErr
	if errors.As(result, &pe) && (pe.code == "auth_revoked" || pe.code == "auth_expired") {
		f.b.status = "needs_reauth"
	}
	f.b.mu.Unlock()
	return f.check(id)
}

func (f *fakeConnections) Classify(err error) (app.ProviderFailure, bool) {
	var pe *providerErr
	if errors.As(err, &pe) {
		return app.ProviderFailure{Code: pe.code, Message: "the bank said " + pe.code, RetryAfter: pe.retry}, true
	}
	return app.ProviderFailure{}, false
}

func (f *fakeConnections) Failure(code, message string) error { return &providerErr{code: code} }

// ledger is a fake accounts module that keeps entries in a table of the same
// database, inside the caller's transaction, so a rolled-back page leaves no
// entry behind, as with the real one.
type ledger struct {
	db *database.DB
}

func newLedger(t *testing.T, db *database.DB) *ledger {
	t.Helper()
	for _, q := range []string{
		"CREATE TABLE fake_accounts (id TEXT PRIMARY KEY, provider_account_id TEXT NOT NULL UNIQUE, balance TEXT NOT NULL)",
		"CREATE TABLE fake_entries (account_id TEXT NOT NULL, id TEXT NOT NULL, pending BOOLEAN NOT NULL, amount TEXT NOT NULL, PRIMARY KEY (account_id, id))",
	} {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	return &ledger{db: db}
}

func (l *ledger) UpsertAccount(ctx context.Context, _ uuid.UUID, _ app.Connection, a app.ProviderAccount) (uuid.UUID, app.UpsertOutcome, error) {
	var id string
	err := l.db.Conn(ctx).NewRaw("SELECT id FROM fake_accounts WHERE provider_account_id = ?", a.ID).Scan(ctx, &id)
	if err == nil {
		return uuid.MustParse(id), app.Unchanged, nil
	}
	nid := uuid.New()
	_, err = l.db.Conn(ctx).NewRaw("INSERT INTO fake_accounts (id, provider_account_id, balance) VALUES (?, ?, ?)", nid.String(), a.ID, a.Balance.String()).Exec(ctx)
	return nid, app.Created, err
}

func (l *ledger) ApplyEntries(ctx context.Context, _ uuid.UUID, accountID uuid.UUID, ups []domain.Entry, removed []string, _ money.NullAmount) error {
	seen := map[string]bool{}
	for _, e := range ups {
		if seen[e.ID] {
			return fmt.Errorf("entry %s twice in one batch", e.ID)
		}
		seen[e.ID] = true
		_, err := l.db.Conn(ctx).NewRaw("INSERT INTO fake_entries (account_id, id, pending, amount) VALUES (?, ?, ?, ?) ON CONFLICT (account_id, id) DO UPDATE SET pending = EXCLUDED.pending, amount = EXCLUDED.amount",
			accountID.String(), e.ID, e.Pending, e.Amount.String()).Exec(ctx)
		if err != nil {
			return err
		}
	}
	for _, id := range removed {
		if _, err := l.db.Conn(ctx).NewRaw("DELETE FROM fake_entries WHERE account_id = ? AND id = ?", accountID.String(), id).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Balance is the account's opening balance (the provider's at creation) plus
// its posted entries, as the real ledger keeps it.
func (l *ledger) Balance(ctx context.Context, _ authn.Subject, accountID uuid.UUID) (app.LedgerBalance, error) {
	var opening string
	if err := l.db.Conn(ctx).NewRaw("SELECT balance FROM fake_accounts WHERE id = ?", accountID.String()).Scan(ctx, &opening); err != nil {
		return app.LedgerBalance{}, err
	}
	var amounts []string
	if err := l.db.Conn(ctx).NewRaw("SELECT amount FROM fake_entries WHERE account_id = ? AND NOT pending", accountID.String()).Scan(ctx, &amounts); err != nil {
		return app.LedgerBalance{}, err
	}
	total := money.MustParse(opening)
	for _, a := range amounts {
		total = total.Add(money.MustParse(a))
	}
	return app.LedgerBalance{Name: "Checking", Currency: "USD", Ledger: total}, nil
}

// entries returns id -> "pending|posted amount".
func (l *ledger) entries(t *testing.T) map[string]string {
	t.Helper()
	var rows []struct {
		ID      string `bun:"id"`
		Pending bool   `bun:"pending"`
		Amount  string `bun:"amount"`
	}
	if err := l.db.NewRaw("SELECT id, pending, amount FROM fake_entries").Scan(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		st := "posted"
		if r.Pending {
			st = "pending"
		}
		out[r.ID] = st + " " + r.Amount
	}
	return out
}

// fakeQueue records the sync jobs the scheduler enqueues; a connection is
// queued once while its job lives (until taken).
type fakeQueue struct {
	jobs map[uuid.UUID]domain.Trigger
}

func (q *fakeQueue) EnqueueSync(_ context.Context, id uuid.UUID, trigger domain.Trigger) (bool, error) {
	if _, ok := q.jobs[id]; ok {
		return true, nil
	}
	q.jobs[id] = trigger
	return false, nil
}

// take runs the queued jobs as the job engine would.
func (q *fakeQueue) take(t *testing.T, svc *app.Service) {
	t.Helper()
	for id, trigger := range q.jobs {
		delete(q.jobs, id)
		if err := svc.RunQueued(context.Background(), id, trigger); err != nil {
			t.Fatalf("sync job: %v", err)
		}
	}
}

// events records what the sync publishes.
type recorder struct {
	mu     sync.Mutex
	events []app.Event
}

func (r *recorder) Publish(_ context.Context, e app.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = e.Type
	}
	return out
}

type ownerAuthorizer struct{}

func (ownerAuthorizer) Authorize(_ context.Context, s authn.Subject, r authz.Resource, _ string) error {
	if r.Owner != s.UserID.String() {
		return apperr.New(apperr.Forbidden, "not yours")
	}
	return nil
}

// world is one test's service over a real store, the fake bank and ledger.
type world struct {
	db    *database.DB
	bank  *bank
	conns *fakeConnections
	led   *ledger
	repo  *store.Store
	svc   *app.Service
	queue *fakeQueue
	pub   *recorder
	sub   authn.Subject
	now   time.Time
}

func newWorld(t *testing.T, db *database.DB) *world {
	w := &world{db: db, bank: newBank(), led: newLedger(t, db), repo: store.New(db), now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC),
		queue: &fakeQueue{jobs: map[uuid.UUID]domain.Trigger{}}, pub: &recorder{}}
	w.sub = authn.Subject{UserID: uuid.New()}
	w.conns = &fakeConnections{b: w.bank, conn: app.Connection{ID: uuid.New(), UserID: w.sub.UserID, AutoSync: true, SyncIntervalMinutes: 15},
		now: func() time.Time { return w.now }}
	w.svc = w.service()
	return w
}

func (w *world) service() *app.Service {
	return app.NewService(app.Deps{Repo: w.repo, Connections: w.conns, Ledger: w.led, Authorizer: ownerAuthorizer{}, Queue: w.queue, Publisher: w.pub,
		Now: func() time.Time { return w.now }})
}

func (w *world) conn() app.Connection {
	c, _ := w.conns.SystemForSync(context.Background(), w.conns.conn.ID)
	return c
}

func (w *world) run(t *testing.T, svc *app.Service) domain.Run {
	t.Helper()
	r, err := svc.Execute(context.Background(), w.conn(), app.Options{Kind: domain.KindTransactions, Trigger: domain.TriggerManual})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	w.now = w.now.Add(time.Minute)
	return r
}

func (w *world) cursor(t *testing.T) string {
	t.Helper()
	st, err := w.repo.State(context.Background(), w.conns.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	return st.Cursor
}

func uuidNull() uuid.NullUUID { return uuid.NullUUID{} }
