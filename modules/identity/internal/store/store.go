// Package store keeps identity's users, refresh tokens, API keys and web sessions
// in the database through bun, on SQLite and PostgreSQL alike. It implements
// app.Repository; its row types never leave the package.
package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/modules/identity/internal/app"
	"github.com/kontor-app/kontor/modules/identity/internal/domain"
	"github.com/kontor-app/kontor/platform/database"
)

// Store is the bun implementation of app.Repository.
type Store struct {
	db *database.DB
}

var _ app.Repository = (*Store)(nil)

// New returns a Store over db.
func New(db *database.DB) *Store { return &Store{db: db} }

type userRow struct {
	bun.BaseModel `bun:"table:users"`

	ID           uuid.UUID  `bun:"id,pk"`
	Email        string     `bun:"email"`
	Name         string     `bun:"name"`
	PasswordHash string     `bun:"password_hash"`
	FailedLogins int        `bun:"failed_logins"`
	LockedUntil  *time.Time `bun:"locked_until"`
	CreatedAt    time.Time  `bun:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`
}

func userRowOf(u domain.User) *userRow {
	return &userRow{
		ID: u.ID, Email: u.Email, Name: u.Name, PasswordHash: u.PasswordHash,
		FailedLogins: u.FailedLogins, LockedUntil: utcPtr(u.LockedUntil),
		CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(),
	}
}

func (r *userRow) domain() domain.User {
	return domain.User{
		ID: r.ID, Email: r.Email, Name: r.Name, PasswordHash: r.PasswordHash,
		FailedLogins: r.FailedLogins, LockedUntil: utcPtr(r.LockedUntil),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

type refreshTokenRow struct {
	bun.BaseModel `bun:"table:refresh_tokens"`

	ID        uuid.UUID  `bun:"id,pk"`
	UserID    uuid.UUID  `bun:"user_id"`
	FamilyID  uuid.UUID  `bun:"family_id"`
	TokenHash string     `bun:"token_hash"`
	CreatedAt time.Time  `bun:"created_at"`
	ExpiresAt time.Time  `bun:"expires_at"`
	RotatedAt *time.Time `bun:"rotated_at"`
	RevokedAt *time.Time `bun:"revoked_at"`
}

func refreshTokenRowOf(t domain.RefreshToken) *refreshTokenRow {
	return &refreshTokenRow{
		ID: t.ID, UserID: t.UserID, FamilyID: t.FamilyID, TokenHash: t.TokenHash,
		CreatedAt: t.CreatedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC(),
		RotatedAt: utcPtr(t.RotatedAt), RevokedAt: utcPtr(t.RevokedAt),
	}
}

func (r *refreshTokenRow) domain() domain.RefreshToken {
	return domain.RefreshToken{
		ID: r.ID, UserID: r.UserID, FamilyID: r.FamilyID, TokenHash: r.TokenHash,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
		RotatedAt: utcPtr(r.RotatedAt), RevokedAt: utcPtr(r.RevokedAt),
	}
}

type apiKeyRow struct {
	bun.BaseModel `bun:"table:api_keys"`

	ID         uuid.UUID  `bun:"id,pk"`
	UserID     uuid.UUID  `bun:"user_id"`
	Name       string     `bun:"name"`
	Prefix     string     `bun:"prefix"`
	KeyHash    string     `bun:"key_hash"`
	CreatedAt  time.Time  `bun:"created_at"`
	ExpiresAt  *time.Time `bun:"expires_at"`
	LastUsedAt *time.Time `bun:"last_used_at"`
	RevokedAt  *time.Time `bun:"revoked_at"`
}

func apiKeyRowOf(k domain.APIKey) *apiKeyRow {
	return &apiKeyRow{
		ID: k.ID, UserID: k.UserID, Name: k.Name, Prefix: k.Prefix, KeyHash: k.KeyHash,
		CreatedAt: k.CreatedAt.UTC(), ExpiresAt: utcPtr(k.ExpiresAt),
		LastUsedAt: utcPtr(k.LastUsedAt), RevokedAt: utcPtr(k.RevokedAt),
	}
}

func (r *apiKeyRow) domain() domain.APIKey {
	return domain.APIKey{
		ID: r.ID, UserID: r.UserID, Name: r.Name, Prefix: r.Prefix, KeyHash: r.KeyHash,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: utcPtr(r.ExpiresAt),
		LastUsedAt: utcPtr(r.LastUsedAt), RevokedAt: utcPtr(r.RevokedAt),
	}
}

type sessionRow struct {
	bun.BaseModel `bun:"table:web_sessions"`

	ID        uuid.UUID `bun:"id,pk"`
	UserID    uuid.UUID `bun:"user_id"`
	TokenHash string    `bun:"token_hash"`
	CreatedAt time.Time `bun:"created_at"`
	ExpiresAt time.Time `bun:"expires_at"`
}

// utcPtr copies an optional time in UTC, so callers never share a pointer with a
// row and every time compares and prints the same way on both engines.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// one maps "no rows" to app.ErrNotFound.
func one(err error) error {
	if database.IsNoRows(err) {
		return app.ErrNotFound
	}
	return err
}

// forUpdate locks the selected row until the transaction ends on PostgreSQL;
// SQLite needs no row lock because its write transactions (IMMEDIATE) already
// exclude each other.
func (s *Store) forUpdate(q *bun.SelectQuery) *bun.SelectQuery {
	if s.db.Dialect == database.Postgres {
		return q.For("UPDATE")
	}
	return q
}

// CreateUser stores u, mapping a duplicate e-mail address to app.ErrEmailTaken.
func (s *Store) CreateUser(ctx context.Context, u domain.User) error {
	_, err := s.db.Conn(ctx).NewInsert().Model(userRowOf(u)).Exec(ctx)
	if database.IsUniqueViolation(err) {
		return app.ErrEmailTaken
	}
	return err
}

// UserByID returns the user with id.
func (s *Store) UserByID(ctx context.Context, id uuid.UUID) (domain.User, error) {
	var r userRow
	if err := s.db.Conn(ctx).NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
		return domain.User{}, one(err)
	}
	return r.domain(), nil
}

// UserByEmail returns the user with the normalised address.
func (s *Store) UserByEmail(ctx context.Context, email string) (domain.User, error) {
	var r userRow
	if err := s.db.Conn(ctx).NewSelect().Model(&r).Where("email = ?", email).Scan(ctx); err != nil {
		return domain.User{}, one(err)
	}
	return r.domain(), nil
}

// UpdateUser applies fn to the locked user row and saves the result.
func (s *Store) UpdateUser(ctx context.Context, id uuid.UUID, fn func(*domain.User) error) error {
	return s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var r userRow
		if err := s.forUpdate(tx.NewSelect().Model(&r).Where("id = ?", id)).Scan(ctx); err != nil {
			return one(err)
		}
		u := r.domain()
		if err := fn(&u); err != nil {
			return err
		}
		u.ID = id
		_, err := tx.NewUpdate().Model(userRowOf(u)).WherePK().Exec(ctx)
		if database.IsUniqueViolation(err) {
			return app.ErrEmailTaken
		}
		return err
	})
}

