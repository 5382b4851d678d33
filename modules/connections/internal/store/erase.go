package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// EraseUser deletes the user's connections with their sealed credentials, status
// history and pending OAuth states, inside the transaction ctx carries (or its
// own), for an account's deletion.
func (s *Store) EraseUser(ctx context.Context, userID uuid.UUID) error {
	return s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewDelete().TableExpr("connection_oauth_states").Where("user_id = ?", userID).Exec(ctx); err != nil {
			return err
		}
		mine := tx.NewSelect().TableExpr("connections").Column("id").Where("user_id = ?", userID)
		if _, err := tx.NewDelete().TableExpr("connection_status_history").Where("connection_id IN (?)", mine).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewDelete().TableExpr("connections").Where("user_id = ?", userID).Exec(ctx)
		return err
	})
}
