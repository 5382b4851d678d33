// Package store keeps the accounts module's aggregates in SQLite or PostgreSQL
// through bun. It implements app.Repository: every change to an account is saved in
// one database transaction together with its ledger entries and daily deltas, with
// the account row locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
// transactions serialise writers), so the balance always equals the ledger.
package store

import (
	"bytes"
	"context"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
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

func (s *Store) postgres() bool { return s.db.Dialect == database.Postgres }

func notFound() error { return apperr.New(apperr.NotFound, "No account with this id exists.") }

// Create inserts a new account and its pending ledger changes.
func (s *Store) Create(ctx context.Context, a *domain.Account) error {
	return s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		row := toAccountRow(a)
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return uniqueError(err, "insert account")
		}
		return s.saveChanges(ctx, tx, []*domain.Account{a})
	})
}

// Get returns the account with id.
func (s *Store) Get(ctx context.Context, id uuid.UUID) (domain.Account, error) {
	var row accountRow
	err := s.db.Conn(ctx).NewSelect().Model(&row).Where("id = ?", id).Scan(ctx)
	if database.IsNoRows(err) {
		return domain.Account{}, notFound()
	}
	if err != nil {
		return domain.Account{}, apperr.Wrap(err, "load account")
	}
	return s.domainAccount(&row)
}

func (s *Store) domainAccount(row *accountRow) (domain.Account, error) {
	a, err := row.toDomain()
	if err != nil {
		return domain.Account{}, apperr.Wrap(err, "decode account")
	}
	return a, nil
}

func (s *Store) findOne(ctx context.Context, where string, args ...any) (domain.Account, bool, error) {
	var row accountRow
	err := s.db.Conn(ctx).NewSelect().Model(&row).Where(where, args...).Limit(1).Scan(ctx)
	if database.IsNoRows(err) {
		return domain.Account{}, false, nil
	}
	if err != nil {
		return domain.Account{}, false, apperr.Wrap(err, "find account")
	}
	a, err := s.domainAccount(&row)
	return a, err == nil, err
}

// FindByExternalID returns the user's account with the external id, if any.
func (s *Store) FindByExternalID(ctx context.Context, userID uuid.UUID, externalID string) (domain.Account, bool, error) {
	return s.findOne(ctx, "user_id = ? AND external_id = ?", userID, externalID)
}

// FindByProviderAccountID returns the connection's account with the provider's id.
func (s *Store) FindByProviderAccountID(ctx context.Context, connectionID uuid.UUID, providerAccountID string) (domain.Account, bool, error) {
	return s.findOne(ctx, "connection_id = ? AND provider_account_id = ?", connectionID, providerAccountID)
}

// lock loads the account with id for update inside tx.
func (s *Store) lock(ctx context.Context, tx bun.IDB, id uuid.UUID) (domain.Account, error) {
	var row accountRow
	q := tx.NewSelect().Model(&row).Where("id = ?", id)
	if s.postgres() {
		q = q.For("UPDATE")
	}
	err := q.Scan(ctx)
	if database.IsNoRows(err) {
		return domain.Account{}, notFound()
	}
	if err != nil {
		return domain.Account{}, apperr.Wrap(err, "lock account")
	}
	return s.domainAccount(&row)
}

// Update loads the account locked, calls fn and saves what it changed.
func (s *Store) Update(ctx context.Context, id uuid.UUID, fn func(ctx context.Context, a *domain.Account) error) error {
	return s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		a, err := s.lock(ctx, tx, id)
		if err != nil {
			return err
		}
		before := toAccountRow(&a)
		if err := fn(ctx, &a); err != nil {
			return err
		}
		return s.save(ctx, tx, []*domain.Account{&a}, []accountRow{before})
	})
}

