package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/sync/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/money"
)

// The balance events a run announces: AccountBalanceUpdated with every
// snapshot, AccountDriftDetected once when a drift persists over
// domain.DriftRuns successful runs.
const (
	EventBalanceUpdated = "AccountBalanceUpdated"
	EventDriftDetected  = "AccountDriftDetected"
)

// SyncInProgress answers a sync asked for while another run holds the
// connection's lease (another request, the schedule, or another instance).
var SyncInProgress = apperr.Register("sync_in_progress", http.StatusConflict, "Sync in progress")

// Run error codes that are no provider failure.
const (
	CodePaginationUnstable = "provider_pagination_unstable"
	CodeInterrupted        = "interrupted"
	CodeInternal           = "internal_error"
	CodeBudget             = "request_budget_spent"
)

// PageSize is how many changes a cursor page asks for.
const PageSize = 500

// MaxRestarts caps the restarts after a mutation during pagination.
const MaxRestarts = 3

// Deps are what the service is built from.
type Deps struct {
	Repo        Repository
	Connections Connections
	Ledger      Ledger
	Authorizer  Authorizer
	Queue       Queue
	Publisher   Publisher
	Log         *slog.Logger
	Now         func() time.Time
	NewID       func() uuid.UUID
	// Instance names this process in lease owners (for the audit trail).
	Instance string
	// BeforeWrite, when set, is called before each page is applied (tests inject
	// faults with it).
	BeforeWrite func(ctx context.Context, page int) error
}

// Service is the sync module's use cases.
type Service struct {
	Deps
}

