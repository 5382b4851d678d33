// Package store keeps the sync module's data in SQLite or PostgreSQL through bun:
// leases with their fences, per-connection sync state, runs, mirrored accounts,
// provider transactions (the raw facts) and pending-match suggestions. It
// implements app.Repository with the same SQL on both engines.
package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/modules/sync/internal/app"
	"github.com/kontor-app/kontor/modules/sync/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/money"
)

// Store is the bun implementation of app.Repository.
type Store struct {
	db *database.DB
}

var _ app.Repository = (*Store)(nil)

// New returns a store over db.
func New(db *database.DB) *Store { return &Store{db: db} }

// InTx runs fn in one transaction; nested calls join it.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.RunInTx(ctx, func(ctx context.Context, _ bun.IDB) error { return fn(ctx) })
}

func (s *Store) conn(ctx context.Context) bun.IDB { return s.db.Conn(ctx) }

// Claim takes the connection's lease when it is free or lapsed, with one
// compare-and-set that raises the fence; ok is false when another run holds it.
func (s *Store) Claim(ctx context.Context, connectionID uuid.UUID, owner string, now time.Time, ttl time.Duration) (int64, bool, error) {
	if _, err := s.conn(ctx).NewRaw("INSERT INTO sync_leases (connection_id, owner, fence) VALUES (?, '', 0) ON CONFLICT (connection_id) DO NOTHING",
		connectionID.String()).Exec(ctx); err != nil {
		return 0, false, apperr.Wrap(err, "create sync lease")
	}
	var fence int64
	err := s.conn(ctx).NewRaw("UPDATE sync_leases SET owner = ?, until = ?, fence = fence + 1 WHERE connection_id = ? AND (until IS NULL OR until < ?) RETURNING fence",
		owner, now.Add(ttl).UTC(), connectionID.String(), now.UTC()).Scan(ctx, &fence)
	if database.IsNoRows(err) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, apperr.Wrap(err, "claim sync lease")
	}
	return fence, true, nil
}

// Guard renews the lease inside the caller's transaction, or fails with
// app.ErrLeaseLost when owner no longer holds it with fence.
func (s *Store) Guard(ctx context.Context, connectionID uuid.UUID, owner string, fence int64, until time.Time) error {
	res, err := s.conn(ctx).NewRaw("UPDATE sync_leases SET until = ? WHERE connection_id = ? AND owner = ? AND fence = ?",
		until.UTC(), connectionID.String(), owner, fence).Exec(ctx)
	if err != nil {
		return apperr.Wrap(err, "renew sync lease")
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return app.ErrLeaseLost
	}
	return nil
}

// Release frees the lease if owner still holds it with fence.
func (s *Store) Release(ctx context.Context, connectionID uuid.UUID, owner string, fence int64) error {
	_, err := s.conn(ctx).NewRaw("UPDATE sync_leases SET owner = '', until = NULL WHERE connection_id = ? AND owner = ? AND fence = ?",
		connectionID.String(), owner, fence).Exec(ctx)
	if err != nil {
		return apperr.Wrap(err, "release sync lease")
	}
	return nil
}

type stateRow struct {
	bun.BaseModel `bun:"table:sync_states"`

	ConnectionID      string     `bun:"connection_id,pk"`
	Cursor            string     `bun:"cursor,notnull"`
	Watermark         *time.Time `bun:"watermark"`
	BudgetWindowStart *time.Time `bun:"budget_window_start"`
	BudgetUsed        int        `bun:"budget_used,notnull"`
	UpdatedAt         time.Time  `bun:"updated_at,notnull"`
}

