package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/money"
)

// Entries streams ledger entries for statements with one query whose rows are read
// one at a time. The accounts contract streams in keyset pages of 500 rows, and on
// SQLite each page's (booked_at, id) > (?, ?) condition rescans the range from the
// period's start, so 100,000 entries took seconds; one ordered query over the
// (account_id, booked_at, id) index reads them in a single pass. The caller must have
// checked that the reader may see the account.
type Entries struct {
	db *database.DB
}

// NewEntries returns the statement entry stream over db.
func NewEntries(db *database.DB) *Entries { return &Entries{db: db} }

// Entries calls fn with each of the account's entries booked in [from, until), in
// booking order (booked_at, then id), stopping at fn's first error.
func (s *Entries) Entries(ctx context.Context, accountID uuid.UUID, from, until time.Time, fn func(domain.Entry) error) error {
	rows, err := s.db.Conn(ctx).NewSelect().TableExpr("transactions").
		Column("id", "booked_at", "description", "type", "amount").
		Where("account_id = ?", accountID).
		Where("booked_at >= ?", from.UTC()).Where("booked_at < ?", until.UTC()).
		OrderExpr("booked_at ASC, id ASC").Rows(ctx)
	if err != nil {
		return fmt.Errorf("stream entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e domain.Entry
		var amount money.Amount
		if err := rows.Scan(&e.TransactionID, &e.BookedAt, &e.Description, &e.Type, &amount); err != nil {
			return fmt.Errorf("scan entry: %w", err)
		}
		e.Amount = amount
		e.BookedAt = e.BookedAt.UTC()
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}