// CreateRefreshToken stores t.
func (s *Store) CreateRefreshToken(ctx context.Context, t domain.RefreshToken) error {
	_, err := s.db.Conn(ctx).NewInsert().Model(refreshTokenRowOf(t)).Exec(ctx)
	return err
}

// RefreshTokenByHash returns the token with the hash.
func (s *Store) RefreshTokenByHash(ctx context.Context, hash string) (domain.RefreshToken, error) {
	var r refreshTokenRow
	if err := s.db.Conn(ctx).NewSelect().Model(&r).Where("token_hash = ?", hash).Scan(ctx); err != nil {
		return domain.RefreshToken{}, one(err)
	}
	return r.domain(), nil
}

// RotateRefreshToken retires oldID and stores next. The conditional UPDATE is what
// makes two concurrent refreshes with one token safe: the database lets exactly
// one of them change the row, and the other sees no row affected.
func (s *Store) RotateRefreshToken(ctx context.Context, oldID uuid.UUID, at time.Time, next domain.RefreshToken) (bool, error) {
	won := false
	err := s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		res, err := tx.NewUpdate().Model((*refreshTokenRow)(nil)).
			Set("rotated_at = ?", at.UTC()).
			Where("id = ?", oldID).
			Where("rotated_at IS NULL").
			Where("revoked_at IS NULL").
			Exec(ctx)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n != 1 {
			return nil
		}
		if _, err := tx.NewInsert().Model(refreshTokenRowOf(next)).Exec(ctx); err != nil {
			return err
		}
		won = true
		return nil
	})
	return won, err
}

// RevokeRefreshFamily revokes every unrevoked token of the family.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID uuid.UUID, at time.Time) error {
	_, err := s.db.Conn(ctx).NewUpdate().Model((*refreshTokenRow)(nil)).
		Set("revoked_at = ?", at.UTC()).
		Where("family_id = ?", familyID).
		Where("revoked_at IS NULL").
		Exec(ctx)
	return err
}

