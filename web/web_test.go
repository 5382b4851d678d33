package web_test

import (
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/web"
)

const testToken = "csrf-token-for-tests"

// newApp returns an app whose middleware stands in for the real CSRF,
// request-id and session middleware: every request gets a request id and a
// CSRF token, and a request with ?user=1 is signed in as Ada.
func newApp(t *testing.T) *fiber.App {
	t.Helper()
	app := fiber.New()
	app.Use(requestid.New())
	app.Use(func(c *fiber.Ctx) error {
		c.Locals(web.CSRFLocal, testToken)
		if c.Query("user") == "1" {
			c.SetUserContext(authn.WithSubject(c.UserContext(), authn.Subject{
				UserID: uuid.New(),
				Email:  "ada@example.com",
				Name:   "Ada Lovelace",
				Role:   authn.RoleUser,
				Method: authn.MethodSession,
			}))
		}
		return c.Next()
	})
	return app
}

func get(t *testing.T, app *fiber.App, target string, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of %s: %v", target, err)
	}
	return resp, string(body)
}

var (
	scriptTag     = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	styleAttr     = regexp.MustCompile(`(?i)<[^>]*\sstyle\s*=`)
	handlerAttr   = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	styleElement  = regexp.MustCompile(`(?i)<style\b`)
	javascriptURL = regexp.MustCompile(`(?i)(href|src|action)\s*=\s*"\s*javascript:`)
)

// assertCSPSafe fails when the page holds anything the Content-Security-Policy
// would block: inline script bodies, scripts without src, style attributes or
// elements, event-handler attributes or javascript: URLs.
func assertCSPSafe(t *testing.T, body string) {
	t.Helper()
	for _, m := range scriptTag.FindAllStringSubmatch(body, -1) {
		if strings.TrimSpace(m[2]) != "" {
			t.Errorf("inline script body: %q", m[0])
		}
		if !strings.Contains(m[1], `src="/static/`) {
			t.Errorf("script not loaded from /static/: %q", m[0])
		}
	}
	if loc := styleAttr.FindString(body); loc != "" {
		t.Errorf("style attribute: %q", loc)
	}
	if loc := styleElement.FindString(body); loc != "" {
		t.Errorf("style element: %q", loc)
	}
	if loc := handlerAttr.FindString(body); loc != "" {
		t.Errorf("event-handler attribute: %q", loc)
	}
	if loc := javascriptURL.FindString(body); loc != "" {
		t.Errorf("javascript: URL: %q", loc)
	}
	if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Errorf("page refers to an absolute URL; every asset must come from /static/")
	}
}

// assertShell checks the landmarks and the skip link every page must have.
func assertShell(t *testing.T, body string) {
	t.Helper()
	for _, want := range []string{
		`<html lang="en">`,
		`<meta name="viewport"`,
		`<meta name="csrf-token" content="` + testToken + `">`,
		`<a class="skip-link" href="#main">`,
		`<header class="site-header">`,
		`<nav class="site-nav site-nav--`,
		`aria-label="Main">`,
		`<main id="main"`,
		`<footer class="site-footer">`,
		`href="/docs">API reference</a>`,
		`MIT licence`,
		`Kontor ` + web.Version,
		`<link rel="stylesheet" href="` + web.Asset("vendor/pico.min.css") + `">`,
		`<script src="` + web.Asset("js/app.js") + `" defer></script>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Index(body, `class="skip-link"`) > strings.Index(body, `<header`) {
		t.Error("the skip link must come before the header")
	}
}

func TestHomePageLoggedOut(t *testing.T) {
	app := newApp(t)
	app.Get("/", func(c *fiber.Ctx) error {
		return web.Render(c, fiber.StatusOK, web.HomePage(web.Meta(c, "Welcome")))
	})

	resp, body := get(t, app, "/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	assertShell(t, body)
	assertCSPSafe(t, body)
	for _, want := range []string{
		`<title>Welcome · Kontor</title>`,
		`href="/login"`,
		`href="/register"`,
		`<h1 id="hero-title">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("landing page lacks %q", want)
		}
	}
	for _, unwanted := range []string{`action="/logout"`, `href="/accounts"`, `Log out`, `nav-menu`} {
		if strings.Contains(body, unwanted) {
			t.Errorf("a visitor's page shows %q", unwanted)
		}
	}
}

