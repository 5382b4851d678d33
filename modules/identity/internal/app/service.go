// Package app holds the identity use cases: registration, token and session
// logins with lockout, refresh-token rotation, API keys, and authenticating every
// kind of credential. It declares the ports it needs (Repository, PasswordHasher,
// TokenIssuer, Clock, Authorizer); the JSON API and the HTML pages call the same
// methods with the same input structs.
package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
)

// AccessTokenTTL is the lifetime of an access JWT.
const AccessTokenTTL = 15 * time.Minute

// dummyPassword is hashed once and checked against on logins for unknown e-mail
// addresses, so such logins cost as much time as real ones and timing does not
// reveal who has an account.
const dummyPassword = "kontor: no such account, compare anyway"

// Service runs the identity use cases.
type Service struct {
	repo   Repository
	hasher PasswordHasher
	tokens TokenIssuer
	authz  Authorizer
	clock  Clock

	dummyOnce sync.Once
	dummyHash string
	dummyErr  error

	// revoked maps a user id to the Unix second up to which their access tokens
	// are refused (see RevokeAccessTokens).
	revoked sync.Map
}

// NewService returns the identity use cases over their ports.
func NewService(repo Repository, hasher PasswordHasher, tokens TokenIssuer, authz Authorizer, clock Clock) *Service {
	return &Service{repo: repo, hasher: hasher, tokens: tokens, authz: authz, clock: clock}
}

// RegisterInput is a new user's sign-up form, from the API or the web page.
type RegisterInput struct {
	Email    string
	Password string
	Name     string
}

// LoginInput is an e-mail address and password, for API tokens or a web session.
type LoginInput struct {
	Email    string
	Password string
	// ClientIP is the address the attempt comes from; the lockout counts failures
	// per address and client IP (see loginThrottles).
	ClientIP string
}

// RefreshInput carries the refresh token to exchange.
type RefreshInput struct {
	RefreshToken string
}

// LogoutInput carries the refresh token whose family ends.
type LogoutInput struct {
	RefreshToken string
}

// TokenPair is what an API login or refresh returns. The lifetimes are in seconds.
type TokenPair struct {
	AccessToken      string
	TokenType        string
	ExpiresIn        int
	RefreshToken     string
	RefreshExpiresIn int
}

// NewSession is a started web session: the token for the cookie, its expiry and
// the user it belongs to.
type NewSession struct {
	Token     string
	ExpiresAt time.Time
	User      domain.User
}

// Register creates a user with the role "user". A taken address is a conflict.
func (s *Service) Register(ctx context.Context, in RegisterInput) (domain.User, error) {
	var f apperr.Fields
	email, err := domain.ParseEmail(in.Email)
	switch {
	case in.Email == "":
		f.Add("email", "is required")
	case err != nil:
		f.Add("email", "%s", err)
	}
	if in.Password == "" {
		f.Add("password", "is required")
	} else if err := domain.CheckPassword(in.Password); err != nil {
		f.Add("password", "%s", err)
	}
	name, err := domain.ParseName(in.Name)
	switch {
	case in.Name == "":
		f.Add("name", "is required")
	case err != nil:
		f.Add("name", "%s", err)
	}
	if err := f.Err(); err != nil {
		return domain.User{}, err
	}

	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return domain.User{}, apperr.Wrap(err, "hash password")
	}
	id, err := uuid.NewV7()
	if err != nil {
		return domain.User{}, apperr.Wrap(err, "new user id")
	}
	u, err := domain.NewUser(id, email, name, hash, s.clock.Now())
	if err != nil {
		return domain.User{}, apperr.Wrap(err, "new user")
	}
	if err := s.repo.CreateUser(ctx, u); err != nil {
		if errors.Is(err, ErrEmailTaken) {
			return domain.User{}, apperr.New(apperr.EmailTaken, "An account with this e-mail address already exists.")
		}
		return domain.User{}, apperr.Wrap(err, "create user")
	}
	if err := s.authz.Grant(ctx, u.ID.String(), authn.RoleUser); err != nil {
		return domain.User{}, apperr.Wrap(err, "grant role")
	}
	return u, nil
}

// User returns the user with id, or a not-found error.
func (s *Service) User(ctx context.Context, id uuid.UUID) (domain.User, error) {
	u, err := s.repo.UserByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return domain.User{}, apperr.New(apperr.NotFound, "No user has this id.")
	}
	if err != nil {
		return domain.User{}, apperr.Wrap(err, "load user")
	}
	return u, nil
}

// Me returns the authenticated user.
func (s *Service) Me(ctx context.Context, sub authn.Subject) (domain.User, error) {
	return s.User(ctx, sub.UserID)
}