// State returns the connection's sync state (zero before its first run).
func (s *Store) State(ctx context.Context, connectionID uuid.UUID) (domain.State, error) {
	var row stateRow
	err := s.conn(ctx).NewSelect().Model(&row).Where("connection_id = ?", connectionID.String()).Scan(ctx)
	if database.IsNoRows(err) {
		return domain.State{}, nil
	}
	if err != nil {
		return domain.State{}, apperr.Wrap(err, "load sync state")
	}
	st := domain.State{Cursor: row.Cursor, Watermark: utcPtr(row.Watermark), Budget: domain.Budget{Used: row.BudgetUsed}}
	if row.BudgetWindowStart != nil {
		st.Budget.WindowStart = row.BudgetWindowStart.UTC()
	}
	return st, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// SaveState stores the connection's sync state.
func (s *Store) SaveState(ctx context.Context, connectionID uuid.UUID, st domain.State) error {
	row := stateRow{ConnectionID: connectionID.String(), Cursor: st.Cursor, Watermark: utcPtr(st.Watermark), BudgetUsed: st.Budget.Used, UpdatedAt: time.Now().UTC()}
	if !st.Budget.WindowStart.IsZero() {
		w := st.Budget.WindowStart.UTC()
		row.BudgetWindowStart = &w
	}
	_, err := s.conn(ctx).NewInsert().Model(&row).
		On("CONFLICT (connection_id) DO UPDATE").
		Set("cursor = EXCLUDED.cursor").Set("watermark = EXCLUDED.watermark").
		Set("budget_window_start = EXCLUDED.budget_window_start").Set("budget_used = EXCLUDED.budget_used").
		Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
	if err != nil {
		return apperr.Wrap(err, "save sync state")
	}
	return nil
}

type runRow struct {
	bun.BaseModel `bun:"table:sync_runs"`

	ID           string     `bun:"id,pk"`
	ConnectionID string     `bun:"connection_id,notnull"`
	UserID       string     `bun:"user_id,notnull"`
	Kind         string     `bun:"kind,notnull"`
	Trigger      string     `bun:"trigger,notnull"`
	Status       string     `bun:"status,notnull"`
	StartedAt    time.Time  `bun:"started_at,notnull"`
	FinishedAt   *time.Time `bun:"finished_at"`
	Stats        string     `bun:"stats,notnull"`
	ErrorCode    string     `bun:"error_code,nullzero"`
	ErrorMessage string     `bun:"error_message,nullzero"`
	CursorFrom   string     `bun:"cursor_from,notnull"`
	CursorTo     string     `bun:"cursor_to,notnull"`
	Fence        int64      `bun:"fence,notnull"`
}

func runRowOf(r domain.Run) (runRow, error) {
	stats, err := json.Marshal(r.Stats)
	if err != nil {
		return runRow{}, apperr.Wrap(err, "encode sync stats")
	}
	row := runRow{ID: r.ID.String(), ConnectionID: r.ConnectionID.String(), UserID: r.UserID.String(), Kind: string(r.Kind),
		Trigger: string(r.Trigger), Status: string(r.Status), StartedAt: r.StartedAt.UTC(), FinishedAt: utcPtr(r.FinishedAt),
		Stats: string(stats), CursorFrom: r.CursorFrom, CursorTo: r.CursorTo, Fence: r.Fence}
	if r.Error != nil {
		row.ErrorCode, row.ErrorMessage = r.Error.Code, r.Error.Message
	}
	return row, nil
}

func (row runRow) toDomain() (domain.Run, error) {
	r := domain.Run{ID: uuid.MustParse(row.ID), ConnectionID: uuid.MustParse(row.ConnectionID), UserID: uuid.MustParse(row.UserID),
		Kind: domain.Kind(row.Kind), Trigger: domain.Trigger(row.Trigger), Status: domain.Status(row.Status),
		StartedAt: row.StartedAt.UTC(), FinishedAt: utcPtr(row.FinishedAt), CursorFrom: row.CursorFrom, CursorTo: row.CursorTo, Fence: row.Fence}
	if err := json.Unmarshal([]byte(row.Stats), &r.Stats); err != nil {
		return r, apperr.Wrap(err, "decode sync stats")
	}
	if row.ErrorCode != "" {
		r.Error = &domain.RunError{Code: row.ErrorCode, Message: row.ErrorMessage}
	}
	return r, nil
}

// CreateRun records a new run.
func (s *Store) CreateRun(ctx context.Context, r domain.Run) error {
	row, err := runRowOf(r)
	if err != nil {
		return err
	}
	if _, err := s.conn(ctx).NewInsert().Model(&row).Exec(ctx); err != nil {
		return apperr.Wrap(err, "create sync run")
	}
	return nil
}

// SaveRun updates a run.
func (s *Store) SaveRun(ctx context.Context, r domain.Run) error {
	row, err := runRowOf(r)
	if err != nil {
		return err
	}
	if _, err := s.conn(ctx).NewUpdate().Model(&row).WherePK().Exec(ctx); err != nil {
		return apperr.Wrap(err, "save sync run")
	}
	return nil
}

// InterruptRuns marks the connection's runs still recorded as running as failed:
// whoever ran them lost the lease (a crash), since a new claim succeeded.
func (s *Store) InterruptRuns(ctx context.Context, connectionID uuid.UUID, now time.Time) error {
	_, err := s.conn(ctx).NewUpdate().Model((*runRow)(nil)).
		Set("status = ?", string(domain.StatusFailed)).Set("finished_at = ?", now.UTC()).
		Set("error_code = ?", app.CodeInterrupted).
		Set("error_message = ?", "The sync was interrupted (the server stopped or lost its claim); the next sync picked up where it left off.").
		Where("connection_id = ?", connectionID.String()).Where("status = ?", string(domain.StatusRunning)).Exec(ctx)
	if err != nil {
		return apperr.Wrap(err, "interrupt stale sync runs")
	}
	return nil
}

// Run returns one run.
func (s *Store) Run(ctx context.Context, id uuid.UUID) (domain.Run, error) {
	var row runRow
	err := s.conn(ctx).NewSelect().Model(&row).Where("id = ?", id.String()).Scan(ctx)
	if database.IsNoRows(err) {
		return domain.Run{}, apperr.New(apperr.NotFound, "No sync with this id exists.")
	}
	if err != nil {
		return domain.Run{}, apperr.Wrap(err, "load sync run")
	}
	return row.toDomain()
}

// LastSuccess returns when the connection's last successful run of kind ended;
// nil when none did, or when the connection's last finished run (of any kind)
// failed, so a person repairing a broken link is not told to wait.
func (s *Store) LastSuccess(ctx context.Context, connectionID uuid.UUID, kind domain.Kind) (*time.Time, error) {
	var last []runRow
	err := s.conn(ctx).NewSelect().Model(&last).Where("connection_id = ?", connectionID.String()).
		Where("status IN (?)", bun.In([]string{string(domain.StatusSucceeded), string(domain.StatusFailed)})).
		Order("id DESC").Limit(1).Scan(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "load last sync")
	}
	if len(last) == 0 || last[0].Status == string(domain.StatusFailed) {
		return nil, nil
	}
	var rows []runRow
	err = s.conn(ctx).NewSelect().Model(&rows).Where("connection_id = ?", connectionID.String()).
		Where("status = ?", string(domain.StatusSucceeded)).Where("kind = ?", string(kind)).
		Order("id DESC").Limit(1).Scan(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "load last sync")
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return utcPtr(rows[0].FinishedAt), nil
}