func TestHomePageLoggedIn(t *testing.T) {
	app := newApp(t)
	app.Get("/", func(c *fiber.Ctx) error {
		return web.Render(c, fiber.StatusOK, web.HomePage(web.Meta(c, "Dashboard")))
	})

	_, body := get(t, app, "/?user=1")
	assertShell(t, body)
	assertCSPSafe(t, body)
	for _, want := range []string{
		`<a href="/" aria-current="page">Dashboard</a>`,
		`<a href="/accounts">Accounts</a>`,
		`<a href="/settings">Settings</a>`,
		`Welcome back, Ada Lovelace`,
		`href="/docs"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("welcome page lacks %q", want)
		}
	}
	if strings.Contains(body, `href="/login"`) {
		t.Error("a signed-in page offers to log in")
	}

	// The navigation is there twice: as the wide row and in the phone's Menu
	// disclosure (the stylesheet shows one); each has the logout form.
	forms := regexp.MustCompile(`(?s)<form method="post" action="/logout"[^>]*>(.*?)</form>`).FindAllStringSubmatch(body, -1)
	if len(forms) != 2 {
		t.Fatalf("%d logout forms posting to /logout, want 2 (row and menu)", len(forms))
	}
	for _, form := range forms {
		if !strings.Contains(form[1], `<input type="hidden" name="_csrf" value="`+testToken+`">`) {
			t.Errorf("logout form lacks the CSRF token: %s", form[1])
		}
		if !strings.Contains(form[1], "Log out") || !strings.Contains(form[1], "Ada Lovelace") {
			t.Errorf("logout button should say Log out and name the user: %s", form[1])
		}
	}
	menu := regexp.MustCompile(`(?s)<details class="nav-menu">\s*<summary class="nav-menu__button">(.*?)</summary>\s*<nav class="nav-menu__panel" aria-label="Main">(.*?)</nav>\s*</details>`).FindStringSubmatch(body)
	if menu == nil {
		t.Fatalf("no Menu disclosure holding the navigation:\n%s", body)
	}
	if !strings.Contains(menu[1], ">Menu</span>") || !strings.Contains(menu[1], `aria-hidden="true"`) {
		t.Errorf("the Menu button has no text name beside a hidden icon: %s", menu[1])
	}
	for _, want := range []string{`<a href="/" aria-current="page">Dashboard</a>`, `<a href="/accounts">Accounts</a>`,
		`<a href="/connections">Connections</a>`, `<a href="/settings">Settings</a>`, `action="/logout"`} {
		if !strings.Contains(menu[2], want) {
			t.Errorf("the menu lacks %q", want)
		}
	}
}

func TestNavigationMarksCurrentSection(t *testing.T) {
	app := newApp(t)
	app.Get("/accounts/*", func(c *fiber.Ctx) error {
		return web.Render(c, fiber.StatusOK, web.Layout(web.Meta(c, "Account")))
	})
	app.Get("/login", func(c *fiber.Ctx) error {
		return web.Render(c, fiber.StatusOK, web.Layout(web.Meta(c, "Log in")))
	})

	_, body := get(t, app, "/accounts/42?user=1")
	if !strings.Contains(body, `<a href="/accounts" aria-current="true">Accounts</a>`) {
		t.Error("Accounts is not marked current below /accounts")
	}
	if strings.Contains(body, `<a href="/" aria-current`) {
		t.Error("Dashboard is marked current away from /")
	}

	_, body = get(t, app, "/login")
	if !strings.Contains(body, `<a href="/login" aria-current="page">Log in</a>`) {
		t.Error("Log in is not marked as the current page on /login")
	}
}

func TestLayoutShowsFlashWithRoles(t *testing.T) {
	m := web.PageMeta{Title: "T", Flash: []web.Flash{
		{Kind: web.FlashSuccess, Message: "Saved."},
		{Kind: web.FlashError, Message: "Could not connect."},
		{Kind: web.FlashInfo, Message: "Sync is running."},
	}}
	body := renderString(t, web.Layout(m))
	for _, want := range []string{
		`class="flash flash--success" role="status"`,
		`class="flash flash--error" role="alert"`,
		`class="flash flash--info" role="status"`,
		"Saved.", "Could not connect.", "Sync is running.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("flash area lacks %q", want)
		}
	}
}

func TestLayoutEscapesContent(t *testing.T) {
	m := web.PageMeta{
		Title: `<script>alert(1)</script>`,
		User:  &web.User{Name: `"><img src=x onerror=alert(1)>`},
		Flash: []web.Flash{{Kind: "error", Message: `<b onclick="x()">hi</b>`}},
	}
	body := renderString(t, web.Layout(m))
	assertCSPSafe(t, body)
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") || strings.Contains(body, "<b onclick") {
		t.Errorf("user-supplied text reached the page unescaped:\n%s", body)
	}
}

