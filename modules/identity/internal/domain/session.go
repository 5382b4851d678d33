package domain

import (
	"errors"
	"time"

	"github.com/google/uuid"
)

// SessionTTL is how long a browser stays logged in.
const SessionTTL = 14 * 24 * time.Hour

// ErrSessionExpired means a session is past its expiry.
var ErrSessionExpired = errors.New("session expired")

// Session is a browser login. The browser holds the opaque token in a cookie; only
// its hash is stored.
type Session struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// NewSession returns a session valid for SessionTTL from now and the token for the
// browser's cookie.
func NewSession(id, userID uuid.UUID, now time.Time) (Session, string, error) {
	secret, err := NewSecret()
	if err != nil {
		return Session{}, "", err
	}
	return Session{ID: id, UserID: userID, TokenHash: HashSecret(secret), CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}, secret, nil
}

// CheckActive returns nil while the session is valid at now.
func (s Session) CheckActive(now time.Time) error {
	if !now.Before(s.ExpiresAt) {
		return ErrSessionExpired
	}
	return nil
}
