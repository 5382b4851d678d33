package httpserver

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"mime"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
)

// CSRFCookie holds the random browser secret that CSRF tokens are derived from.
const CSRFCookie = "kontor_csrf"

// HeaderCSRF lets htmx requests send the token as a header instead of a form field.
const HeaderCSRF = "X-CSRF-Token"

// csrf protects every unsafe request outside /api with a signed double-submit token
// bound to the session: the token is an HMAC, under the server's secret, of a
// per-browser random cookie and of the id of the session the browser is logged in
// with (none before login). It works across instances without server state, cannot be
// forged from another site, and a token taken from one session (or from before login)
// is worthless in another. Whenever an answer starts or ends a session (it sets or
// clears the session cookie: login, registration, logout, a stale session dropped) the
// browser cookie is replaced too, so every token issued before is void.
// It is accepted from the X-CSRF-Token header or the form body only, never from the
// query string, which ends up in logs and Referer headers. The JSON API is exempt
// because it authenticates with bearer tokens, never cookies.
type csrf struct {
	secret []byte
	secure bool
}

func (x csrf) token(browserSecret, sessionID string) string {
	mac := hmac.New(sha256.New, x.secret)
	// Both parts are length-prefixed so that no pair can be shifted into another.
	mac.Write([]byte("csrf:v2:"))
	for _, part := range []string{browserSecret, sessionID} {
		mac.Write([]byte{byte(len(part) >> 8), byte(len(part))})
		mac.Write([]byte(part))
	}
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// newBrowserSecret sets a fresh random CSRF cookie and returns its value.
func (x csrf) newBrowserSecret(c *fiber.Ctx) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", apperr.Wrap(err, "generate CSRF secret")
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	c.Cookie(&fiber.Cookie{Name: CSRFCookie, Value: secret, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: x.secure})
	return secret, nil
}

// sessionCookieSet returns the session cookie the answer sets or clears so far, as
// it will be sent, or "" when it does not touch it.
func sessionCookieSet(c *fiber.Ctx) string {
	ck := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(ck)
	ck.SetKey(authn.SessionCookie)
	if !c.Response().Header.Cookie(ck) {
		return ""
	}
	return ck.String()
}

// sessionID is the id of the browser session the request is logged in with, or "".
func sessionID(c *fiber.Ctx) string {
	if s, ok := authn.FromContext(c.UserContext()); ok && s.Method == authn.MethodSession {
		return s.SessionID
	}
	return ""
}

// formToken returns the _csrf field of a url-encoded or multipart body; the query
// string is never read.
func formToken(c *fiber.Ctx) string {
	mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	switch mt {
	case fiber.MIMEApplicationForm:
		return string(c.Request().PostArgs().Peek("_csrf"))
	case fiber.MIMEMultipartForm:
		if form, err := c.MultipartForm(); err == nil && len(form.Value["_csrf"]) > 0 {
			return form.Value["_csrf"][0]
		}
	}
	return ""
}

func (x csrf) handler(c *fiber.Ctx) error {
	if IsAPI(c) {
		return c.Next()
	}
	secret := c.Cookies(CSRFCookie)
	if len(secret) < 32 {
		var err error
		if secret, err = x.newBrowserSecret(c); err != nil {
			return err
		}
		// A request with no cookie cannot carry a valid token; the check below fails it.
	}
	want := x.token(secret, sessionID(c))
	c.Locals(CSRFLocal, want)
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
	default:
		got := c.Get(HeaderCSRF)
		if got == "" {
			got = formToken(c)
		}
		if got == "" || !hmac.Equal([]byte(got), []byte(want)) {
			return apperr.New(apperr.CSRFFailed, "This form has expired or did not come from Kontor. Reload the page and try again.")
		}
	}
	// A stale session cookie dropped before this point changes nothing: the token is
	// already bound to no session. Only a session started or ended below rotates.
	before := sessionCookieSet(c)
	err := c.Next()
	if after := sessionCookieSet(c); after != "" && after != before {
		// Login, registration or logout: every token issued so far is void.
		if _, rerr := x.newBrowserSecret(c); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// CSRFToken returns the token a browser holding the CSRF cookie value, logged in with
// the session sessionID ("" before login), must send; tests use it to act as a browser.
func CSRFToken(secret []byte, cookieValue, sessionID string) string {
	return csrf{secret: secret}.token(cookieValue, sessionID)
}