func TestErrorPageShowsRequestID(t *testing.T) {
	app := newApp(t)
	app.Get("/broken", func(c *fiber.Ctx) error {
		return web.Render(c, fiber.StatusNotFound, web.ErrorPage(web.Meta(c, "Not found"),
			fiber.StatusNotFound, "We can't find that page", "The link may be mistyped."))
	})

	resp, body := get(t, app, "/broken")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status = %d, want 404", resp.StatusCode)
	}
	rid := resp.Header.Get(fiber.HeaderXRequestID)
	if rid == "" {
		t.Fatal("the requestid middleware set no X-Request-ID")
	}
	assertShell(t, body)
	assertCSPSafe(t, body)
	for _, want := range []string{
		"Reference: <code>" + rid + "</code>",
		"404",
		"We can&#39;t find that page",
		"The link may be mistyped.",
		`href="/"`,
		"Go back",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("error page lacks %q", want)
		}
	}
}

func TestErrorPageFallsBackToStatusText(t *testing.T) {
	body := renderString(t, web.ErrorPage(web.PageMeta{}, http.StatusForbidden, "", ""))
	if !strings.Contains(body, "Forbidden") {
		t.Error("an untitled 403 page should say Forbidden")
	}
	if strings.Contains(body, "Reference:") {
		t.Error("a page without a request id shows a reference")
	}
}

// browser is a minimal cookie-keeping client for app.Test.
type browser struct {
	t   *testing.T
	app *fiber.App
	jar *cookiejar.Jar
}

var base, _ = url.Parse("http://kontor.test/")

func newBrowser(t *testing.T, app *fiber.App) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, app: app, jar: jar}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, body := get(b.t, b.app, path, b.jar.Cookies(base)...)
	b.jar.SetCookies(base, resp.Cookies())
	return resp, body
}

func flashApp(t *testing.T) *fiber.App {
	app := newApp(t)
	app.Get("/set", func(c *fiber.Ctx) error {
		web.SetFlash(c, web.Flash{Kind: web.FlashSuccess, Message: "Account created."})
		web.SetFlash(c, web.Flash{Kind: web.FlashInfo, Message: "Sync starts in a minute."})
		return c.Redirect("/take", fiber.StatusSeeOther)
	})
	app.Get("/take", func(c *fiber.Ctx) error {
		return c.JSON(web.TakeFlash(c))
	})
	return app
}

func decodeFlashes(t *testing.T, body string) []web.Flash {
	t.Helper()
	var got []web.Flash
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return got
}

func TestFlashRoundTrip(t *testing.T) {
	b := newBrowser(t, flashApp(t))

	resp, _ := b.get("/set")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status = %d, want 303", resp.StatusCode)
	}
	var flashCookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == web.FlashCookie {
			flashCookie = ck
		}
	}
	if flashCookie == nil {
		t.Fatal("SetFlash set no cookie")
	}
	if !flashCookie.HttpOnly || flashCookie.Path != "/" || flashCookie.SameSite != http.SameSiteLaxMode || flashCookie.Secure {
		t.Errorf("cookie attributes = %+v; want HttpOnly, Path=/, SameSite=Lax, not Secure over http", flashCookie)
	}
	if _, err := base64.RawURLEncoding.DecodeString(flashCookie.Value); err != nil {
		t.Errorf("cookie value is not base64url: %v", err)
	}

	_, body := b.get("/take")
	got := decodeFlashes(t, body)
	want := []web.Flash{
		{Kind: web.FlashSuccess, Message: "Account created."},
		{Kind: web.FlashInfo, Message: "Sync starts in a minute."},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("first TakeFlash = %+v, want %+v", got, want)
	}

	_, body = b.get("/take")
	if got := decodeFlashes(t, body); len(got) != 0 {
		t.Errorf("second TakeFlash = %+v, want nothing", got)
	}
}