// CreateAPIKey stores k.
func (s *Store) CreateAPIKey(ctx context.Context, k domain.APIKey) error {
	_, err := s.db.Conn(ctx).NewInsert().Model(apiKeyRowOf(k)).Exec(ctx)
	return err
}

// APIKeyByID returns the key with id.
func (s *Store) APIKeyByID(ctx context.Context, id uuid.UUID) (domain.APIKey, error) {
	var r apiKeyRow
	if err := s.db.Conn(ctx).NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
		return domain.APIKey{}, one(err)
	}
	return r.domain(), nil
}

// APIKeyByHash returns the key with the hash.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (domain.APIKey, error) {
	var r apiKeyRow
	if err := s.db.Conn(ctx).NewSelect().Model(&r).Where("key_hash = ?", hash).Scan(ctx); err != nil {
		return domain.APIKey{}, one(err)
	}
	return r.domain(), nil
}

// ListAPIKeys returns the user's keys, newest first. Ids are UUIDv7 and so order
// keys created in the same microsecond too.
func (s *Store) ListAPIKeys(ctx context.Context, userID uuid.UUID) ([]domain.APIKey, error) {
	var rows []apiKeyRow
	err := s.db.Conn(ctx).NewSelect().Model(&rows).
		Where("user_id = ?", userID).
		Order("created_at DESC", "id DESC").
		Scan(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]domain.APIKey, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// UpdateAPIKey applies fn to the locked key row and saves the result.
func (s *Store) UpdateAPIKey(ctx context.Context, id uuid.UUID, fn func(*domain.APIKey) error) error {
	return s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var r apiKeyRow
		if err := s.forUpdate(tx.NewSelect().Model(&r).Where("id = ?", id)).Scan(ctx); err != nil {
			return one(err)
		}
		k := r.domain()
		if err := fn(&k); err != nil {
			return err
		}
		k.ID = id
		_, err := tx.NewUpdate().Model(apiKeyRowOf(k)).WherePK().Exec(ctx)
		return err
	})
}

// RecordAPIKeyUse sets the key's last use to at.
func (s *Store) RecordAPIKeyUse(ctx context.Context, id uuid.UUID, at time.Time) error {
	_, err := s.db.Conn(ctx).NewUpdate().Model((*apiKeyRow)(nil)).
		Set("last_used_at = ?", at.UTC()).
		Where("id = ?", id).
		Exec(ctx)
	return err
}

// CreateSession stores sess.
func (s *Store) CreateSession(ctx context.Context, sess domain.Session) error {
	r := &sessionRow{ID: sess.ID, UserID: sess.UserID, TokenHash: sess.TokenHash, CreatedAt: sess.CreatedAt.UTC(), ExpiresAt: sess.ExpiresAt.UTC()}
	_, err := s.db.Conn(ctx).NewInsert().Model(r).Exec(ctx)
	return err
}

// SessionByHash returns the session with the token hash.
func (s *Store) SessionByHash(ctx context.Context, hash string) (domain.Session, error) {
	var r sessionRow
	if err := s.db.Conn(ctx).NewSelect().Model(&r).Where("token_hash = ?", hash).Scan(ctx); err != nil {
		return domain.Session{}, one(err)
	}
	return domain.Session{ID: r.ID, UserID: r.UserID, TokenHash: r.TokenHash, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, nil
}

// DeleteSession removes the session with id.
func (s *Store) DeleteSession(ctx context.Context, id uuid.UUID) error {
	_, err := s.db.Conn(ctx).NewDelete().Model((*sessionRow)(nil)).Where("id = ?", id).Exec(ctx)
	return err
}

// DeleteExpired removes expired sessions and refresh-token families that have wholly
// expired, in one transaction.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	err := s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		res, err := tx.NewDelete().Model((*sessionRow)(nil)).Where("expires_at < ?", now.UTC()).Exec(ctx)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		total += n
		live := tx.NewSelect().Model((*refreshTokenRow)(nil)).Column("family_id").Where("expires_at >= ?", now.UTC())
		res, err = tx.NewDelete().Model((*refreshTokenRow)(nil)).Where("family_id NOT IN (?)", live).Exec(ctx)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		total += n
		n, err = deleteIdleThrottles(ctx, tx, now)
		total += n
		return err
	})
	return total, err
}