// NewService returns the use cases over deps.
func NewService(d Deps) *Service {
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	if d.NewID == nil {
		d.NewID = func() uuid.UUID { return uuid.Must(uuid.NewV7()) }
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Publisher == nil {
		d.Publisher = NoPublisher{}
	}
	if d.Instance == "" {
		d.Instance = uuid.NewString()[:8]
	}
	return &Service{Deps: d}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// Options tune one run.
type Options struct {
	Kind    domain.Kind
	Trigger domain.Trigger
	Start   *time.Time // window providers: overrides the window's start
	// WithAccounts refreshes the accounts before the transactions (the schedule
	// and a new link do both in one run).
	WithAccounts bool
}

// run is one run in progress: its record, lease and state.
type run struct {
	s     *Service
	conn  Connection
	rec   domain.Run
	owner string
	fence int64
	state domain.State
	accts map[string]uuid.UUID
	opts  Options
	// balances are the balances the provider reported in this run, handed to
	// the ledger with the last page.
	balances map[string]money.Amount
	// available are the available balances the provider reported in this run.
	available map[string]money.NullAmount
}

// Execute runs one sync of conn, whoever asked: it claims the connection's lease
// (SyncInProgress when another run holds it), records the run, fetches and
// applies page by page under the lease, reports the outcome to the connection's
// state machine, and returns the finished run. A provider failure is a failed
// run, not an error; an error means the run could not be carried out (lost
// lease, database).
func (s *Service) Execute(ctx context.Context, conn Connection, opts Options) (domain.Run, error) {
	now := s.now()
	id := s.NewID()
	owner := s.Instance + "/" + id.String()
	fence, ok, err := s.Repo.Claim(ctx, conn.ID, owner, now, domain.LeaseTTL)
	if err != nil {
		return domain.Run{}, err
	}
	if !ok {
		return domain.Run{}, apperr.New(SyncInProgress, "A sync of this connection is already running; its result will show in the sync history.")
	}
	r := &run{s: s, conn: conn, owner: owner, fence: fence, opts: opts}
	defer func() {
		// A fresh context: the lease is released even when the caller gave up.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := s.Repo.Release(rctx, conn.ID, owner, fence); err != nil {
			s.Log.WarnContext(ctx, "release sync lease", "connection_id", conn.ID, "error", err.Error())
		}
	}()
	err = r.tx(ctx, func(ctx context.Context) error {
		if err := s.Repo.InterruptRuns(ctx, conn.ID, now); err != nil {
			return err
		}
		st, err := s.Repo.State(ctx, conn.ID)
		if err != nil {
			return err
		}
		r.state = st
		r.rec = domain.NewRun(id, conn.ID, conn.UserID, opts.Kind, opts.Trigger, fence, st.Cursor, now)
		if err := s.Repo.CreateRun(ctx, r.rec); err != nil {
			return err
		}
		return r.publish(ctx, "Attempted", uuid.Nil, map[string]any{"trigger": string(opts.Trigger), "status": string(domain.StatusRunning)})
	})
	if err != nil {
		return domain.Run{}, err
	}
	err = r.do(ctx)
	if errors.Is(err, ErrLeaseLost) {
		return r.rec, err // a zombie: it writes nothing, not even its failure
	}
	return r.finish(ctx, err)
}

// tx runs fn in one transaction guarded by the run's lease.
func (r *run) tx(ctx context.Context, fn func(ctx context.Context) error) error {
	return r.s.Repo.InTx(ctx, func(ctx context.Context) error {
		if err := r.s.Repo.Guard(ctx, r.conn.ID, r.owner, r.fence, r.s.now().Add(domain.LeaseTTL)); err != nil {
			return err
		}
		return fn(ctx)
	})
}

// finish records how the run ended and reports it to the connection: a
// provider failure (or bad data the sync found itself) moves the connection
// through its state machine; an error of Kontor's own leaves it as it is.
func (r *run) finish(ctx context.Context, runErr error) (domain.Run, error) {
	now := r.s.now()
	report, outcome := true, runErr
	if runErr == nil {
		r.rec.Succeed(r.state.Cursor, now)
	} else {
		var e domain.RunError
		e, outcome, report = r.classify(ctx, runErr)
		r.rec.Stats.Errors++
		r.rec.Fail(e, now)
	}
	err := r.tx(ctx, func(ctx context.Context) error {
		if err := r.s.Repo.SaveRun(ctx, r.rec); err != nil {
			return err
		}
		if report {
			_, err := r.s.Connections.ReportOutcome(ctx, r.conn.ID, outcome)
			if err != nil && !apperr.Is(err, apperr.ConnectionNotActive) && !apperr.Is(err, apperr.Conflict) {
				return err // (disconnected meanwhile: the run's record is what matters)
			}
		}
		data := map[string]any{"trigger": string(r.rec.Trigger), "status": string(r.rec.Status), "stats": r.rec.Stats,
			"duration_ms": r.rec.Duration(now).Milliseconds()}
		suffix := "Succeeded"
		if r.rec.Error != nil {
			suffix = "Failed"
			data["error"] = map[string]any{"code": r.rec.Error.Code, "message": r.rec.Error.Message}
		}
		return r.publish(ctx, suffix, uuid.Nil, data)
	})
	return r.rec, err
}

// classify turns a run's error into its record, the outcome reported to the
// connection, and whether to report one.
func (r *run) classify(ctx context.Context, err error) (domain.RunError, error, bool) {
	if pf, ok := r.s.Connections.Classify(err); ok {
		return domain.RunError{Code: pf.Code, Message: pf.Message}, err, true
	}
	var pd *providerData
	if errors.As(err, &pd) {
		return domain.RunError{Code: "bad_data", Message: pd.msg}, r.s.Connections.Failure("bad_data", pd.msg), true
	}
	var re *restartsExhausted
	if errors.As(err, &re) {
		msg := "The provider's data kept changing while Kontor read it; nothing was lost, and the sync will be retried."
		return domain.RunError{Code: CodePaginationUnstable, Message: msg}, r.s.Connections.Failure("provider_unavailable", msg), true
	}
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Code != apperr.Internal {
		return domain.RunError{Code: string(ae.Code), Message: ae.Message}, nil, false
	}
	r.s.Log.ErrorContext(ctx, "sync run failed", "sync_id", r.rec.ID, "connection_id", r.conn.ID, "error", err.Error())
	return domain.RunError{Code: CodeInternal, Message: "The sync stopped on an internal error; it will be retried."}, nil, false
}

func (r *run) do(ctx context.Context) error {
	switch {
	case r.opts.Kind == domain.KindImport:
		return apperr.New(apperr.Conflict, "Imports run through the connection's upload.")
	case domain.WindowProviders[r.conn.Provider]:
		return r.window(ctx)
	case r.opts.Kind == domain.KindAccounts:
		return r.accounts(ctx)
	default:
		return r.cursor(ctx)
	}
}

// spend reserves n provider requests from the budget before they are made; every
// call counts, manual ones and failed ones included.
func (r *run) spend(ctx context.Context, n int) error {
	limit := domain.DailyRequestBudget[r.conn.Provider]
	return r.tx(ctx, func(ctx context.Context) error {
		st, err := r.s.Repo.State(ctx, r.conn.ID)
		if err != nil {
			return err
		}
		now := r.s.now()
		if ok, retry := st.Budget.Allow(now, limit, n); !ok {
			return budgetSpent(retry.Sub(now))
		}
		st.Budget.Spend(now, n)
		r.state.Budget = st.Budget
		r.rec.Stats.Requests += n
		return r.s.Repo.SaveState(ctx, r.conn.ID, st)
	})
}

func budgetSpent(wait time.Duration) error {
	secs := int(math.Ceil(wait.Seconds()))
	return apperr.New(apperr.SyncTooSoon, "The provider allows only a few requests a day and today's are spent; the next sync can run in %s.", words(wait)).
		WithRetryAfter(max(secs, 1))
}

func words(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%d min", int(math.Ceil(d.Minutes())))
	default:
		return fmt.Sprintf("%d s", max(1, int(math.Ceil(d.Seconds()))))
	}
}