func TestFlashCookieIsSecureOverHTTPS(t *testing.T) {
	app := flashApp(t)
	// Behind a TLS-terminating proxy, as Kontor usually runs.
	req := httptest.NewRequest(http.MethodGet, "/set", nil)
	req.Header.Set(fiber.HeaderXForwardedProto, "https")
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	found := false
	for _, ck := range resp.Cookies() {
		if ck.Name == web.FlashCookie {
			found = true
			if !ck.Secure {
				t.Error("flash cookie over https is not Secure")
			}
		}
	}
	if !found {
		t.Error("no flash cookie set")
	}
}

func TestMalformedFlashCookieIsIgnored(t *testing.T) {
	app := flashApp(t)
	for name, value := range map[string]string{
		"not base64":   "%%%not-base64%%%",
		"not JSON":     base64.RawURLEncoding.EncodeToString([]byte("{nope")),
		"wrong shape":  base64.RawURLEncoding.EncodeToString([]byte(`{"kind":"success"}`)),
		"empty array":  base64.RawURLEncoding.EncodeToString([]byte(`[]`)),
		"blank values": base64.RawURLEncoding.EncodeToString([]byte(`[{"kind":"error","message":"  "}]`)),
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := get(t, app, "/take", &http.Cookie{Name: web.FlashCookie, Value: value})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", resp.StatusCode)
			}
			if got := decodeFlashes(t, body); len(got) != 0 {
				t.Errorf("TakeFlash = %+v, want nothing", got)
			}
			cleared := false
			for _, ck := range resp.Cookies() {
				if ck.Name == web.FlashCookie && ck.Value == "" && ck.Path == "/" {
					cleared = true
				}
			}
			if !cleared {
				t.Error("the malformed cookie was not cleared")
			}
		})
	}
}

func TestFlashUnknownKindBecomesInfo(t *testing.T) {
	app := newApp(t)
	app.Get("/set", func(c *fiber.Ctx) error {
		web.SetFlash(c, web.Flash{Kind: "shout", Message: "Hello"})
		return c.JSON(web.TakeFlash(c))
	})
	_, body := get(t, app, "/set")
	got := decodeFlashes(t, body)
	if len(got) != 1 || got[0].Kind != web.FlashInfo {
		t.Errorf("got %+v, want one info message", got)
	}
}

func TestMetaFromRequest(t *testing.T) {
	old := web.Version
	web.Version = "1.2.3"
	t.Cleanup(func() { web.Version = old })

	app := newApp(t)
	var m web.PageMeta
	app.Get("/settings", func(c *fiber.Ctx) error {
		web.SetFlash(c, web.Flash{Kind: web.FlashSuccess, Message: "Saved."})
		m = web.Meta(c, "Settings")
		return c.SendStatus(fiber.StatusNoContent)
	})
	resp, _ := get(t, app, "/settings?user=1")

	if m.Title != "Settings" || m.Path != "/settings" || m.Version != "1.2.3" || m.CSRFToken != testToken {
		t.Errorf("Meta = %+v", m)
	}
	if m.User == nil || m.User.Name != "Ada Lovelace" || m.User.Email != "ada@example.com" {
		t.Errorf("Meta.User = %+v", m.User)
	}
	if m.RequestID == "" || m.RequestID != resp.Header.Get(fiber.HeaderXRequestID) {
		t.Errorf("Meta.RequestID = %q, header %q", m.RequestID, resp.Header.Get(fiber.HeaderXRequestID))
	}
	if len(m.Flash) != 1 || m.Flash[0].Message != "Saved." {
		t.Errorf("Meta.Flash = %+v", m.Flash)
	}
}

func TestMetaForVisitor(t *testing.T) {
	app := fiber.New()
	var m web.PageMeta
	app.Get("/", func(c *fiber.Ctx) error {
		m = web.Meta(c, "")
		return nil
	})
	get(t, app, "/")
	if m.User != nil || m.CSRFToken != "" || m.RequestID != "" || len(m.Flash) != 0 {
		t.Errorf("Meta without middleware = %+v", m)
	}
	body := renderString(t, web.Layout(m))
	if !strings.Contains(body, "<title>Kontor</title>") {
		t.Error("an untitled page should be titled Kontor")
	}
}

func TestUserDisplayNameFallsBackToEmail(t *testing.T) {
	if got := (web.User{Email: "a@example.com"}).DisplayName(); got != "a@example.com" {
		t.Errorf("DisplayName = %q", got)
	}
}

