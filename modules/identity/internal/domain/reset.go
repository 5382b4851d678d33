package domain

import (
	"errors"
	"time"

	"github.com/google/uuid"
)

// PasswordResetTTL is how long a password-reset link works.
const PasswordResetTTL = time.Hour

// ErrResetUnusable means a password-reset token was used already or has expired.
var ErrResetUnusable = errors.New("password reset used or expired")

// PasswordReset is a one-time permission to set a user's password without the old
// one, handed out by an administrator's `kontor user reset-password`. Only the
// token's hash is stored.
type PasswordReset struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// NewPasswordReset returns a reset valid for PasswordResetTTL from now and the
// token for the link.
func NewPasswordReset(id, userID uuid.UUID, now time.Time) (PasswordReset, string, error) {
	secret, err := NewSecret()
	if err != nil {
		return PasswordReset{}, "", err
	}
	return PasswordReset{ID: id, UserID: userID, TokenHash: HashSecret(secret), CreatedAt: now, ExpiresAt: now.Add(PasswordResetTTL)}, secret, nil
}

// CheckUsable returns nil while the reset is unused and unexpired at now.
func (r PasswordReset) CheckUsable(now time.Time) error {
	if r.UsedAt != nil || !now.Before(r.ExpiresAt) {
		return ErrResetUnusable
	}
	return nil
}