// Login checks the credentials and starts a refresh-token family.
func (s *Service) Login(ctx context.Context, in LoginInput) (TokenPair, error) {
	u, err := s.checkCredentials(ctx, in)
	if err != nil {
		return TokenPair{}, err
	}
	now := s.clock.Now()
	id, err := uuid.NewV7()
	if err != nil {
		return TokenPair{}, apperr.Wrap(err, "new token id")
	}
	rt, secret, err := domain.NewRefreshToken(id, u.ID, uuid.Nil, now)
	if err != nil {
		return TokenPair{}, apperr.Wrap(err, "new refresh token")
	}
	if err := s.repo.CreateRefreshToken(ctx, rt); err != nil {
		return TokenPair{}, apperr.Wrap(err, "store refresh token")
	}
	sub, err := s.subject(ctx, u.ID, authn.MethodJWT, "")
	if err != nil {
		return TokenPair{}, err
	}
	return s.pair(sub, now, rt, secret)
}

// Refresh exchanges a refresh token for a new pair and retires it. A token that
// was already exchanged or revoked is being replayed, perhaps by a thief, so its
// whole family is revoked and both holders must log in again.
func (s *Service) Refresh(ctx context.Context, in RefreshInput) (TokenPair, error) {
	if in.RefreshToken == "" {
		return TokenPair{}, apperr.Validation(apperr.FieldError{Field: "refresh_token", Message: "is required"})
	}
	invalid := apperr.New(apperr.InvalidToken, "The refresh token is invalid, expired or revoked. Log in again.")
	old, err := s.repo.RefreshTokenByHash(ctx, domain.HashSecret(in.RefreshToken))
	if errors.Is(err, ErrNotFound) {
		return TokenPair{}, invalid
	}
	if err != nil {
		return TokenPair{}, apperr.Wrap(err, "load refresh token")
	}
	now := s.clock.Now()
	switch err := old.CheckExchange(now); {
	case errors.Is(err, domain.ErrRefreshReused):
		if err := s.repo.RevokeRefreshFamily(ctx, old.FamilyID, now); err != nil {
			return TokenPair{}, apperr.Wrap(err, "revoke refresh family")
		}
		return TokenPair{}, invalid
	case err != nil:
		return TokenPair{}, invalid
	}
	id, err := uuid.NewV7()
	if err != nil {
		return TokenPair{}, apperr.Wrap(err, "new token id")
	}
	next, secret, err := domain.NewRefreshToken(id, old.UserID, old.FamilyID, now)
	if err != nil {
		return TokenPair{}, apperr.Wrap(err, "new refresh token")
	}
	// The new access token carries the user as they are now; a user who no longer
	// exists gets none.
	sub, err := s.subject(ctx, old.UserID, authn.MethodJWT, "")
	if err != nil {
		return TokenPair{}, err
	}
	won, err := s.repo.RotateRefreshToken(ctx, old.ID, now, next)
	if err != nil {
		return TokenPair{}, apperr.Wrap(err, "rotate refresh token")
	}
	if !won {
		// Another request exchanged the same token a moment ago: that is reuse too.
		if err := s.repo.RevokeRefreshFamily(ctx, old.FamilyID, now); err != nil {
			return TokenPair{}, apperr.Wrap(err, "revoke refresh family")
		}
		return TokenPair{}, invalid
	}
	return s.pair(sub, now, next, secret)
}

// Logout revokes the refresh token's whole family. Like OAuth token revocation
// (RFC 7009), an unknown or already revoked token is not an error: the outcome the
// client wants holds either way.
func (s *Service) Logout(ctx context.Context, in LogoutInput) error {
	if in.RefreshToken == "" {
		return apperr.Validation(apperr.FieldError{Field: "refresh_token", Message: "is required"})
	}
	rt, err := s.repo.RefreshTokenByHash(ctx, domain.HashSecret(in.RefreshToken))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return apperr.Wrap(err, "load refresh token")
	}
	if err := s.repo.RevokeRefreshFamily(ctx, rt.FamilyID, s.clock.Now()); err != nil {
		return apperr.Wrap(err, "revoke refresh family")
	}
	return nil
}

