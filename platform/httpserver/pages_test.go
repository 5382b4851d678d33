package httpserver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
)

type extraPages struct{}

func (extraPages) Register(r *httpserver.Router) {
	r.PublicPage(fiber.MethodGet, "/flash", func(c *fiber.Ctx) error {
		c.Cookie(&fiber.Cookie{Name: "kontor_flash", Value: "saved", Path: "/", HTTPOnly: true})
		return c.SendString("flashed")
	})
	r.PublicPage(fiber.MethodGet, "/whoami", func(c *fiber.Ctx) error { return c.SendString(c.IP()) })
}

// TestAuthenticatedPagesAreNotCached holds issue 10 item 10.
func TestAuthenticatedPagesAreNotCached(t *testing.T) {
	app := newServer(t)
	for _, path := range []string{"/private", "/form", "/"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(&http.Cookie{Name: authn.SessionCookie, Value: "good-session"})
		res, _ := do(t, app, req)
		if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s with a session: %d, Cache-Control %q, want no-store", path, res.StatusCode, res.Header.Get("Cache-Control"))
		}
	}
	res, _ := do(t, app, httptest.NewRequest(http.MethodGet, "/form", nil))
	if strings.Contains(res.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("an anonymous page is no-store too: %q", res.Header.Get("Cache-Control"))
	}
}

// TestRoutingIsCaseSensitive holds issue 10 item 11: /API/V1/... is not the API, and
// so never reaches an API handler under the rules of a page.
func TestRoutingIsCaseSensitive(t *testing.T) {
	app := newServer(t)
	for _, path := range []string{"/API/V1/PROBE/CONFLICT", "/Api/v1/probe/conflict", "/api/V1/probe/conflict"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer good")
		res, body := do(t, app, req)
		if res.StatusCode != http.StatusNotFound || strings.Contains(string(body), "account_not_empty") {
			t.Errorf("%s: %d %s, want a plain 404", path, res.StatusCode, body)
		}
	}
}

// TestEveryCookieIsSecureBehindHTTPS holds issue 10 item 15: with an https base URL
// the flash cookie, like every other, is Secure.
func TestEveryCookieIsSecureBehindHTTPS(t *testing.T) {
	app, _ := newServerWith(t, map[string]string{"KONTOR_BASE_URL": "https://kontor.example"}, extraPages{})
	res, body := do(t, app, httptest.NewRequest(http.MethodGet, "/flash", nil))
	if res.StatusCode != 200 {
		t.Fatalf("flash: %d %s", res.StatusCode, body)
	}
	names := map[string]bool{}
	for _, line := range res.Header.Values("Set-Cookie") {
		name, _, _ := strings.Cut(line, "=")
		names[name] = true
		if !strings.Contains(strings.ToLower(line), "secure") {
			t.Errorf("cookie without Secure: %s", line)
		}
	}
	if !names["kontor_flash"] || !names[httpserver.CSRFCookie] {
		t.Fatalf("cookies set: %v, want the flash and CSRF cookies", names)
	}
}

// TestClientIPFromTrustedProxiesOnly holds issue 10 item 16.
func TestClientIPFromTrustedProxiesOnly(t *testing.T) {
	ip := func(app *fiber.App, xff string) string {
		req := httptest.NewRequest(http.MethodGet, "/whoami", nil)
		req.Header.Set("X-Forwarded-For", xff)
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	// app.Test connects from 0.0.0.0.
	untrusting, _ := newServerWith(t, nil, extraPages{})
	if got := ip(untrusting, "203.0.113.9"); got != "0.0.0.0" {
		t.Fatalf("without trusted proxies the header was believed: %q", got)
	}
	trusting, _ := newServerWith(t, map[string]string{"KONTOR_TRUSTED_PROXIES": "0.0.0.0/32, 10.0.0.0/8"}, extraPages{})
	if got := ip(trusting, "203.0.113.9"); got != "203.0.113.9" {
		t.Fatalf("behind a trusted proxy: %q, want the forwarded client", got)
	}
	other, _ := newServerWith(t, map[string]string{"KONTOR_TRUSTED_PROXIES": "10.0.0.0/8"}, extraPages{})
	if got := ip(other, "203.0.113.9"); got != "0.0.0.0" {
		t.Fatalf("from an untrusted peer the header was believed: %q", got)
	}
}
