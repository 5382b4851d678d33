package authn

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/platform/apperr"
)

// SessionCookie names the browser session cookie.
const SessionCookie = "kontor_session"

// APIKeyPrefix starts every API key, so a bearer token names its own kind.
const APIKeyPrefix = "kontor_"

// Authenticator turns credentials into a Subject. The identity module implements it;
// the platform only declares what it needs.
type Authenticator interface {
	// AuthenticateBearer accepts an access JWT or a kontor_ API key.
	AuthenticateBearer(ctx context.Context, token string) (Subject, error)
	// AuthenticateSession accepts the value of the session cookie.
	AuthenticateSession(ctx context.Context, token string) (Subject, error)
}

// BearerToken returns the token of an "Authorization: Bearer" header.
func BearerToken(c *fiber.Ctx) (string, bool) {
	h := c.Get(fiber.HeaderAuthorization)
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// FailureCounter slows clients whose credentials keep failing: Check refuses a
// request while its client has failed too often, Fail counts one more failure.
// ratelimit.FailureGuard implements it.
type FailureCounter interface {
	Check(c *fiber.Ctx) error
	Fail(c *fiber.Ctx)
}

// RequireBearerGuarded is RequireBearer that counts every credential that does not
// authenticate against guard, and refuses clients that failed too often before
// checking their credentials at all; guard may be nil.
func RequireBearerGuarded(a Authenticator, guard FailureCounter) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if guard != nil {
			if err := guard.Check(c); err != nil {
				return err
			}
		}
		token, ok := BearerToken(c)
		if !ok {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="kontor"`)
			return apperr.New(apperr.Unauthenticated, "Send an access token or API key as \"Authorization: Bearer <token>\".")
		}
		s, err := a.AuthenticateBearer(c.UserContext(), token)
		if err != nil {
			if guard != nil && apperr.Status(apperr.CodeOf(err)) == fiber.StatusUnauthorized {
				guard.Fail(c)
			}
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="kontor", error="invalid_token"`)
			return err
		}
		c.SetUserContext(WithSubject(c.UserContext(), s))
		return c.Next()
	}
}

// LoadSession sets the Subject of a browser with a valid session cookie and clears a
// stale cookie; pages that need a user add RequireSession after it.
func LoadSession(a Authenticator) fiber.Handler {
	return func(c *fiber.Ctx) error {
		token := c.Cookies(SessionCookie)
		if token == "" {
			return c.Next()
		}
		s, err := a.AuthenticateSession(c.UserContext(), token)
		if err != nil {
			if e, ok := apperr.As(err); ok && e.Code == apperr.Internal {
				return err
			}
			c.ClearCookie(SessionCookie)
			return c.Next()
		}
		c.SetUserContext(WithSubject(c.UserContext(), s))
		return c.Next()
	}
}

// RequireSession sends a browser without a session to the login page, remembering
// where it wanted to go.
func RequireSession(c *fiber.Ctx) error {
	if _, ok := FromContext(c.UserContext()); ok {
		return c.Next()
	}
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		return c.Redirect("/login?next="+urlEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	return apperr.New(apperr.Unauthenticated, "Your session has ended. Log in again.")
}

// MustSubject returns the Subject of an authenticated request; handlers behind
// RequireBearer or RequireSession can rely on it.
func MustSubject(ctx context.Context) (Subject, error) {
	s, ok := FromContext(ctx)
	if !ok {
		return Subject{}, apperr.New(apperr.Unauthenticated, "Authentication is required.")
	}
	return s, nil
}