func TestMountStatic(t *testing.T) {
	t.Parallel()
	app := fiber.New()
	st := web.StaticMount()
	app.Use(st.Prefix, st.Handler)

	for name, wantType := range map[string]string{
		"vendor/htmx.min.js":  "javascript",
		"vendor/pico.min.css": "text/css",
		"css/app.css":         "text/css",
		"js/app.js":           "javascript",
		"img/favicon.svg":     "image/svg+xml",
	} {
		want, err := web.Static.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		hashed := web.Asset(name)
		if hashed == "/static/"+name || !strings.HasPrefix(hashed, "/static/") {
			t.Errorf("Asset(%q) = %q, want a content-hashed name under /static/", name, hashed)
		}
		for path, wantCache := range map[string]string{hashed: web.ImmutableCache, "/static/" + name: "public, no-cache"} {
			resp, body := get(t, app, path)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: status %d", path, resp.StatusCode)
				continue
			}
			if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, wantType) {
				t.Errorf("GET %s: Content-Type %q, want %s", path, ct, wantType)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != wantCache {
				t.Errorf("GET %s: Cache-Control %q, want %q", path, cc, wantCache)
			}
			if string(body) != string(want) {
				t.Errorf("GET %s: body of %d bytes differs from the embedded file", path, len(body))
			}
			etag := resp.Header.Get("ETag")
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("If-None-Match", etag)
			if res, err := app.Test(req); err != nil || etag == "" || res.StatusCode != http.StatusNotModified {
				t.Errorf("GET %s with If-None-Match %q: %v %v, want 304", path, etag, res, err)
			}
		}
		// Compressed once at start-up, sent to clients that accept it.
		req := httptest.NewRequest(http.MethodGet, hashed, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(res.Body)
		if res.Header.Get("Content-Encoding") != "gzip" || err != nil {
			t.Errorf("GET %s with gzip: Content-Encoding %q, %v", hashed, res.Header.Get("Content-Encoding"), err)
			continue
		}
		if got, _ := io.ReadAll(zr); string(got) != string(want) {
			t.Errorf("GET %s with gzip: the body does not decompress to the file", hashed)
		}
	}

	resp, _ := get(t, app, "/static/vendor/missing.js")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing file: status %d, want 404", resp.StatusCode)
	}
}

// TestLayoutAssetsExist guards against a layout that links an asset the
// binary does not embed, or links it under its plain name (no year-long cache).
func TestLayoutAssetsExist(t *testing.T) {
	t.Parallel()
	body := renderString(t, web.Layout(web.PageMeta{HTMX: true}))
	refs := regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(refs) < 5 {
		t.Fatalf("found only %d asset references", len(refs))
	}
	hashed := map[string]bool{}
	for _, name := range []string{"img/favicon.svg", "vendor/pico.min.css", "css/app.css", "vendor/htmx.min.js", "js/app.js"} {
		hashed[web.Asset(name)] = true
	}
	for _, r := range refs {
		if !hashed[r[1]] {
			t.Errorf("layout refers to %s, not to an embedded asset's content-hashed name", r[1])
		}
	}
}

// TestHTMXOnlyWhereUsed: a page loads htmx only when it says it uses it.
func TestHTMXOnlyWhereUsed(t *testing.T) {
	t.Parallel()
	htmx := web.Asset("vendor/htmx.min.js")
	if body := renderString(t, web.Layout(web.PageMeta{})); strings.Contains(body, htmx) || strings.Contains(body, "htmx-config") {
		t.Error("a page without htmx loads it")
	}
	if body := renderString(t, web.Layout(web.PageMeta{HTMX: true})); !strings.Contains(body, htmx) || !strings.Contains(body, "htmx-config") {
		t.Error("a page with HTMX set does not load htmx")
	}
}

func TestRenderDiscardsPartialPageOnError(t *testing.T) {
	app := fiber.New(fiber.Config{
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			return c.Status(fiber.StatusInternalServerError).SendString("handled: " + err.Error())
		},
	})
	failing := templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, _ = io.WriteString(w, "<p>half a page")
		return errors.New("boom")
	})
	app.Get("/", func(c *fiber.Ctx) error { return web.Render(c, fiber.StatusOK, failing) })

	resp, body := get(t, app, "/")
	if resp.StatusCode != http.StatusInternalServerError || body != "handled: boom" {
		t.Errorf("got %d %q, want the error handler's answer alone", resp.StatusCode, body)
	}
}

func renderString(t *testing.T, c templ.Component) string {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatalf("render: %v", err)
	}
	return b.String()
}
