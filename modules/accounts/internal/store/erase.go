package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// EraseUser deletes every account of the user with its entries, transfers and
// daily deltas, inside the transaction ctx carries (or its own). The entries and
// deltas would go with their accounts (ON DELETE CASCADE); they are deleted by
// user first so the cascade has nothing left to find row by row.
func (s *Store) EraseUser(ctx context.Context, userID uuid.UUID) error {
	return s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewDelete().TableExpr("transfers").Where("user_id = ?", userID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().TableExpr("transactions").Where("user_id = ?", userID).Exec(ctx); err != nil {
			return err
		}
		mine := tx.NewSelect().TableExpr("accounts").Column("id").Where("user_id = ?", userID)
		if _, err := tx.NewDelete().TableExpr("account_daily_deltas").Where("account_id IN (?)", mine).Exec(ctx); err != nil {
			return err
		}
		// Another user's account never links to this user's, but a link between the
		// user's own accounts must not hold the delete up.
		if _, err := tx.NewUpdate().TableExpr("accounts").Set("linked_account_id = NULL").Where("user_id = ?", userID).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewDelete().TableExpr("accounts").Where("user_id = ?", userID).Exec(ctx)
		return err
	})
}
