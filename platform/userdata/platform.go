package userdata

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/platform/database"
)

// PlatformEraser deletes what the platform keeps about a user: their domain events
// (platform/events) and stored idempotent answers (platform/idempotency, scoped
// "user:<id>"), except the one of the deleting request itself.
type PlatformEraser struct {
	db *database.DB
}

// NewPlatformEraser returns the platform's eraser over db.
func NewPlatformEraser(db *database.DB) *PlatformEraser { return &PlatformEraser{db: db} }

// EraseUser deletes the rows inside the transaction ctx carries (or its own).
func (e *PlatformEraser) EraseUser(ctx context.Context, userID uuid.UUID) error {
	return e.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewDelete().TableExpr("event_log").Where("user_id = ?", userID.String()).Exec(ctx); err != nil {
			return err
		}
		// A key still running is the one of the request doing the deletion (DELETE
		// /me with an Idempotency-Key): the middleware settles it in this very
		// transaction on PostgreSQL, so it stays, holding the deletion's answer until
		// it expires like any other.
		_, err := tx.NewDelete().TableExpr("idempotency_keys").
			Where("scope = ?", "user:"+userID.String()).
			Where("state <> ?", "running").
			Exec(ctx)
		return err
	})
}
