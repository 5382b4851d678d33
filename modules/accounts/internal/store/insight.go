package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/money"
)

// The queries of this file serve a dashboard: all of one user's accounts at once,
// within a budget of 100 ms for a user with a million entries. They read the
// accounts, the daily deltas (about one row per account and active day) and, for
// the latest entries only, the (user_id, booked_at, id) index with a limit; none
// reads an account's whole ledger.

// Snapshots returns the user's accounts by sort order, each with the sum of its
// daily deltas, which equals the sum of its ledger.
func (s *Store) Snapshots(ctx context.Context, userID uuid.UUID) ([]app.AccountSnapshot, error) {
	var rows []struct {
		ID           uuid.UUID     `bun:"id"`
		Name         string        `bun:"name"`
		Type         string        `bun:"account_type"`
		Currency     string        `bun:"currency"`
		Balance      money.Amount  `bun:"balance_amount"`
		Status       string        `bun:"status"`
		ConnectionID uuid.NullUUID `bun:"connection_id"`
		LastSyncedAt *time.Time    `bun:"last_synced_at"`
		ArchivedAt   *time.Time    `bun:"archived_at"`
		Favourite    bool          `bun:"is_favourite"`
		Show         bool          `bun:"show_in_dashboard"`
		Color        *string       `bun:"color"`
	}
	err := s.db.Conn(ctx).NewSelect().TableExpr("accounts").
		Column("id", "name", "account_type", "currency", "balance_amount", "status", "connection_id", "last_synced_at", "archived_at", "is_favourite", "show_in_dashboard", "color").
		Where("user_id = ?", userID).OrderExpr("sort_order, id").Scan(ctx, &rows)
	if err != nil {
		return nil, apperr.Wrap(err, "read account snapshots")
	}
	sums, err := s.ledgerSums(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]app.AccountSnapshot, len(rows))
	for i, r := range rows {
		out[i] = app.AccountSnapshot{
			ID: r.ID, Name: r.Name, Type: domain.AccountType(r.Type), Currency: money.Currency(r.Currency),
			Balance: r.Balance, LedgerSum: sums[r.ID], Status: domain.Status(r.Status), IsArchived: r.ArchivedAt != nil,
			ConnectionID: r.ConnectionID, LastSyncedAt: utcPtr(r.LastSyncedAt),
			IsFavourite: r.Favourite, ShowInDashboard: r.Show, Color: deref(r.Color),
		}
	}
	return out, nil
}

// ledgerSums adds up each of the user's accounts' daily deltas. PostgreSQL sums
// NUMERIC exactly; SQLite's SUM would go through floating point, so there the rows
// are added in Go.
func (s *Store) ledgerSums(ctx context.Context, userID uuid.UUID) (map[uuid.UUID]money.Amount, error) {
	var rows []struct {
		AccountID uuid.UUID    `bun:"account_id"`
		Delta     money.Amount `bun:"delta"`
	}
	sel := s.db.Conn(ctx).NewSelect().TableExpr("account_daily_deltas AS d").
		Join("JOIN accounts AS a ON a.id = d.account_id").Where("a.user_id = ?", userID)
	if s.postgres() {
		sel = sel.ColumnExpr("d.account_id AS account_id, sum(d.delta) AS delta").Group("d.account_id")
	} else {
		sel = sel.ColumnExpr("d.account_id AS account_id, d.delta AS delta")
	}
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, apperr.Wrap(err, "read ledger sums")
	}
	out := make(map[uuid.UUID]money.Amount, 16)
	for _, r := range rows {
		out[r.AccountID] = out[r.AccountID].Add(r.Delta)
	}
	return out, nil
}

// FirstDeltaDays returns the first day with a daily delta of each currency among
// the user's accounts.
func (s *Store) FirstDeltaDays(ctx context.Context, userID uuid.UUID) (map[money.Currency]time.Time, error) {
	var rows []struct {
		Currency string `bun:"currency"`
		Day      day    `bun:"day"`
	}
	err := s.db.Conn(ctx).NewSelect().TableExpr("account_daily_deltas AS d").
		Join("JOIN accounts AS a ON a.id = d.account_id").
		ColumnExpr("a.currency AS currency, min(d.day) AS day").
		Where("a.user_id = ?", userID).Group("a.currency").Scan(ctx, &rows)
	if err != nil {
		return nil, apperr.Wrap(err, "read first delta days")
	}
	out := make(map[money.Currency]time.Time, len(rows))
	for _, r := range rows {
		out[money.Currency(r.Currency)] = r.Day.Time
	}
	return out, nil
}

// LatestTransactions returns the user's n latest entries, newest first: the limit
// applies on the (user_id, booked_at, id) index before the join names the accounts.
func (s *Store) LatestTransactions(ctx context.Context, userID uuid.UUID, n int) ([]app.RecentTransaction, error) {
	var rows []struct {
		transactionRow
		AccountName string `bun:"account_name"`
	}
	if err := s.latestQuery(ctx, userID, n).Scan(ctx, &rows); err != nil {
		return nil, apperr.Wrap(err, "read latest transactions")
	}
	out := make([]app.RecentTransaction, len(rows))
	for i := range rows {
		out[i] = app.RecentTransaction{Transaction: rows[i].toDomain(), AccountName: rows[i].AccountName}
	}
	return out, nil
}

func (s *Store) latestQuery(ctx context.Context, userID uuid.UUID, n int) *bun.SelectQuery {
	latest := s.db.Conn(ctx).NewSelect().TableExpr("transactions").
		Column("id", "account_id", "user_id", "external_id", "provider_transaction_id", "type", "amount", "currency",
			"description", "counterparty", "status", "booked_at", "transfer_id", "created_at").
		Where("user_id = ?", userID).OrderExpr("booked_at DESC, id DESC").Limit(int64(n))
	return s.db.Conn(ctx).NewSelect().TableExpr("(?) AS t", latest).
		Join("JOIN accounts AS a ON a.id = t.account_id").
		ColumnExpr("t.*, a.name AS account_name").
		OrderExpr("t.booked_at DESC, t.id DESC")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
