// Package store is the statements module's read model for the dashboard: read-only
// queries on the accounts module's tables (accounts, account_daily_deltas,
// transactions), which live in the same database. The accounts contract reads one
// account at a time; the dashboard needs a user's accounts, their daily changes and
// latest transactions at once, within a 100 ms budget, so it reads them here. It
// never writes, and it reads only columns the accounts migrations define.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/statements/internal/app"
	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/money"
)

// Insight implements app.Insight on bun.
type Insight struct {
	db *database.DB
}

var _ app.Insight = (*Insight)(nil)

// New returns the dashboard's read model over db.
func New(db *database.DB) *Insight { return &Insight{db: db} }

// day reads a DATE (PostgreSQL) or a YYYY-MM-DD string (SQLite) as a UTC midnight.
type day struct{ time.Time }

func (d *day) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case time.Time:
		d.Time = domain.DayOf(v)
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("store: cannot scan %T into a day", src)
	}
	if len(s) > len(domain.DateLayout) {
		s = s[:len(domain.DateLayout)]
	}
	t, err := time.Parse(domain.DateLayout, s)
	if err != nil {
		return err
	}
	d.Time = t
	return nil
}

// Accounts returns the user's accounts, each with the sum of its daily deltas, which
// equals the sum of its ledger.
func (s *Insight) Accounts(ctx context.Context, userID uuid.UUID) ([]domain.AccountSnapshot, error) {
	var rows []struct {
		ID           uuid.UUID     `bun:"id"`
		Name         string        `bun:"name"`
		Type         string        `bun:"account_type"`
		Currency     string        `bun:"currency"`
		Balance      money.Amount  `bun:"balance_amount"`
		Status       string        `bun:"status"`
		ConnectionID uuid.NullUUID `bun:"connection_id"`
		LastSyncedAt sql.NullTime  `bun:"last_synced_at"`
		ArchivedAt   sql.NullTime  `bun:"archived_at"`
	}
	err := s.db.Conn(ctx).NewSelect().TableExpr("accounts").
		Column("id", "name", "account_type", "currency", "balance_amount", "status", "connection_id", "last_synced_at", "archived_at").
		Where("user_id = ?", userID).OrderExpr("sort_order, id").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	sums, err := s.ledgerSums(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]domain.AccountSnapshot, len(rows))
	for i, r := range rows {
		a := domain.AccountSnapshot{
			ID: r.ID, Name: r.Name, Type: r.Type, Currency: money.Currency(r.Currency), Balance: r.Balance,
			LedgerSum: sums[r.ID], Status: r.Status, Archived: r.ArchivedAt.Valid, Linked: r.ConnectionID.Valid,
		}
		if r.LastSyncedAt.Valid {
			t := r.LastSyncedAt.Time.UTC()
			a.LastSyncedAt = &t
		}
		out[i] = a
	}
	return out, nil
}

// ledgerSums adds up each account's daily deltas. PostgreSQL sums NUMERIC exactly;
// SQLite's SUM would go through floating point, so there the rows are added in Go.
func (s *Insight) ledgerSums(ctx context.Context, userID uuid.UUID) (map[uuid.UUID]money.Amount, error) {
	var rows []struct {
		AccountID uuid.UUID    `bun:"account_id"`
		Delta     money.Amount `bun:"delta"`
	}
	sel := s.db.Conn(ctx).NewSelect().TableExpr("account_daily_deltas AS d").
		Join("JOIN accounts AS a ON a.id = d.account_id").Where("a.user_id = ?", userID)
	if s.db.Dialect == database.Postgres {
		sel = sel.ColumnExpr("d.account_id AS account_id, sum(d.delta) AS delta").Group("d.account_id")
	} else {
		sel = sel.ColumnExpr("d.account_id AS account_id, d.delta AS delta")
	}
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("read ledger sums: %w", err)
	}
	out := make(map[uuid.UUID]money.Amount, 16)
	for _, r := range rows {
		out[r.AccountID] = out[r.AccountID].Add(r.Delta)
	}
	return out, nil
}