// accounts syncs a cursor provider's accounts.
func (r *run) accounts(ctx context.Context) error {
	if err := r.spend(ctx, 1); err != nil {
		return err
	}
	list, err := r.s.Connections.FetchAccounts(ctx, r.conn.ID)
	if err != nil {
		return err
	}
	return r.tx(ctx, func(ctx context.Context) error {
		if err := r.upsertAccounts(ctx, list); err != nil {
			return err
		}
		if r.opts.Kind == domain.KindAccounts {
			// An accounts run moves only the provider's balance: snapshot both
			// sides, but leave drift to the transaction runs, which bring the
			// entries that explain a new balance.
			for _, a := range list {
				if err := r.recordBalance(ctx, r.accts[a.ID], a.ID, false); err != nil {
					return err
				}
			}
		}
		r.rec.Stats.Pages++
		return r.s.Repo.SaveRun(ctx, r.rec)
	})
}

// upsertAccounts mirrors provider accounts in the ledger, inside the caller's
// guarded transaction.
func (r *run) upsertAccounts(ctx context.Context, list []ProviderAccount) error {
	if r.accts == nil {
		m, err := r.s.Repo.AccountMap(ctx, r.conn.ID)
		if err != nil {
			return err
		}
		r.accts = m
	}
	for _, a := range list {
		id, op, err := r.s.Ledger.UpsertAccount(ctx, r.conn.UserID, r.conn, a)
		if err != nil {
			return err
		}
		switch op {
		case Created:
			r.rec.Stats.Created++
			r.rec.Stats.AccountsCreated++
		case Updated:
			r.rec.Stats.Updated++
			r.rec.Stats.AccountsUpdated++
		default:
			r.rec.Stats.Unchanged++
		}
		if r.balances == nil {
			r.balances, r.available = map[string]money.Amount{}, map[string]money.NullAmount{}
		}
		r.balances[a.ID], r.available[a.ID] = a.Balance, a.AvailableBalance
		if r.accts[a.ID] != id {
			if err := r.s.Repo.MapAccount(ctx, r.conn.ID, a.ID, id); err != nil {
				return err
			}
			r.accts[a.ID] = id
		}
	}
	return nil
}