// Runs lists runs, newest first.
func (s *Store) Runs(ctx context.Context, f app.RunFilter) ([]domain.Run, error) {
	var rows []runRow
	q := s.conn(ctx).NewSelect().Model(&rows).Where("user_id = ?", f.UserID.String())
	if f.ConnectionID.Valid {
		q = q.Where("connection_id = ?", f.ConnectionID.UUID.String())
	}
	if f.Before.Valid {
		q = q.Where("id < ?", f.Before.UUID.String())
	}
	if err := q.Order("id DESC").Limit(int64(f.Limit)).Scan(ctx); err != nil {
		return nil, apperr.Wrap(err, "list sync runs")
	}
	out := make([]domain.Run, len(rows))
	for i, row := range rows {
		r, err := row.toDomain()
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

type accountRow struct {
	bun.BaseModel `bun:"table:sync_accounts"`

	ConnectionID      string `bun:"connection_id,pk"`
	ProviderAccountID string `bun:"provider_account_id,pk"`
	AccountID         string `bun:"account_id,notnull"`
}

// AccountMap returns the connection's provider account ids and their Kontor
// accounts.
func (s *Store) AccountMap(ctx context.Context, connectionID uuid.UUID) (map[string]uuid.UUID, error) {
	var rows []accountRow
	if err := s.conn(ctx).NewSelect().Model(&rows).Where("connection_id = ?", connectionID.String()).Scan(ctx); err != nil {
		return nil, apperr.Wrap(err, "load synced accounts")
	}
	out := make(map[string]uuid.UUID, len(rows))
	for _, r := range rows {
		out[r.ProviderAccountID] = uuid.MustParse(r.AccountID)
	}
	return out, nil
}

// MapAccount records which Kontor account mirrors a provider account.
func (s *Store) MapAccount(ctx context.Context, connectionID uuid.UUID, providerAccountID string, accountID uuid.UUID) error {
	row := accountRow{ConnectionID: connectionID.String(), ProviderAccountID: providerAccountID, AccountID: accountID.String()}
	_, err := s.conn(ctx).NewInsert().Model(&row).On("CONFLICT (connection_id, provider_account_id) DO UPDATE").
		Set("account_id = EXCLUDED.account_id").Exec(ctx)
	if err != nil {
		return apperr.Wrap(err, "map synced account")
	}
	return nil
}

type factRow struct {
	bun.BaseModel `bun:"table:sync_provider_transactions"`

	ConnectionID      string       `bun:"connection_id,pk"`
	ProviderAccountID string       `bun:"provider_account_id,pk"`
	ProviderID        string       `bun:"provider_id,pk"`
	CanonicalID       string       `bun:"canonical_id,notnull"`
	Pending           bool         `bun:"pending,notnull"`
	Amount            money.Amount `bun:"amount,notnull"`
	BookedOn          time.Time    `bun:"booked_on,notnull"`
	Description       string       `bun:"description,notnull"`
	Counterparty      string       `bun:"counterparty,notnull"`
	PendingID         string       `bun:"pending_id,notnull"`
	LinkedPosted      string       `bun:"linked_posted,notnull"`
	Removed           bool         `bun:"removed,notnull"`
	Hash              string       `bun:"hash,notnull"`
	LastRunID         string       `bun:"last_run_id,nullzero"`
}

func (r factRow) toDomain() domain.Fact {
	return domain.Fact{AccountID: r.ProviderAccountID, ID: r.ProviderID, Canonical: r.CanonicalID, Pending: r.Pending, Amount: r.Amount,
		Date: r.BookedOn.UTC(), Description: r.Description, Counterparty: r.Counterparty, PendingID: r.PendingID,
		LinkedPosted: r.LinkedPosted, Removed: r.Removed, Hash: r.Hash}
}

// chunk bounds the ids in one IN list.
const chunk = 500

// Known loads what a page needs: the facts with its ids and the pending ids its
// transactions name, and every open pending fact of its accounts (all accounts
// of the connection for a window page).
func (s *Store) Known(ctx context.Context, connectionID uuid.UUID, page domain.Page) (domain.Known, error) {
	out := domain.Known{Facts: map[domain.Key]domain.Fact{}}
	ids := map[string]bool{}
	accounts := map[string]bool{}
	for _, in := range page.Upserts {
		ids[in.ID] = true
		accounts[in.AccountID] = true
		if in.PendingID != "" {
			ids[in.PendingID] = true
		}
	}
	for _, r := range page.Removed {
		ids[r.ID] = true
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	add := func(rows []factRow) {
		for _, r := range rows {
			f := r.toDomain()
			out.Facts[f.Key()] = f
		}
	}
	for i := 0; i < len(list); i += chunk {
		var rows []factRow
		var err error
		if s.db.Dialect == database.Postgres {
			// One index probe per id, whatever the statistics say: while a sync
			// fills the table faster than autovacuum analyzes it, the planner
			// believes the connection has a few facts and would otherwise scan all
			// of them on every page (quadratic). OFFSET 0 keeps the lateral
			// subquery from being flattened into that plan. The ids are bound, not
			// inlined, so one prepared statement serves every page (ScanBound).
			err = s.db.ScanBound(ctx, &rows, `SELECT f.* FROM unnest($1::text[]) AS k(id)
CROSS JOIN LATERAL (SELECT * FROM sync_provider_transactions WHERE connection_id = $2 AND provider_id = k.id OFFSET 0) AS f`,
				list[i:min(i+chunk, len(list))], connectionID.String())
		} else {
			err = s.conn(ctx).NewSelect().Model(&rows).Where("connection_id = ?", connectionID.String()).
				Where("provider_id IN (?)", bun.In(list[i:min(i+chunk, len(list))])).Scan(ctx)
		}
		if err != nil {
			return out, apperr.Wrap(err, "load provider transactions")
		}
		add(rows)
	}
	var rows []factRow
	q := s.conn(ctx).NewSelect().Model(&rows).Where("connection_id = ?", connectionID.String()).
		Where("pending").Where("NOT removed").Where("linked_posted = ''")
	if page.Window == nil {
		if len(accounts) == 0 {
			return out, nil
		}
		accts := make([]string, 0, len(accounts))
		for a := range accounts {
			accts = append(accts, a)
		}
		q = q.Where("provider_account_id IN (?)", bun.In(accts))
	}
	if err := q.Scan(ctx); err != nil {
		return out, apperr.Wrap(err, "load open pending transactions")
	}
	add(rows)
	return out, nil
}

// SaveFacts upserts facts; runID (when not nil) records the run that saw them.
func (s *Store) SaveFacts(ctx context.Context, connectionID, runID uuid.UUID, facts []domain.Fact) error {
	if len(facts) == 0 {
		return nil
	}
	run := ""
	if runID != uuid.Nil {
		run = runID.String()
	}
	for i := 0; i < len(facts); i += chunk {
		part := facts[i:min(i+chunk, len(facts))]
		rows := make([]factRow, len(part))
		for j, f := range part {
			rows[j] = factRow{ConnectionID: connectionID.String(), ProviderAccountID: f.AccountID, ProviderID: f.ID, CanonicalID: f.Canonical,
				Pending: f.Pending, Amount: f.Amount, BookedOn: f.Date.UTC(), Description: f.Description, Counterparty: f.Counterparty,
				PendingID: f.PendingID, LinkedPosted: f.LinkedPosted, Removed: f.Removed, Hash: f.Hash, LastRunID: run}
		}
		_, err := s.conn(ctx).NewInsert().Model(&rows).
			On("CONFLICT (connection_id, provider_account_id, provider_id) DO UPDATE").
			Set("canonical_id = EXCLUDED.canonical_id").Set("pending = EXCLUDED.pending").Set("amount = EXCLUDED.amount").
			Set("booked_on = EXCLUDED.booked_on").Set("description = EXCLUDED.description").Set("counterparty = EXCLUDED.counterparty").
			Set("pending_id = EXCLUDED.pending_id").Set("linked_posted = EXCLUDED.linked_posted").Set("removed = EXCLUDED.removed").
			Set("hash = EXCLUDED.hash").Set("last_run_id = EXCLUDED.last_run_id").
			// No RETURNING for a nullzero last_run_id: an exec, which pgx caches
			// nothing for, not a query kept in its statement cache under the
			// batch's whole text.
			Returning("NULL").Exec(ctx)
		if err != nil {
			return apperr.Wrap(err, "save provider transactions")
		}
	}
	return nil
}

type suggestionRow struct {
	bun.BaseModel `bun:"table:sync_suggestions"`

	ID                string     `bun:"id,pk"`
	ConnectionID      string     `bun:"connection_id,notnull"`
	UserID            string     `bun:"user_id,notnull"`
	AccountID         string     `bun:"account_id,notnull"`
	ProviderAccountID string     `bun:"provider_account_id,notnull"`
	PostedID          string     `bun:"posted_id,notnull"`
	PendingID         string     `bun:"pending_id,notnull"`
	Status            string     `bun:"status,notnull"`
	CreatedAt         time.Time  `bun:"created_at,notnull"`
	ResolvedAt        *time.Time `bun:"resolved_at"`
}

// AddSuggestions records open suggestions; a repeat of one is ignored.
func (s *Store) AddSuggestions(ctx context.Context, connectionID, userID uuid.UUID, accounts map[string]uuid.UUID, list []domain.Suggestion, now time.Time) error {
	for _, sg := range list {
		row := suggestionRow{ID: uuid.Must(uuid.NewV7()).String(), ConnectionID: connectionID.String(), UserID: userID.String(),
			AccountID: accounts[sg.AccountID].String(), ProviderAccountID: sg.AccountID, PostedID: sg.PostedID, PendingID: sg.PendingID,
			Status: app.SuggestionOpen, CreatedAt: now.UTC()}
		if _, err := s.conn(ctx).NewInsert().Model(&row).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return apperr.Wrap(err, "record pending-match suggestion")
		}
	}
	return nil
}

func (s *Store) view(ctx context.Context, row suggestionRow) (app.SuggestionView, error) {
	v := app.SuggestionView{ID: uuid.MustParse(row.ID), ConnectionID: uuid.MustParse(row.ConnectionID), UserID: uuid.MustParse(row.UserID),
		AccountID: uuid.MustParse(row.AccountID), CreatedAt: row.CreatedAt.UTC()}
	var facts []factRow
	err := s.conn(ctx).NewSelect().Model(&facts).Where("connection_id = ?", row.ConnectionID).
		Where("provider_account_id = ?", row.ProviderAccountID).Where("provider_id IN (?)", bun.In([]string{row.PostedID, row.PendingID})).Scan(ctx)
	if err != nil {
		return v, apperr.Wrap(err, "load suggested transactions")
	}
	for _, f := range facts {
		if f.ProviderID == row.PostedID {
			v.Posted = f.toDomain()
		}
		if f.ProviderID == row.PendingID {
			v.Pending = f.toDomain()
		}
	}
	return v, nil
}

// Suggestions lists a user's open suggestions, of one account when valid.
func (s *Store) Suggestions(ctx context.Context, userID uuid.UUID, accountID uuid.NullUUID) ([]app.SuggestionView, error) {
	var rows []suggestionRow
	q := s.conn(ctx).NewSelect().Model(&rows).Where("user_id = ?", userID.String()).Where("status = ?", app.SuggestionOpen)
	if accountID.Valid {
		q = q.Where("account_id = ?", accountID.UUID.String())
	}
	if err := q.Order("id").Limit(200).Scan(ctx); err != nil {
		return nil, apperr.Wrap(err, "list suggestions")
	}
	out := make([]app.SuggestionView, 0, len(rows))
	for _, r := range rows {
		v, err := s.view(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Suggestion returns one open suggestion (not_found once decided).
func (s *Store) Suggestion(ctx context.Context, id uuid.UUID) (app.SuggestionView, error) {
	var row suggestionRow
	err := s.conn(ctx).NewSelect().Model(&row).Where("id = ?", id.String()).Where("status = ?", app.SuggestionOpen).Scan(ctx)
	if database.IsNoRows(err) {
		return app.SuggestionView{}, apperr.New(apperr.NotFound, "No open suggestion with this id exists.")
	}
	if err != nil {
		return app.SuggestionView{}, apperr.Wrap(err, "load suggestion")
	}
	return s.view(ctx, row)
}

// ResolveSuggestion records the owner's decision; confirming one closes the
// other open suggestions of the same posted or pending transaction.
func (s *Store) ResolveSuggestion(ctx context.Context, id uuid.UUID, status string, now time.Time) error {
	var row suggestionRow
	if err := s.conn(ctx).NewSelect().Model(&row).Where("id = ?", id.String()).Scan(ctx); err != nil {
		return apperr.Wrap(err, "load suggestion")
	}
	if _, err := s.conn(ctx).NewUpdate().Model((*suggestionRow)(nil)).Set("status = ?", status).Set("resolved_at = ?", now.UTC()).
		Where("id = ?", id.String()).Exec(ctx); err != nil {
		return apperr.Wrap(err, "resolve suggestion")
	}
	if status != app.SuggestionConfirmed {
		return nil
	}
	_, err := s.conn(ctx).NewUpdate().Model((*suggestionRow)(nil)).Set("status = ?", app.SuggestionRejected).Set("resolved_at = ?", now.UTC()).
		Where("connection_id = ?", row.ConnectionID).Where("provider_account_id = ?", row.ProviderAccountID).
		Where("status = ?", app.SuggestionOpen).
		WhereGroup(" AND ", func(q *bun.UpdateQuery) *bun.UpdateQuery {
			return q.Where("posted_id = ?", row.PostedID).WhereOr("pending_id = ?", row.PendingID)
		}).Exec(ctx)
	if err != nil {
		return apperr.Wrap(err, "close other suggestions")
	}
	return nil
}