// DailyChanges returns the net change per currency and day from from on, and the
// first day each currency changed at all.
func (s *Insight) DailyChanges(ctx context.Context, userID uuid.UUID, from time.Time) ([]domain.DayChange, map[money.Currency]time.Time, error) {
	var rows []struct {
		Currency string       `bun:"currency"`
		Day      day          `bun:"day"`
		Delta    money.Amount `bun:"delta"`
	}
	sel := s.db.Conn(ctx).NewSelect().TableExpr("account_daily_deltas AS d").
		Join("JOIN accounts AS a ON a.id = d.account_id").
		Where("a.user_id = ?", userID).Where("d.day >= ?", from.Format(domain.DateLayout))
	if s.db.Dialect == database.Postgres {
		sel = sel.ColumnExpr("a.currency AS currency, d.day AS day, sum(d.delta) AS delta").Group("a.currency", "d.day")
	} else {
		sel = sel.ColumnExpr("a.currency AS currency, d.day AS day, d.delta AS delta")
	}
	if err := sel.OrderExpr("d.day").Scan(ctx, &rows); err != nil {
		return nil, nil, fmt.Errorf("read daily changes: %w", err)
	}
	out := make([]domain.DayChange, 0, len(rows))
	index := map[string]int{}
	for _, r := range rows {
		key := r.Currency + "|" + r.Day.Format(domain.DateLayout)
		if i, ok := index[key]; ok {
			out[i].Delta = out[i].Delta.Add(r.Delta)
			continue
		}
		index[key] = len(out)
		out = append(out, domain.DayChange{Currency: money.Currency(r.Currency), Day: r.Day.Time, Delta: r.Delta})
	}

	var firsts []struct {
		Currency string `bun:"currency"`
		Day      day    `bun:"day"`
	}
	err := s.db.Conn(ctx).NewSelect().TableExpr("account_daily_deltas AS d").
		Join("JOIN accounts AS a ON a.id = d.account_id").
		ColumnExpr("a.currency AS currency, min(d.day) AS day").
		Where("a.user_id = ?", userID).Group("a.currency").Scan(ctx, &firsts)
	if err != nil {
		return nil, nil, fmt.Errorf("read first days: %w", err)
	}
	first := make(map[money.Currency]time.Time, len(firsts))
	for _, f := range firsts {
		first[money.Currency(f.Currency)] = f.Day.Time
	}
	return out, first, nil
}

// RecentTransactions returns the user's n latest transactions, newest first, using
// the transactions (user_id, booked_at, id) index.
func (s *Insight) RecentTransactions(ctx context.Context, userID uuid.UUID, n int) ([]domain.RecentTransaction, error) {
	var rows []struct {
		ID          uuid.UUID    `bun:"id"`
		AccountID   uuid.UUID    `bun:"account_id"`
		AccountName string       `bun:"account_name"`
		BookedAt    time.Time    `bun:"booked_at"`
		Description string       `bun:"description"`
		Type        string       `bun:"type"`
		Amount      money.Amount `bun:"amount"`
		Currency    string       `bun:"currency"`
	}
	latest := s.db.Conn(ctx).NewSelect().TableExpr("transactions").
		Column("id", "account_id", "booked_at", "description", "type", "amount", "currency").
		Where("user_id = ?", userID).OrderExpr("booked_at DESC, id DESC").Limit(int64(n))
	err := s.db.Conn(ctx).NewSelect().TableExpr("(?) AS t", latest).
		Join("JOIN accounts AS a ON a.id = t.account_id").
		ColumnExpr("t.id, t.account_id, a.name AS account_name, t.booked_at, t.description, t.type, t.amount, t.currency").
		OrderExpr("t.booked_at DESC, t.id DESC").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("read recent transactions: %w", err)
	}
	out := make([]domain.RecentTransaction, len(rows))
	for i, r := range rows {
		out[i] = domain.RecentTransaction{ID: r.ID, AccountID: r.AccountID, AccountName: r.AccountName, BookedAt: r.BookedAt.UTC(),
			Description: r.Description, Type: r.Type, Amount: r.Amount, Currency: money.Currency(r.Currency)}
	}
	return out, nil
}
