package httpserver

import (
	"mime"

	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/platform/apperr"
)

// CSRFCookie holds the random browser secret that CSRF tokens are derived from.
const CSRFCookie = "kontor_csrf"

// HeaderCSRF lets htmx requests send the token as a header instead of a form field.
const HeaderCSRF = "X-CSRF-Token"

// csrf protects every unsafe request outside /api with a signed double-submit token:
// the token is an HMAC of a per-browser random cookie under the server's secret, so it
// works across instances without server state and cannot be forged from another site.
// It is accepted from the X-CSRF-Token header or the form body only, never from the
// query string, which ends up in logs and Referer headers. The JSON API is exempt
// because it authenticates with bearer tokens, never cookies.
type csrf struct {
	secret []byte
	secure bool
}

func (x csrf) token(browserSecret string) string {
	mac := hmac.New(sha256.New, x.secret)
	mac.Write([]byte("csrf:" + browserSecret))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
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
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return apperr.Wrap(err, "generate CSRF secret")
		}
		secret = base64.RawURLEncoding.EncodeToString(raw)
		c.Cookie(&fiber.Cookie{Name: CSRFCookie, Value: secret, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: x.secure})
		// A request with no cookie cannot carry a valid token; the check below fails it.
	}
	want := x.token(secret)
	c.Locals(CSRFLocal, want)
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	got := c.Get(HeaderCSRF)
	if got == "" {
		got = formToken(c)
	}
	if got == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return apperr.New(apperr.CSRFFailed, "This form has expired or did not come from Kontor. Reload the page and try again.")
	}
	return c.Next()
}

// CSRFToken returns the token a browser holding the CSRF cookie value must send; tests
// use it to act as a browser.
func CSRFToken(secret []byte, cookieValue string) string {
	return csrf{secret: secret}.token(cookieValue)
}
