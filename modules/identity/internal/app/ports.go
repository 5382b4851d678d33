package app

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/domain"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
)

// Errors a Repository returns for the outcomes use cases act on; anything else is
// an infrastructure failure.
var (
	// ErrNotFound means no row matched.
	ErrNotFound = errors.New("identity: not found")
	// ErrEmailTaken means another user already has the e-mail address.
	ErrEmailTaken = errors.New("identity: e-mail address taken")
)

// Repository keeps users and their credentials. Update methods load the row, run
// fn on it and save the result in one transaction, so the rule in fn sees the
// current state even when requests race.
type Repository interface {
	// CreateUser stores a new user, or returns ErrEmailTaken.
	CreateUser(ctx context.Context, u domain.User) error
	// UserByID returns the user with id, or ErrNotFound.
	UserByID(ctx context.Context, id uuid.UUID) (domain.User, error)
	// UserByEmail returns the user with the normalised address, or ErrNotFound.
	UserByEmail(ctx context.Context, email string) (domain.User, error)
	// UpdateUser applies fn to the user with id inside a transaction, or returns
	// ErrNotFound. An error from fn aborts the update and is returned as is.
	UpdateUser(ctx context.Context, id uuid.UUID, fn func(*domain.User) error) error

	// CreateRefreshToken stores a new refresh token.
	CreateRefreshToken(ctx context.Context, t domain.RefreshToken) error
	// RefreshTokenByHash returns the token with the hash, or ErrNotFound.
	RefreshTokenByHash(ctx context.Context, hash string) (domain.RefreshToken, error)
	// RotateRefreshToken marks the token oldID rotated at at and stores next, in one
	// transaction, but only if oldID was neither rotated nor revoked yet. It reports
	// false, storing nothing, when another request got there first.
	RotateRefreshToken(ctx context.Context, oldID uuid.UUID, at time.Time, next domain.RefreshToken) (bool, error)
	// RevokeRefreshFamily revokes every unrevoked token of the family at at.
	RevokeRefreshFamily(ctx context.Context, familyID uuid.UUID, at time.Time) error

	// CreateAPIKey stores a new API key.
	CreateAPIKey(ctx context.Context, k domain.APIKey) error
	// APIKeyByID returns the key with id, or ErrNotFound.
	APIKeyByID(ctx context.Context, id uuid.UUID) (domain.APIKey, error)
	// APIKeyByHash returns the key with the hash, or ErrNotFound.
	APIKeyByHash(ctx context.Context, hash string) (domain.APIKey, error)
	// ListAPIKeys returns the user's keys, newest first, revoked ones included.
	ListAPIKeys(ctx context.Context, userID uuid.UUID) ([]domain.APIKey, error)
	// UpdateAPIKey applies fn to the key with id inside a transaction, or returns
	// ErrNotFound.
	UpdateAPIKey(ctx context.Context, id uuid.UUID, fn func(*domain.APIKey) error) error
	// RecordAPIKeyUse sets the key's last use to at.
	RecordAPIKeyUse(ctx context.Context, id uuid.UUID, at time.Time) error

	// CreateSession stores a new web session.
	CreateSession(ctx context.Context, s domain.Session) error
	// SessionByHash returns the session with the token hash, or ErrNotFound.
	SessionByHash(ctx context.Context, hash string) (domain.Session, error)
	// DeleteSession removes the session with id; a missing one is not an error.
	DeleteSession(ctx context.Context, id uuid.UUID) error
	// DeleteExpired removes sessions that expired before now and refresh-token
	// families whose every token expired before now, and says how many rows went.
	// A family stays while any of its tokens lives, so a replayed old token is still
	// recognised and still revokes the family.
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)

	// LoginLocks returns, of the throttle keys, those locked after now, with the
	// time each lock ends.
	LoginLocks(ctx context.Context, keys []string, now time.Time) (map[string]time.Time, error)
	// RecordLoginFailure counts a failed login against key; the limit-th failure
	// within window locks key for lockFor.
	RecordLoginFailure(ctx context.Context, key string, now time.Time, limit int, window, lockFor time.Duration) error
	// ClearLoginFailures forgets the failures counted against key.
	ClearLoginFailures(ctx context.Context, key string) error
}

// PasswordHasher turns passwords into self-describing hashes and checks them.
type PasswordHasher interface {
	// Hash returns the encoded hash of password.
	Hash(password string) (string, error)
	// Verify reports whether password matches encoded, in constant time.
	Verify(password, encoded string) (bool, error)
}

// TokenIssuer signs and checks the short-lived access tokens of the JSON API.
type TokenIssuer interface {
	// IssueAccess returns an access token carrying claims, valid from issuedAt to
	// expiresAt.
	IssueAccess(claims AccessClaims, issuedAt, expiresAt time.Time) (string, error)
	// ParseAccess checks token's signature, issuer, type and expiry at now and
	// returns what it carries, IssuedAt filled in.
	ParseAccess(token string, now time.Time) (AccessClaims, error)
}

// AccessClaims is what an access token says about its holder: everything a request
// needs to know who is calling, so authenticating a token reads no row. It is as
// fresh as the token (AccessTokenTTL at most): a role granted or a name changed
// shows in the next token, issued at login or refresh.
type AccessClaims struct {
	UserID uuid.UUID
	// Role is authn.RoleUser or authn.RoleAdmin.
	Role  string
	Email string
	Name  string
	// IssuedAt is set by ParseAccess, for revocation (Service.RevokeAccessTokens).
	IssuedAt time.Time
}

// Clock tells the time, so tests can move it.
type Clock interface {
	// Now returns the current time in UTC.
	Now() time.Time
}

// Authorizer is the part of casbin the identity use cases need: ownership checks,
// the role granted at registration, and the roles a Subject carries.
type Authorizer interface {
	// Authorize returns nil when s may perform action on r, else a forbidden error.
	Authorize(ctx context.Context, s authn.Subject, r authz.Resource, action string) error
	// Grant gives userID the role.
	Grant(ctx context.Context, userID, role string) error
	// Roles lists the roles of userID.
	Roles(userID string) ([]string, error)
}