// StartSession logs a browser in, with the same credential check and lockout as
// Login.
func (s *Service) StartSession(ctx context.Context, in LoginInput) (NewSession, error) {
	u, err := s.checkCredentials(ctx, in)
	if err != nil {
		return NewSession{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return NewSession{}, apperr.Wrap(err, "new session id")
	}
	sess, token, err := domain.NewSession(id, u.ID, s.clock.Now())
	if err != nil {
		return NewSession{}, apperr.Wrap(err, "new session")
	}
	if err := s.repo.CreateSession(ctx, sess); err != nil {
		return NewSession{}, apperr.Wrap(err, "store session")
	}
	return NewSession{Token: token, ExpiresAt: sess.ExpiresAt, User: u}, nil
}

// PurgeExpired deletes expired sessions and wholly expired refresh-token families;
// the module runs it periodically so the tables do not grow without end.
func (s *Service) PurgeExpired(ctx context.Context) (int64, error) {
	n, err := s.repo.DeleteExpired(ctx, s.clock.Now())
	if err != nil {
		return 0, apperr.Wrap(err, "purge expired credentials")
	}
	return n, nil
}

// EndSession ends the browser session the Subject authenticated with.
func (s *Service) EndSession(ctx context.Context, sub authn.Subject) error {
	id, err := uuid.Parse(sub.SessionID)
	if err != nil {
		// Not a session login: there is nothing to end.
		return nil
	}
	if err := s.repo.DeleteSession(ctx, id); err != nil {
		return apperr.Wrap(err, "delete session")
	}
	return nil
}

// AuthenticateBearer accepts an access JWT or, when the token starts with
// "kontor_", an API key. Anything unknown, expired or revoked is InvalidToken.
func (s *Service) AuthenticateBearer(ctx context.Context, token string) (authn.Subject, error) {
	if domain.LooksLikeAPIKey(token) {
		return s.authenticateAPIKey(ctx, token)
	}
	c, err := s.tokens.ParseAccess(token, s.clock.Now())
	if err != nil || s.isRevoked(c) {
		return authn.Subject{}, apperr.New(apperr.InvalidToken, "The access token is invalid or has expired.")
	}
	// The token carries what the request needs: no row is read (see AccessClaims).
	return authn.Subject{UserID: c.UserID, Email: c.Email, Name: c.Name, Role: c.Role, Method: authn.MethodJWT}, nil
}

// RevokeAccessTokens refuses, from now on, every access token of userID issued up
// to now (to the second: a token issued later in the same second is refused too,
// and its holder refreshes). Authenticating a token reads no row, so a change that
// must end the tokens already out — the user deleted, the password changed or
// reset, a role taken away — calls this in the same process. It lives in memory:
// another instance, or this one after a restart, still accepts such a token until
// it expires, AccessTokenTTL (15 minutes) after it was issued at most; refresh
// tokens are checked against the database and end at once. Long-lived credentials
// (API keys, browser sessions) are looked up on every request and are unaffected.
func (s *Service) RevokeAccessTokens(userID uuid.UUID) {
	s.revoked.Store(userID, s.clock.Now().Unix())
}

// isRevoked reports whether c was issued no later than its user's revocation.
func (s *Service) isRevoked(c AccessClaims) bool {
	until, ok := s.revoked.Load(c.UserID)
	return ok && c.IssuedAt.Unix() <= until.(int64)
}

func (s *Service) authenticateAPIKey(ctx context.Context, token string) (authn.Subject, error) {
	invalid := apperr.New(apperr.InvalidToken, "The API key is invalid, expired or revoked.")
	k, err := s.repo.APIKeyByHash(ctx, domain.HashSecret(token))
	if errors.Is(err, ErrNotFound) {
		return authn.Subject{}, invalid
	}
	if err != nil {
		return authn.Subject{}, apperr.Wrap(err, "load API key")
	}
	now := s.clock.Now()
	if err := k.CheckUsable(now); err != nil {
		return authn.Subject{}, invalid
	}
	sub, err := s.subject(ctx, k.UserID, authn.MethodAPIKey, "")
	if err != nil {
		return authn.Subject{}, err
	}
	if k.NeedsUseRecorded(now) {
		if err := s.repo.RecordAPIKeyUse(ctx, k.ID, now); err != nil {
			return authn.Subject{}, apperr.Wrap(err, "record API key use")
		}
	}
	return sub, nil
}

// AuthenticateSession accepts the value of the session cookie.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (authn.Subject, error) {
	invalid := apperr.New(apperr.InvalidToken, "Your session has ended. Log in again.")
	sess, err := s.repo.SessionByHash(ctx, domain.HashSecret(token))
	if errors.Is(err, ErrNotFound) {
		return authn.Subject{}, invalid
	}
	if err != nil {
		return authn.Subject{}, apperr.Wrap(err, "load session")
	}
	if err := sess.CheckActive(s.clock.Now()); err != nil {
		if err := s.repo.DeleteSession(ctx, sess.ID); err != nil {
			return authn.Subject{}, apperr.Wrap(err, "delete expired session")
		}
		return authn.Subject{}, invalid
	}
	return s.subject(ctx, sess.UserID, authn.MethodSession, sess.ID.String())
}

