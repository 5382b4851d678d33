package domain

import (
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// APIKeyPrefix starts every API key so a bearer token names its own kind; it
// equals authn.APIKeyPrefix, which the domain may not import.
const APIKeyPrefix = "kontor_"

// APIKeyDisplayLength is how many leading characters of a key are kept in clear,
// so a person can tell their keys apart without the key being recoverable.
const APIKeyDisplayLength = 12

// MaxAPIKeyNameLength bounds a key's name.
const MaxAPIKeyNameLength = 100

// Validation problems of a new API key.
var (
	ErrAPIKeyNameMissing  = errors.New("must not be empty")
	ErrAPIKeyNameTooLong  = errors.New("must be at most 100 characters")
	ErrAPIKeyNameInvalid  = errors.New("must not contain control characters")
	ErrAPIKeyExpiryPassed = errors.New("must be in the future")
)

// Reasons an API key is refused.
var (
	ErrAPIKeyRevoked = errors.New("API key revoked")
	ErrAPIKeyExpired = errors.New("API key expired")
)

// APIKey is a long-lived credential for scripts. Only its SHA-256 is stored; the
// key itself is shown once, when it is created.
type APIKey struct {
	ID         uuid.UUID
	UserID     uuid.UUID
	Name       string
	Prefix     string
	KeyHash    string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// NewAPIKey validates name and expiresAt and returns the key record together with
// the key itself: "kontor_" and 32 random bytes in base64url.
func NewAPIKey(id, userID uuid.UUID, name string, expiresAt *time.Time, now time.Time) (APIKey, string, error) {
	n, err := ParseAPIKeyName(name)
	if err != nil {
		return APIKey{}, "", err
	}
	if err := CheckAPIKeyExpiry(expiresAt, now); err != nil {
		return APIKey{}, "", err
	}
	secret, err := NewSecret()
	if err != nil {
		return APIKey{}, "", err
	}
	key := APIKeyPrefix + secret
	var exp *time.Time
	if expiresAt != nil {
		e := *expiresAt
		exp = &e
	}
	return APIKey{
		ID:        id,
		UserID:    userID,
		Name:      n,
		Prefix:    key[:APIKeyDisplayLength],
		KeyHash:   HashSecret(key),
		CreatedAt: now,
		ExpiresAt: exp,
	}, key, nil
}

// ParseAPIKeyName trims a key's name and checks it holds 1 to 100 characters.
func ParseAPIKeyName(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "", ErrAPIKeyNameMissing
	case n > MaxAPIKeyNameLength:
		return "", ErrAPIKeyNameTooLong
	}
	if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		return "", ErrAPIKeyNameInvalid
	}
	return s, nil
}

// CheckAPIKeyExpiry accepts no expiry or one after now.
func CheckAPIKeyExpiry(expiresAt *time.Time, now time.Time) error {
	if expiresAt != nil && !expiresAt.After(now) {
		return ErrAPIKeyExpiryPassed
	}
	return nil
}

// LooksLikeAPIKey reports whether a bearer token claims to be an API key.
func LooksLikeAPIKey(token string) bool { return strings.HasPrefix(token, APIKeyPrefix) }

// CheckUsable returns nil when the key may authenticate at now.
func (k APIKey) CheckUsable(now time.Time) error {
	if k.RevokedAt != nil {
		return ErrAPIKeyRevoked
	}
	if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
		return ErrAPIKeyExpired
	}
	return nil
}

// Revoke marks the key revoked at now; revoking twice keeps the first time.
func (k *APIKey) Revoke(now time.Time) {
	if k.RevokedAt == nil {
		k.RevokedAt = &now
	}
}

// lastUsedResolution is how stale last_used_at may get: recording every request
// would turn each API read into a write, and a minute is precise enough to tell
// whether a key is still in use.
const lastUsedResolution = time.Minute

// NeedsUseRecorded reports whether a use at now should update LastUsedAt.
func (k APIKey) NeedsUseRecorded(now time.Time) bool {
	return k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= lastUsedResolution
}
