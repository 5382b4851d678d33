package domain

import (
	"errors"
	"time"

	"github.com/google/uuid"
)

// RefreshTokenTTL is how long a refresh token may be exchanged for a new pair.
const RefreshTokenTTL = 30 * 24 * time.Hour

// Reasons a presented refresh token is refused.
var (
	// ErrRefreshExpired means the token is past its expiry.
	ErrRefreshExpired = errors.New("refresh token expired")
	// ErrRefreshReused means the token was already exchanged or revoked. Presenting
	// it again suggests it was stolen, so the whole family must be revoked.
	ErrRefreshReused = errors.New("refresh token reused")
)

// RefreshToken is one link of a refresh-token family. Every login starts a family;
// every refresh retires the presented token (RotatedAt) and adds its successor to
// the same family, so a thief and the rightful client cannot both keep using it.
type RefreshToken struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	FamilyID  uuid.UUID
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time
	RotatedAt *time.Time
	RevokedAt *time.Time
}

// NewRefreshToken returns a token of family valid for RefreshTokenTTL from now,
// with the opaque secret to give the client. A zero family starts a new one.
func NewRefreshToken(id, userID, family uuid.UUID, now time.Time) (RefreshToken, string, error) {
	secret, err := NewSecret()
	if err != nil {
		return RefreshToken{}, "", err
	}
	if family == uuid.Nil {
		family = id
	}
	return RefreshToken{
		ID:        id,
		UserID:    userID,
		FamilyID:  family,
		TokenHash: HashSecret(secret),
		CreatedAt: now,
		ExpiresAt: now.Add(RefreshTokenTTL),
	}, secret, nil
}

// CheckExchange says whether the token may be exchanged at now: ErrRefreshReused
// when it was rotated or revoked (reuse, which condemns the family), else
// ErrRefreshExpired when it is too old, else nil.
func (t RefreshToken) CheckExchange(now time.Time) error {
	if t.RotatedAt != nil || t.RevokedAt != nil {
		return ErrRefreshReused
	}
	if !now.Before(t.ExpiresAt) {
		return ErrRefreshExpired
	}
	return nil
}