// subject builds the Subject of userID; a user who no longer exists makes the
// credential invalid.
func (s *Service) subject(ctx context.Context, userID uuid.UUID, method authn.Method, sessionID string) (authn.Subject, error) {
	u, err := s.repo.UserByID(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return authn.Subject{}, apperr.New(apperr.InvalidToken, "The account behind this credential no longer exists.")
	}
	if err != nil {
		return authn.Subject{}, apperr.Wrap(err, "load user")
	}
	roles, err := s.authz.Roles(u.ID.String())
	if err != nil {
		return authn.Subject{}, apperr.Wrap(err, "load roles")
	}
	role := authn.RoleUser
	for _, r := range roles {
		if r == authn.RoleAdmin {
			role = authn.RoleAdmin
		}
	}
	return authn.Subject{UserID: u.ID, Email: u.Email, Name: u.Name, Role: role, Method: method, SessionID: sessionID}, nil
}

// checkCredentials finds the user and checks the password, counting failures
// towards the login throttles. Unknown addresses and wrong passwords look the same
// to the caller, in answer, in lockout and in time.
func (s *Service) checkCredentials(ctx context.Context, in LoginInput) (domain.User, error) {
	var f apperr.Fields
	email, emailErr := domain.ParseEmail(in.Email)
	switch {
	case in.Email == "":
		f.Add("email", "is required")
	case emailErr != nil:
		f.Add("email", "%s", emailErr)
	}
	if in.Password == "" {
		f.Add("password", "is required")
	}
	if err := f.Err(); err != nil {
		return domain.User{}, err
	}
	wrong := apperr.New(apperr.InvalidCredentials, "The e-mail address or password is wrong.")

	// The throttles are the same whether the address is known or not, and are
	// checked and counted the same way, so the answers tell nothing about it.
	keys := throttleKeys(email, in.ClientIP)
	if err := s.checkThrottles(ctx, keys); err != nil {
		return domain.User{}, err
	}
	u, err := s.repo.UserByEmail(ctx, email)
	known := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return domain.User{}, apperr.Wrap(err, "load user")
	}
	hash := u.PasswordHash
	if !known {
		hash = s.dummy()
	}
	ok, err := s.hasher.Verify(in.Password, hash)
	if err != nil {
		return domain.User{}, apperr.Wrap(err, "verify password")
	}
	if !ok || !known {
		if err := s.recordFailure(ctx, keys); err != nil {
			return domain.User{}, err
		}
		return domain.User{}, wrong
	}
	if err := s.repo.ClearLoginFailures(ctx, keys[0]); err != nil {
		return domain.User{}, apperr.Wrap(err, "clear failed logins")
	}
	return u, nil
}

// lockedError says how long a locked account must wait, rounded up to seconds.
func lockedError(wait time.Duration) *apperr.Error {
	secs := int((wait + time.Second - 1) / time.Second)
	mins := (secs + 59) / 60
	unit := "minutes"
	if mins == 1 {
		unit = "minute"
	}
	return apperr.New(apperr.AccountLocked, "Too many failed logins: logins for this address from here are paused. Try again in %d %s.", mins, unit).
		WithRetryAfter(secs).
		WithDetails(map[string]any{"retry_after_seconds": secs})
}

// dummy returns the hash that logins for unknown addresses are checked against.
func (s *Service) dummy() string {
	s.dummyOnce.Do(func() { s.dummyHash, s.dummyErr = s.hasher.Hash(dummyPassword) })
	if s.dummyErr != nil {
		// Verify then fails on the empty hash, which is reported as an internal error.
		return ""
	}
	return s.dummyHash
}

// pair issues an access token for sub and packages it with the refresh token secret.
func (s *Service) pair(sub authn.Subject, now time.Time, rt domain.RefreshToken, secret string) (TokenPair, error) {
	claims := AccessClaims{UserID: sub.UserID, Role: sub.Role, Email: sub.Email, Name: sub.Name}
	access, err := s.tokens.IssueAccess(claims, now, now.Add(AccessTokenTTL))
	if err != nil {
		return TokenPair{}, apperr.Wrap(err, "issue access token")
	}
	return TokenPair{
		AccessToken:      access,
		TokenType:        "Bearer",
		ExpiresIn:        int(AccessTokenTTL / time.Second),
		RefreshToken:     secret,
		RefreshExpiresIn: int(rt.ExpiresAt.Sub(now) / time.Second),
	}, nil
}