// UpdatePair locks both accounts in id order, calls fn and saves both.
func (s *Store) UpdatePair(ctx context.Context, first, second uuid.UUID, fn func(ctx context.Context, first, second *domain.Account) error) error {
	if first == second {
		return apperr.Validation(apperr.FieldError{Field: "destination_account_id", Message: "must differ from source_account_id"})
	}
	return s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		lo, hi := first, second
		if bytes.Compare(lo[:], hi[:]) > 0 {
			lo, hi = hi, lo
		}
		a, err := s.lock(ctx, tx, lo)
		if err != nil {
			return err
		}
		b, err := s.lock(ctx, tx, hi)
		if err != nil {
			return err
		}
		pa, pb := &a, &b
		if a.ID != first {
			pa, pb = &b, &a
		}
		beforeA, beforeB := toAccountRow(pa), toAccountRow(pb)
		if err := fn(ctx, pa, pb); err != nil {
			return err
		}
		return s.save(ctx, tx, []*domain.Account{pa, pb}, []accountRow{beforeA, beforeB})
	})
}

// UpdateConnection locks every account of the connection in id order, calls fn on
// each and saves them all in one database transaction.
func (s *Store) UpdateConnection(ctx context.Context, connectionID uuid.UUID, fn func(ctx context.Context, a *domain.Account) error) (int, error) {
	n := 0
	err := s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var rows []accountRow
		q := tx.NewSelect().Model(&rows).Where("connection_id = ?", connectionID).Order("id")
		if s.postgres() {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return apperr.Wrap(err, "lock connection accounts")
		}
		n = len(rows)
		for i := range rows {
			a, err := s.domainAccount(&rows[i])
			if err != nil {
				return err
			}
			if err := fn(ctx, &a); err != nil {
				return err
			}
			if err := s.save(ctx, tx, []*domain.Account{&a}, []accountRow{rows[i]}); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// save writes the accounts that changed, raising their versions, and their ledger
// changes.
func (s *Store) save(ctx context.Context, tx bun.IDB, accounts []*domain.Account, before []accountRow) error {
	for i, a := range accounts {
		after := toAccountRow(a)
		after.UpdatedAt = before[i].UpdatedAt
		if len(a.Changes()) == 0 && reflect.DeepEqual(rowValues(before[i]), rowValues(after)) {
			continue
		}
		a.Version++
		row := toAccountRow(a)
		res, err := tx.NewUpdate().Model(&row).WherePK().Where("version = ?", before[i].Version).Exec(ctx)
		if err != nil {
			return uniqueError(err, "update account")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return app.ErrConcurrentModification
		}
	}
	return s.saveChanges(ctx, tx, accounts)
}

// rowValues turns a row into comparable values (amounts compare by value, not by
// their internal representation).
func rowValues(r accountRow) []any {
	return []any{r.ConnectionID, r.Provider, r.ProviderAccountID, r.ExternalID, r.AccountNumber, r.Name,
		r.AccountType, r.Subtype, r.Currency, r.BalanceAmount.String(), r.AvailableBalanceAmount.Valid,
		r.AvailableBalanceAmount.Amount.String(), r.OverdraftLimit.String(), r.InterestRate.Valid,
		r.InterestRate.Amount.String(), r.Status, r.IsHidden, r.IsFavourite, r.ShowInDashboard, r.Color, r.Icon,
		r.Notes, r.SortOrder, r.CustomFields, r.Metadata, r.LinkedAccountID, r.ProviderBalanceAmount.Valid,
		r.ProviderBalanceAmount.Amount.String(), r.TransactionCount,
		timeValue(r.LastSyncedAt), timeValue(r.ClosedAt), timeValue(r.ArchivedAt)}
}

func timeValue(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

type dayDelta struct {
	delta money.Amount
	count int64
}

// rowsPerStatement bounds the rows one multi-row statement writes, so a large batch
// (an OFX import of 100,000 entries) becomes statements of a bounded size. bun
// inlines the values, so SQLite's variable limit does not apply; the bound keeps
// each statement's text and the server's parse of it small.
const rowsPerStatement = 1000

// noReturning, given to a multi-row INSERT's Returning, keeps bun from adding
// RETURNING for the rows' nullzero columns (written as DEFAULT). Without it the
// statement is a query, and pgx runs an argument-less query (bun inlines every
// value) as a prepared statement kept in the connection's statement cache under its
// whole text: each batch's INSERT of up to rowsPerStatement rows (about 350 KB)
// stayed in memory, in the Go process and in the PostgreSQL backend, until evicted
// from a cache of 512 statements per connection, so a 100,000-entry import held
// about 35 MB more at its end than at its start. Without RETURNING it is an exec,
// which pgx sends with the simple protocol and caches nothing.
const noReturning = "NULL"

// saveChanges writes the accounts' ledger changes, the daily deltas they imply and
// the transfers whose two legs are among them. Changes are collapsed to the last
// one per entry and written with a few multi-row statements per account and batch,
// not one per entry: removed entries in one DELETE, revised ones in one upsert by
// id, new ones in one INSERT, the day deltas in one upsert (chunked at
// rowsPerStatement).
func (s *Store) saveChanges(ctx context.Context, tx bun.IDB, accounts []*domain.Account) error {
	var added, revised []transactionRow
	var removed []uuid.UUID
	legs := map[uuid.UUID][]domain.Transaction{}
	for _, a := range accounts {
		deltas := map[string]*dayDelta{}
		bump := func(t domain.Transaction, sign int64) {
			key := t.Day().Format("2006-01-02")
			d := deltas[key]
			if d == nil {
				d = &dayDelta{}
				deltas[key] = d
			}
			if sign > 0 {
				d.delta = d.delta.Add(t.Effect())
			} else {
				d.delta = d.delta.Sub(t.Effect())
			}
			d.count += sign
		}
		// final is each entry's state after all the changes (nil: removed), and
		// stored whether its row exists in the database before this save.
		final := map[uuid.UUID]*domain.Transaction{}
		stored := map[uuid.UUID]bool{}
		var order []uuid.UUID
		for _, c := range a.Changes() {
			id := c.Entry.ID
			if _, ok := final[id]; !ok {
				order = append(order, id)
				stored[id] = c.Kind != domain.EntryAdded
			}
			switch c.Kind {
			case domain.EntryAdded:
				e := c.Entry
				final[id] = &e
				bump(c.Entry, 1)
				if c.Entry.TransferID.Valid {
					legs[c.Entry.TransferID.UUID] = append(legs[c.Entry.TransferID.UUID], c.Entry)
				}
			case domain.EntryRevised:
				e := c.Entry
				final[id] = &e
				bump(c.Previous, -1)
				bump(c.Entry, 1)
			case domain.EntryRemoved:
				final[id] = nil
				bump(c.Previous, -1)
			}
		}
		for _, id := range order {
			e := final[id]
			switch {
			case e == nil && stored[id]:
				removed = append(removed, id)
			case e == nil:
				// added and withdrawn in the same batch: nothing to write
			case stored[id]:
				revised = append(revised, toTransactionRow(e))
			default:
				added = append(added, toTransactionRow(e))
			}
		}
		if err := s.applyDeltas(ctx, tx, a.ID, deltas); err != nil {
			return err
		}
	}
	for i := 0; i < len(removed); i += rowsPerStatement {
		part := removed[i:min(i+rowsPerStatement, len(removed))]
		if _, err := tx.NewDelete().Model((*transactionRow)(nil)).Where("id IN (?)", bun.In(part)).Exec(ctx); err != nil {
			return apperr.Wrap(err, "remove transactions")
		}
	}
	for i := 0; i < len(revised); i += rowsPerStatement {
		part := revised[i:min(i+rowsPerStatement, len(revised))]
		q := tx.NewInsert().Model(&part).On("CONFLICT (id) DO UPDATE").Returning(noReturning)
		for _, col := range revisedColumns {
			q = q.Set(col + " = EXCLUDED." + col)
		}
		if _, err := q.Exec(ctx); err != nil {
			return uniqueError(err, "revise transactions")
		}
	}
	for i := 0; i < len(added); i += rowsPerStatement {
		part := added[i:min(i+rowsPerStatement, len(added))]
		if _, err := tx.NewInsert().Model(&part).Returning(noReturning).Exec(ctx); err != nil {
			return uniqueError(err, "insert transactions")
		}
	}
	for id, pair := range legs {
		if len(pair) != 2 {
			continue
		}
		out, in := pair[0], pair[1]
		if out.Type != domain.TransferOut {
			out, in = in, out
		}
		row := transferRow{ID: id, UserID: out.UserID, SourceAccountID: out.AccountID, DestinationAccountID: in.AccountID,
			SourceTransactionID: out.ID, DestinationTransactionID: in.ID, Amount: in.Amount, Currency: string(in.Currency),
			CreatedAt: out.CreatedAt.UTC()}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return apperr.Wrap(err, "insert transfer")
		}
	}
	for _, a := range accounts {
		a.ClearChanges()
	}
	return nil
}

// revisedColumns are the columns a revision rewrites: every column but the id,
// as the single-row UPDATE by primary key did.
var revisedColumns = []string{"account_id", "user_id", "external_id", "provider_transaction_id", "type", "amount",
	"magnitude_key", "currency", "description", "counterparty", "status", "booked_at", "transfer_id", "created_at"}

// applyDeltas adds the day deltas of one account to account_daily_deltas, in one
// multi-row upsert per rowsPerStatement days. PostgreSQL adds in SQL; SQLite keeps
// amounts as text, so the sum is made exactly in Go, which is safe because the
// account's write lock is held.
func (s *Store) applyDeltas(ctx context.Context, tx bun.IDB, accountID uuid.UUID, deltas map[string]*dayDelta) error {
	if len(deltas) == 0 {
		return nil
	}
	days := make([]string, 0, len(deltas))
	for d := range deltas {
		days = append(days, d)
	}
	sort.Strings(days)
	conflict := "ON CONFLICT (account_id, day) DO UPDATE SET delta = account_daily_deltas.delta + EXCLUDED.delta, tx_count = account_daily_deltas.tx_count + EXCLUDED.tx_count"
	if !s.postgres() {
		type existingRow struct {
			Day   string       `bun:"day"`
			Delta money.Amount `bun:"delta"`
			Count int64        `bun:"tx_count"`
		}
		for i := 0; i < len(days); i += rowsPerStatement {
			var existing []existingRow
			err := tx.NewSelect().Table("account_daily_deltas").Column("day", "delta", "tx_count").
				Where("account_id = ?", accountID).Where("day IN (?)", bun.In(days[i:min(i+rowsPerStatement, len(days))])).Scan(ctx, &existing)
			if err != nil {
				return apperr.Wrap(err, "read daily deltas")
			}
			for _, e := range existing {
				v := deltas[e.Day]
				v.delta = v.delta.Add(e.Delta)
				v.count += e.Count
			}
		}
		conflict = "ON CONFLICT (account_id, day) DO UPDATE SET delta = excluded.delta, tx_count = excluded.tx_count"
	}
	for i := 0; i < len(days); i += rowsPerStatement {
		part := days[i:min(i+rowsPerStatement, len(days))]
		var q strings.Builder
		args := make([]any, 0, 4*len(part))
		q.WriteString("INSERT INTO account_daily_deltas (account_id, day, delta, tx_count) VALUES ")
		for j, d := range part {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?)")
			v := deltas[d]
			args = append(args, accountID, d, v.delta, v.count)
		}
		q.WriteString("\n")
		q.WriteString(conflict)
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return apperr.Wrap(err, "write daily deltas")
		}
	}
	return nil
}

// uniqueError turns a unique violation into the app's error for the field, and any
// other error into an internal one.
func uniqueError(err error, what string) error {
	if !database.IsUniqueViolation(err) {
		return apperr.Wrap(err, "%s", what)
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "provider_transaction_id"):
		return app.ErrProviderEntryIDTaken
	case strings.Contains(msg, "transactions.external_id") || strings.Contains(msg, "transactions_account_external_id"):
		return app.ErrEntryExternalIDTaken
	case strings.Contains(msg, "account_number"):
		return app.ErrAccountNumberTaken
	case strings.Contains(msg, "provider_account_id"):
		return app.ErrProviderAccountTaken
	case strings.Contains(msg, "external_id"):
		return app.ErrExternalIDTaken
	}
	return apperr.Wrap(err, "%s", what)
}
