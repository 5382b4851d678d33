package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// EraseUser deletes the sync module's rows of the user's connections (runs,
// suggestions, balance snapshots and drift, mirrored provider transactions and
// accounts, state and lease), inside the transaction ctx carries (or its own), for
// an account's deletion. The user's connections are found through the module's own
// runs and suggestions, so the eraser works whichever module's eraser runs first.
func (s *Store) EraseUser(ctx context.Context, userID uuid.UUID) error {
	return s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		runs := tx.NewSelect().TableExpr("sync_runs").Column("connection_id").Where("user_id = ?", userID)
		suggestions := tx.NewSelect().TableExpr("sync_suggestions").Column("connection_id").Where("user_id = ?", userID)
		for _, table := range []string{"sync_provider_transactions", "sync_accounts", "sync_states", "sync_leases"} {
			_, err := tx.NewDelete().TableExpr(table).
				Where("connection_id IN (?) OR connection_id IN (?)", runs, suggestions).
				Exec(ctx)
			if err != nil {
				return err
			}
		}
		for _, table := range []string{"sync_balance_snapshots", "sync_account_drift", "sync_suggestions", "sync_runs"} {
			if _, err := tx.NewDelete().TableExpr(table).Where("user_id = ?", userID).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}