// knowsAccounts makes sure every account a page names is mirrored, fetching the
// provider's accounts once more when one is new.
func (r *run) knowsAccounts(ctx context.Context, ch Changes) error {
	if r.accts == nil {
		m, err := r.s.Repo.AccountMap(ctx, r.conn.ID)
		if err != nil {
			return err
		}
		r.accts = m
	}
	missing := false
	for _, list := range [][]Transaction{ch.Added, ch.Modified} {
		for _, t := range list {
			if _, ok := r.accts[t.AccountID]; !ok {
				missing = true
			}
		}
	}
	if !missing {
		return nil
	}
	if err := r.accounts(ctx); err != nil {
		return err
	}
	for _, list := range [][]Transaction{ch.Added, ch.Modified} {
		for _, t := range list {
			if _, ok := r.accts[t.AccountID]; !ok {
				return &providerData{msg: fmt.Sprintf("The provider sent a transaction of account %q, which it does not list.", t.AccountID)}
			}
		}
	}
	return nil
}

// providerData is bad data found by the sync itself.
type providerData struct{ msg string }

func (e *providerData) Error() string { return e.msg }

// cursor pages through a cursor provider's feed from the committed cursor c0.
// Each page is applied in one transaction with the run's progress; the cursor is
// committed only with the last page. A mutation during pagination restarts from
// c0 (never from nothing, which would lose removals), at most MaxRestarts times.
func (r *run) cursor(ctx context.Context) error {
	if r.opts.WithAccounts {
		if err := r.accounts(ctx); err != nil {
			return err
		}
	}
	c0 := r.state.Cursor
	cur := c0
	for page := 0; ; page++ {
		if err := r.spend(ctx, 1); err != nil {
			return err
		}
		ch, err := r.s.Connections.FetchTransactions(ctx, r.conn.ID, FetchRequest{Cursor: cur, Count: PageSize})
		if err != nil {
			if pf, ok := r.s.Connections.Classify(err); ok && pf.Code == CodeMutationDuringPagination {
				if r.rec.Stats.Restarts >= MaxRestarts {
					return &restartsExhausted{}
				}
				r.rec.Stats.Restarts++
				cur = c0
				continue
			}
			return err
		}
		if err := r.knowsAccounts(ctx, ch); err != nil {
			return err
		}
		if r.s.BeforeWrite != nil {
			if err := r.s.BeforeWrite(ctx, page); err != nil {
				return err
			}
		}
		last := !ch.HasMore
		p := domain.Page{}
		for _, t := range append(ch.Added, ch.Modified...) {
			p.Upserts = append(p.Upserts, incoming(t))
		}
		for _, rm := range ch.Removed {
			p.Removed = append(p.Removed, domain.Key{AccountID: rm.AccountID, ID: rm.ID})
		}
		err = r.apply(ctx, p, last, func(ctx context.Context) error {
			if !last {
				return nil
			}
			st, err := r.s.Repo.State(ctx, r.conn.ID)
			if err != nil {
				return err
			}
			st.Cursor = ch.NextCursor
			r.state = st
			return r.s.Repo.SaveState(ctx, r.conn.ID, st)
		})
		if err != nil {
			return err
		}
		if last {
			return nil
		}
		cur = ch.NextCursor
	}
}

type restartsExhausted struct{}

func (*restartsExhausted) Error() string { return "mutation during pagination kept happening" }

func incoming(t Transaction) domain.Incoming {
	return domain.Incoming{AccountID: t.AccountID, ID: t.ID, Pending: t.Pending, Amount: t.Amount, Date: t.Date.UTC(),
		Description: t.Description, Counterparty: t.Counterparty, PendingID: t.PendingTransactionID}
}

