package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/modules/identity/internal/domain"
	"github.com/kontor-app/kontor/platform/database"
)

type passwordResetRow struct {
	bun.BaseModel `bun:"table:password_resets"`

	ID        uuid.UUID  `bun:"id,pk"`
	UserID    uuid.UUID  `bun:"user_id"`
	TokenHash string     `bun:"token_hash"`
	CreatedAt time.Time  `bun:"created_at"`
	ExpiresAt time.Time  `bun:"expires_at"`
	UsedAt    *time.Time `bun:"used_at"`
}

// SetPassword stores the new hash and ends every other way in, in one transaction.
func (s *Store) SetPassword(ctx context.Context, userID uuid.UUID, hash string, at time.Time, keep uuid.UUID) error {
	return s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return setPassword(ctx, tx, userID, hash, at, keep)
	})
}

func setPassword(ctx context.Context, tx bun.IDB, userID uuid.UUID, hash string, at time.Time, keep uuid.UUID) error {
	_, err := tx.NewUpdate().Model((*userRow)(nil)).
		Set("password_hash = ?", hash).
		Set("failed_logins = 0").
		Set("locked_until = NULL").
		Set("updated_at = ?", at.UTC()).
		Where("id = ?", userID).
		Exec(ctx)
	if err != nil {
		return err
	}
	_, err = tx.NewUpdate().Model((*refreshTokenRow)(nil)).
		Set("revoked_at = ?", at.UTC()).
		Where("user_id = ?", userID).
		Where("revoked_at IS NULL").
		Exec(ctx)
	if err != nil {
		return err
	}
	q := tx.NewDelete().Model((*sessionRow)(nil)).Where("user_id = ?", userID)
	if keep != uuid.Nil {
		q = q.Where("id <> ?", keep)
	}
	_, err = q.Exec(ctx)
	return err
}

// DeleteUser runs erase and deletes the user in one transaction; the user's
// refresh tokens, API keys, sessions and password resets go with the row (ON DELETE
// CASCADE on both engines).
func (s *Store) DeleteUser(ctx context.Context, id uuid.UUID, erase func(ctx context.Context) error) error {
	return s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := erase(ctx); err != nil {
			return err
		}
		var u userRow
		err := tx.NewSelect().Model(&u).Where("id = ?", id).Scan(ctx)
		if err != nil {
			return nilIfNoRows(err)
		}
		// The login throttles name the address; they go too.
		perIP := "login:addr-ip:" + u.Email + "|"
		_, err = tx.NewDelete().TableExpr("login_throttles").
			Where("key = ? OR substr(key, 1, ?) = ?", "login:addr:"+u.Email, len(perIP), perIP).
			Exec(ctx)
		if err != nil {
			return err
		}
		_, err = tx.NewDelete().Model((*userRow)(nil)).Where("id = ?", id).Exec(ctx)
		return err
	})
}

// CreatePasswordReset stores r.
func (s *Store) CreatePasswordReset(ctx context.Context, r domain.PasswordReset) error {
	row := &passwordResetRow{ID: r.ID, UserID: r.UserID, TokenHash: r.TokenHash, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), UsedAt: utcPtr(r.UsedAt)}
	_, err := s.db.Conn(ctx).NewInsert().Model(row).Exec(ctx)
	return err
}

// PasswordResetByHash returns the reset with the token hash.
func (s *Store) PasswordResetByHash(ctx context.Context, hash string) (domain.PasswordReset, error) {
	var r passwordResetRow
	if err := s.db.Conn(ctx).NewSelect().Model(&r).Where("token_hash = ?", hash).Scan(ctx); err != nil {
		return domain.PasswordReset{}, one(err)
	}
	return domain.PasswordReset{ID: r.ID, UserID: r.UserID, TokenHash: r.TokenHash, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), UsedAt: utcPtr(r.UsedAt)}, nil
}

// UsePasswordReset uses the reset up and sets the password. The conditional
// UPDATE lets exactly one of two racing requests use a link.
func (s *Store) UsePasswordReset(ctx context.Context, id, userID uuid.UUID, hash string, at time.Time) (bool, error) {
	won := false
	err := s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		res, err := tx.NewUpdate().Model((*passwordResetRow)(nil)).
			Set("used_at = ?", at.UTC()).
			Where("id = ?", id).
			Where("used_at IS NULL").
			Where("expires_at > ?", at.UTC()).
			Exec(ctx)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err
		}
		won = true
		return setPassword(ctx, tx, userID, hash, at, uuid.Nil)
	})
	return won, err
}

func nilIfNoRows(err error) error {
	if database.IsNoRows(err) {
		return nil
	}
	return err
}
