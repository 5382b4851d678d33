package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/e2e/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const password = "correct horse battery staple"

var seq atomic.Int64

func newEmail(who string) string { return fmt.Sprintf("%s-%d@example.test", who, seq.Add(1)) }

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrfToken opens path and returns the CSRF token of its forms.
func csrfToken(t *testing.T, c *harness.Client, path string) string {
	t.Helper()
	res := c.Get(t, path).Expect(t, http.StatusOK)
	m := csrfInput.FindSubmatch(res.Body)
	if m == nil {
		t.Fatalf("%s has no CSRF field:\n%s", path, res.Body)
	}
	return string(m[1])
}

// postForm submits a form, the way a browser without JavaScript does.
func postForm(t *testing.T, c *harness.Client, path string, v url.Values, headers ...string) *harness.Response {
	t.Helper()
	headers = append([]string{"Content-Type: application/x-www-form-urlencoded"}, headers...)
	res := c.Raw(t, http.MethodPost, path, []byte(v.Encode()), headers...)
	if res.Status >= 500 {
		t.Fatalf("POST %s: server error %d:\n%s", path, res.Status, res.Body)
	}
	return res
}

func cookie(res *harness.Response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func body(res *harness.Response) string { return html.UnescapeString(string(res.Body)) }

// checkPage fails t unless res is an HTML page that keeps to the strict CSP: no
// inline scripts, styles or event handlers.
func checkPage(t *testing.T, res *harness.Response) {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q, want text/html", ct)
	}
	page := string(res.Body)
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(page, -1) {
		if !strings.Contains(tag, "src=") {
			t.Errorf("inline script: %s", tag)
		}
	}
	if strings.Contains(page, "<style") || regexp.MustCompile(`\sstyle=`).MatchString(page) {
		t.Error("inline style")
	}
	if m := regexp.MustCompile(`\son[a-z]+=`).FindString(page); m != "" {
		t.Errorf("inline event handler %q", m)
	}
}