// apply plans a page against what the store knows and writes it, with the run's
// progress and extra, in one guarded transaction. The last page also hands the
// ledger the balances the provider reported.
func (r *run) apply(ctx context.Context, p domain.Page, last bool, extra func(ctx context.Context) error) error {
	return r.tx(ctx, func(ctx context.Context) error {
		known, err := r.s.Repo.Known(ctx, r.conn.ID, p)
		if err != nil {
			return err
		}
		plan := domain.Apply(known, p)
		accounts := make([]string, 0, len(plan.Upserts)+len(plan.Removals))
		seen := map[string]bool{}
		for a := range plan.Upserts {
			accounts, seen[a] = append(accounts, a), true
		}
		for a := range plan.Removals {
			if !seen[a] {
				accounts, seen[a] = append(accounts, a), true
			}
		}
		if last {
			for a := range r.balances {
				if !seen[a] {
					accounts, seen[a] = append(accounts, a), true
				}
			}
		}
		sort.Strings(accounts) // lock accounts in one order
		var balances []string
		for _, a := range accounts {
			id, ok := r.accts[a]
			if !ok {
				return &providerData{msg: fmt.Sprintf("The provider sent a transaction of account %q, which it does not list.", a)}
			}
			var balance money.NullAmount
			if b, ok := r.balances[a]; ok && last {
				balance = money.NullAmount{Amount: b, Valid: true}
			}
			if err := r.s.Ledger.ApplyEntries(ctx, r.conn.UserID, id, plan.Upserts[a], plan.Removals[a], balance); err != nil {
				return err
			}
			if balance.Valid {
				balances = append(balances, a)
			}
		}
		if err := r.s.Repo.SaveFacts(ctx, r.conn.ID, r.rec.ID, plan.Facts); err != nil {
			return err
		}
		if err := r.s.Repo.AddSuggestions(ctx, r.conn.ID, r.conn.UserID, r.accts, plan.Suggestions, r.s.now()); err != nil {
			return err
		}
		if err := extra(ctx); err != nil {
			return err
		}
		stats := r.rec.Stats
		stats.Merge(plan.Stats)
		stats.Pages++
		rec := r.rec
		rec.Stats = stats
		if err := r.s.Repo.SaveRun(ctx, rec); err != nil {
			return err
		}
		r.rec = rec
		for _, a := range balances { // last: publishing holds the event log's lock until commit
			if err := r.recordBalance(ctx, r.accts[a], a, true); err != nil {
				return err
			}
		}
		return nil
	})
}

// window syncs a window provider: one request (per started 60 days) for every
// account with pending transactions, from the watermark minus 30 days (90 days
// on the first run); accounts and transactions are applied together, and only
// accounts the provider reported complete lose pending transactions by absence.
func (r *run) window(ctx context.Context) error {
	now := r.s.now()
	from := domain.WindowStart(r.state.Watermark, r.opts.Start, now)
	if err := r.spend(ctx, domain.WindowRequests(from, now)); err != nil {
		return err
	}
	ch, err := r.s.Connections.FetchTransactions(ctx, r.conn.ID, FetchRequest{From: from, To: now})
	if err != nil {
		return err
	}
	p := domain.Page{}
	for _, t := range append(ch.Added, ch.Modified...) {
		p.Upserts = append(p.Upserts, incoming(t))
	}
	if ch.Window != nil {
		w := &domain.PageWindow{From: ch.Window.From, To: ch.Window.To, Complete: map[string]bool{}}
		for _, a := range ch.Accounts {
			w.Complete[a.ID] = !ch.Window.Incomplete[a.ID]
		}
		for _, e := range ch.AccountErrors {
			w.Complete[e.AccountID] = false
		}
		p.Window = w
	}
	r.rec.Stats.Errors += len(ch.AccountErrors)
	return r.tx(ctx, func(ctx context.Context) error {
		if err := r.upsertAccounts(ctx, ch.Accounts); err != nil {
			return err
		}
		return r.apply(ctx, p, true, func(ctx context.Context) error {
			st, err := r.s.Repo.State(ctx, r.conn.ID)
			if err != nil {
				return err
			}
			to := now
			if ch.Window != nil {
				to = ch.Window.To
			}
			st.Watermark = &to
			r.state = st
			return r.s.Repo.SaveState(ctx, r.conn.ID, st)
		})
	})
}

// publish announces the run's event of kind (Attempted, Succeeded, Failed), or
// AccountBalanceUpdated when kind is "" and account is set.
func (r *run) publish(ctx context.Context, kind string, account uuid.UUID, data map[string]any) error {
	typ := "TransactionSync" + kind
	if r.rec.Kind == domain.KindAccounts {
		typ = "AccountSync" + kind
	}
	if kind == "" {
		typ = "AccountBalanceUpdated"
	}
	return r.s.Publisher.Publish(ctx, Event{Type: typ, UserID: r.conn.UserID, ConnectionID: r.conn.ID, AccountID: account, SyncID: r.rec.ID, Data: data})
}

// recordBalance snapshots an account's provider and ledger balances for today
// and announces them (AccountBalanceUpdated), inside the caller's guarded
// transaction. With observe, the run is a transaction sync whose entries are
// applied: the drift (provider − ledger) counts towards the account's streak,
// and a drift found by domain.DriftRuns successful runs in a row is announced
// once (AccountDriftDetected). The streak is written in the run's last
// transaction, so a run that fails before it counts for nothing.
func (r *run) recordBalance(ctx context.Context, accountID uuid.UUID, providerAccountID string, observe bool) error {
	if accountID == uuid.Nil {
		return nil
	}
	b, err := r.s.Ledger.Balance(ctx, authn.Subject{UserID: r.conn.UserID}, accountID)
	if err != nil {
		return err
	}
	provider := money.NullAmount{Amount: r.balances[providerAccountID], Valid: true}
	if _, ok := r.balances[providerAccountID]; !ok {
		provider = b.Provider
	}
	now := r.s.now()
	base := domain.Snapshot{AccountID: accountID, ConnectionID: r.conn.ID, UserID: r.conn.UserID, Day: domain.DayOf(now), Currency: b.Currency,
		SyncID: r.rec.ID, RecordedAt: now}
	ledger := base
	ledger.Source, ledger.Balance = domain.SourceLedger, b.Ledger
	snaps := []domain.Snapshot{ledger}
	// Amounts in event data are written in the currency's minor units, as in the API.
	cur := money.Currency(b.Currency)
	data := map[string]any{"ledger_balance": money.Plain(b.Ledger, cur), "currency": b.Currency, "provider_balance": nil, "balance_drift": nil}
	var diff money.Amount
	if provider.Valid {
		p := base
		p.Source, p.Balance, p.Available = domain.SourceProvider, provider.Amount, r.available[providerAccountID]
		snaps = append(snaps, p)
		diff = provider.Amount.Sub(b.Ledger)
		data["provider_balance"] = money.Plain(provider.Amount, cur)
		if !diff.IsZero() {
			data["balance_drift"] = money.Plain(diff, cur)
		}
	}
	if err := r.s.Repo.SaveSnapshots(ctx, snaps); err != nil {
		return err
	}
	if err := r.s.Publisher.Publish(ctx, Event{Type: EventBalanceUpdated, UserID: r.conn.UserID, ConnectionID: r.conn.ID,
		AccountID: accountID, SyncID: r.rec.ID, Data: data}); err != nil {
		return err
	}
	if !observe || !provider.Valid {
		return nil
	}
	d, err := r.s.Repo.Drift(ctx, accountID)
	if err != nil {
		return err
	}
	d.AccountID, d.ConnectionID, d.UserID = accountID, r.conn.ID, r.conn.UserID
	announce := d.Observe(diff, now)
	if err := r.s.Repo.SaveDrift(ctx, d); err != nil {
		return err
	}
	if !announce {
		return nil
	}
	return r.s.Publisher.Publish(ctx, Event{Type: EventDriftDetected, UserID: r.conn.UserID, ConnectionID: r.conn.ID, AccountID: accountID,
		SyncID: r.rec.ID, Data: map[string]any{"ledger_balance": money.Plain(b.Ledger, cur), "provider_balance": money.Plain(provider.Amount, cur),
			"balance_drift": money.Plain(diff, cur), "currency": b.Currency, "runs": d.Streak}})
}