// signUp registers through the form and leaves c logged in.
func signUp(t *testing.T, c *harness.Client, name, email string) {
	t.Helper()
	tok := csrfToken(t, c, "/register")
	res := postForm(t, c, "/register", url.Values{"_csrf": {tok}, "name": {name}, "email": {email}, "password": {password}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("register: %d to %q\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}
}

func TestRegister(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	c := inst.Client()

	res := c.Get(t, "/register").Expect(t, http.StatusOK)
	checkPage(t, res)
	tok := csrfToken(t, c, "/register")
	email := newEmail("ada")

	t.Run("CSRF token missing", func(t *testing.T) {
		res := postForm(t, c, "/register", url.Values{"name": {"Ada"}, "email": {email}, "password": {password}})
		res.Expect(t, http.StatusForbidden)
		checkPage(t, res)
	})
	t.Run("CSRF token forged", func(t *testing.T) {
		forged := strings.Repeat("A", len(tok))
		postForm(t, c, "/register", url.Values{"_csrf": {forged}, "name": {"Ada"}, "email": {email}, "password": {password}}).
			Expect(t, http.StatusForbidden)
	})
	t.Run("CSRF token from another browser", func(t *testing.T) {
		other := inst.Client()
		postForm(t, other, "/register", url.Values{"_csrf": {tok}, "name": {"Ada"}, "email": {email}, "password": {password}}).
			Expect(t, http.StatusForbidden)
	})

	t.Run("invalid fields re-render the form", func(t *testing.T) {
		res := postForm(t, c, "/register", url.Values{"_csrf": {tok}, "name": {"Ada Lovelace"}, "email": {"not-an-address"}, "password": {"short-pw"}})
		res.Expect(t, http.StatusUnprocessableEntity)
		checkPage(t, res)
		page := body(res)
		for _, want := range []string{`value="Ada Lovelace"`, `value="not-an-address"`, "Must be an e-mail address", "Must be at least 12 characters", `aria-invalid="true"`, "Please fix 2 problems"} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if strings.Contains(page, "short-pw") {
			t.Error("the password was echoed into the page")
		}
	})

	t.Run("success logs in", func(t *testing.T) {
		res := postForm(t, c, "/register", url.Values{"_csrf": {tok}, "name": {"Ada Lovelace"}, "email": {email}, "password": {password}})
		res.Expect(t, http.StatusSeeOther)
		if res.Header.Get("Location") != "/" {
			t.Errorf("Location %q", res.Header.Get("Location"))
		}
		s := cookie(res, "kontor_session")
		if s == nil || s.Value == "" || !s.HttpOnly || s.SameSite != http.SameSiteLaxMode || s.Path != "/" || s.Secure {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure over http", s)
		}
		res = c.Get(t, "/settings").Expect(t, http.StatusOK)
		if page := body(res); !strings.Contains(page, "Ada Lovelace") || !strings.Contains(page, email) {
			t.Errorf("settings page does not show the new user")
		}
		// Logged in, the form sends you home.
		if res := c.Get(t, "/register"); res.Status != http.StatusSeeOther {
			t.Errorf("GET /register when logged in: %d", res.Status)
		}
	})

	t.Run("taken e-mail", func(t *testing.T) {
		other := inst.Client()
		tok := csrfToken(t, other, "/register")
		res := postForm(t, other, "/register", url.Values{"_csrf": {tok}, "name": {"Twin"}, "email": {strings.ToUpper(email)}, "password": {password}})
		res.Expect(t, http.StatusConflict)
		if !strings.Contains(body(res), "already exists") {
			t.Error("no message about the taken address")
		}
	})
}

func TestLogin(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	email := newEmail("ada")
	signUp(t, inst.Client(), "Ada Lovelace", email)

	t.Run("without a session, pages send you to the login form", func(t *testing.T) {
		c := inst.Client()
		res := c.Get(t, "/settings").Expect(t, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != "/login?next=%2Fsettings" {
			t.Errorf("Location %q", loc)
		}
		res = c.Get(t, "/login?next=%2Fsettings").Expect(t, http.StatusOK)
		checkPage(t, res)
		if !strings.Contains(string(res.Body), `name="next" value="/settings"`) {
			t.Error("the form does not carry next")
		}
	})

	t.Run("CSRF token missing", func(t *testing.T) {
		c := inst.Client()
		csrfToken(t, c, "/login")
		postForm(t, c, "/login", url.Values{"email": {email}, "password": {password}}).Expect(t, http.StatusForbidden)
	})

	t.Run("wrong password", func(t *testing.T) {
		c := inst.Client()
		tok := csrfToken(t, c, "/login")
		res := postForm(t, c, "/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {"not the password"}})
		res.Expect(t, http.StatusUnauthorized)
		checkPage(t, res)
		page := body(res)
		if !strings.Contains(page, "e-mail address or password is wrong") || !strings.Contains(page, `value="`+email+`"`) || strings.Contains(page, "not the password") {
			t.Errorf("the form does not explain, keep the address, or hide the password:\n%s", page)
		}
		if cookie(res, "kontor_session") != nil {
			t.Error("a failed login set a session")
		}
	})

	t.Run("missing fields", func(t *testing.T) {
		c := inst.Client()
		tok := csrfToken(t, c, "/login")
		res := postForm(t, c, "/login", url.Values{"_csrf": {tok}})
		res.Expect(t, http.StatusUnprocessableEntity)
		if page := body(res); !strings.Contains(page, "Is required") {
			t.Errorf("no inline error:\n%s", page)
		}
	})

	for _, tt := range []struct{ next, want string }{
		{"/settings", "/settings"},
		{"/settings?tab=keys", "/settings?tab=keys"},
		{"//evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"", "/"},
	} {
		t.Run("next "+tt.next, func(t *testing.T) {
			c := inst.Client()
			tok := csrfToken(t, c, "/login")
			res := postForm(t, c, "/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {password}, "next": {tt.next}})
			res.Expect(t, http.StatusSeeOther)
			if loc := res.Header.Get("Location"); loc != tt.want {
				t.Errorf("Location %q, want %q", loc, tt.want)
			}
			if s := cookie(res, "kontor_session"); s == nil || s.Value == "" {
				t.Error("no session cookie")
			}
			if res := c.Get(t, tt.want); res.Status != http.StatusOK && res.Status != http.StatusNotFound {
				t.Errorf("GET %s after login: %d", tt.want, res.Status)
			}
		})
	}

	t.Run("lockout shows the wait", func(t *testing.T) {
		victim := newEmail("grace")
		signUp(t, inst.Client(), "Grace Hopper", victim)
		c := inst.Client()
		tok := csrfToken(t, c, "/login")
		for range 5 {
			postForm(t, c, "/login", url.Values{"_csrf": {tok}, "email": {victim}, "password": {"not the password"}}).Expect(t, http.StatusUnauthorized)
		}
		res := postForm(t, c, "/login", url.Values{"_csrf": {tok}, "email": {victim}, "password": {password}})
		res.Expect(t, http.StatusTooManyRequests)
		checkPage(t, res)
		if !strings.Contains(body(res), "Try again in 15 minutes") || res.Header.Get("Retry-After") == "" {
			t.Errorf("locked page lacks the wait (Retry-After %q):\n%s", res.Header.Get("Retry-After"), res.Body)
		}
		// The JSON API shares the lock.
		problem := c.Post(t, "/api/v1/auth/login", map[string]any{"email": victim, "password": password})
		problem.ExpectProblem(t, http.StatusTooManyRequests, "account_locked")
	})
}

func TestLogout(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	c := inst.Client()
	signUp(t, c, "Ada Lovelace", newEmail("ada"))
	var session string
	for _, ck := range c.HTTP.Jar.Cookies(mustURL(t, inst.BaseURL)) {
		if ck.Name == "kontor_session" {
			session = ck.Value
		}
	}
	if session == "" {
		t.Fatal("no session after registering")
	}
	tok := csrfToken(t, c, "/settings")

	postForm(t, c, "/logout", url.Values{}).Expect(t, http.StatusForbidden)

	res := postForm(t, c, "/logout", url.Values{"_csrf": {tok}}).Expect(t, http.StatusSeeOther)
	if s := cookie(res, "kontor_session"); s == nil || s.Value != "" || s.Expires.After(time.Now()) {
		t.Errorf("logout does not clear the cookie: %+v", s)
	}
	c.Get(t, "/settings").Expect(t, http.StatusSeeOther)

	// The old cookie value is dead on the server, not just forgotten by the browser.
	replay := inst.Client()
	replay.HTTP.Jar = nil
	res = replay.Get(t, "/settings", "Cookie: kontor_session="+session)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("replayed session: %d to %q", res.Status, res.Header.Get("Location"))
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var newKeyInput = regexp.MustCompile(`<input id="new-api-key"[^>]*value="(kontor_[^"]+)"`)

func TestAPIKeysPage(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	c := inst.Client()
	signUp(t, c, "Ada Lovelace", newEmail("ada"))

	res := c.Get(t, "/settings").Expect(t, http.StatusOK)
	checkPage(t, res)
	if !strings.Contains(body(res), "No API keys yet") {
		t.Error("no empty state")
	}
	tok := csrfToken(t, c, "/settings")

	postForm(t, c, "/settings/api-keys", url.Values{"name": {"CI"}}).Expect(t, http.StatusForbidden)

	for name, v := range map[string]url.Values{
		"missing name":  {"_csrf": {tok}, "name": {"  "}},
		"not a date":    {"_csrf": {tok}, "name": {"Backup"}, "expires_at": {"tomorrow"}},
		"date has gone": {"_csrf": {tok}, "name": {"Backup"}, "expires_at": {"2020-01-01"}},
	} {
		t.Run(name, func(t *testing.T) {
			res := postForm(t, c, "/settings/api-keys", v)
			res.Expect(t, http.StatusUnprocessableEntity)
			checkPage(t, res)
			page := body(res)
			if !strings.Contains(page, "field-error") || newKeyInput.MatchString(page) {
				t.Errorf("want an inline error and no key:\n%s", page)
			}
			if v.Get("name") == "Backup" && !strings.Contains(page, `value="Backup"`) {
				t.Error("the name was not kept")
			}
		})
	}

	res = postForm(t, c, "/settings/api-keys", url.Values{"_csrf": {tok}, "name": {"Backup script"}, "expires_at": {"2099-12-31"}})
	res.Expect(t, http.StatusOK)
	checkPage(t, res)
	m := newKeyInput.FindStringSubmatch(string(res.Body))
	if m == nil {
		t.Fatalf("the new key is not shown in a read-only input:\n%s", res.Body)
	}
	key := m[1]
	if !strings.Contains(m[0], "readonly") || !strings.Contains(body(res), "cannot show it again") || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the key must be read-only, come with a warning and not be cached")
	}

	// The key works on the API, and the page never shows it again.
	api := inst.Client()
	api.Token = key
	api.Get(t, "/api/v1/me").Expect(t, http.StatusOK)
	res = c.Get(t, "/settings").Expect(t, http.StatusOK)
	page := body(res)
	if strings.Contains(page, key) || !strings.Contains(page, key[:12]) || !strings.Contains(page, "Backup script") || !strings.Contains(page, "31 Dec 2099") {
		t.Errorf("settings must list the key by name, prefix and expiry, never the key itself")
	}
	idm := regexp.MustCompile(`action="/settings/api-keys/([0-9a-f-]{36})/revoke"`).FindStringSubmatch(page)
	if idm == nil {
		t.Fatalf("no revoke button:\n%s", page)
	}
	id := idm[1]

	t.Run("another user's key", func(t *testing.T) {
		bob := inst.Client()
		signUp(t, bob, "Bob", newEmail("bob"))
		bobTok := csrfToken(t, bob, "/settings")
		res := postForm(t, bob, "/settings/api-keys/"+id+"/revoke", url.Values{"_csrf": {bobTok}})
		res.Expect(t, http.StatusForbidden)
		checkPage(t, res)
	})
	postForm(t, c, "/settings/api-keys/not-a-uuid/revoke", url.Values{"_csrf": {tok}}).Expect(t, http.StatusNotFound)
	postForm(t, c, "/settings/api-keys/"+uuid.NewString()+"/revoke", url.Values{"_csrf": {tok}}).Expect(t, http.StatusNotFound)
	postForm(t, c, "/settings/api-keys/"+id+"/revoke", url.Values{}).Expect(t, http.StatusForbidden)
	api.Get(t, "/api/v1/me").Expect(t, http.StatusOK)

	res = postForm(t, c, "/settings/api-keys/"+id+"/revoke", url.Values{"_csrf": {tok}})
	res.Expect(t, http.StatusSeeOther)
	if res.Header.Get("Location") != "/settings" {
		t.Errorf("Location %q", res.Header.Get("Location"))
	}
	res = c.Get(t, "/settings").Expect(t, http.StatusOK)
	page = body(res)
	if !strings.Contains(page, "was revoked") || !strings.Contains(page, "Revoked") || strings.Contains(page, "/settings/api-keys/"+id+"/revoke") {
		t.Errorf("after revoking: want the flash, the status and no revoke button")
	}
	api.Get(t, "/api/v1/me").ExpectProblem(t, http.StatusUnauthorized, "invalid_token")
}

func TestSecureCookieOverHTTPS(t *testing.T) {
	inst := harness.Start(t, harness.Options{Env: map[string]string{"KONTOR_BASE_URL": "https://kontor.example"}})
	c := inst.Client()
	// The jar would not send Secure cookies over the test's plain HTTP; send them by hand.
	c.HTTP.Jar = nil
	res := c.Get(t, "/register").Expect(t, http.StatusOK)
	csrf := cookie(res, "kontor_csrf")
	m := csrfInput.FindSubmatch(res.Body)
	if csrf == nil || m == nil {
		t.Fatal("no CSRF cookie or field")
	}
	res = postForm(t, c, "/register", url.Values{"_csrf": {string(m[1])}, "name": {"Ada"}, "email": {newEmail("ada")}, "password": {password}},
		"Cookie: kontor_csrf="+csrf.Value)
	res.Expect(t, http.StatusSeeOther)
	if s := cookie(res, "kontor_session"); s == nil || !s.Secure || !s.HttpOnly || s.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie %+v: want Secure, HttpOnly, SameSite=Lax", s)
	}
}
