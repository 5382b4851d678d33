package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
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

// signUp registers through the form and leaves c logged in.
func signUp(t *testing.T, c *harness.Client, name, email string) {
	t.Helper()
	tok := c.CSRFToken(t, "/register")
	res := c.PostForm(t, "/register", url.Values{"_csrf": {tok}, "name": {name}, "email": {email}, "password": {password}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("register: %d to %q\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}
}

func TestRegister(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	c := inst.Client()

	res := c.Get(t, "/register").Expect(t, http.StatusOK)
	res.ExpectPage(t)
	tok := c.CSRFToken(t, "/register")
	email := newEmail("ada")

	t.Run("CSRF token missing", func(t *testing.T) {
		res := c.PostForm(t, "/register", url.Values{"name": {"Ada"}, "email": {email}, "password": {password}})
		res.Expect(t, http.StatusForbidden)
		res.ExpectPage(t)
	})
	t.Run("CSRF token forged", func(t *testing.T) {
		forged := strings.Repeat("A", len(tok))
		c.PostForm(t, "/register", url.Values{"_csrf": {forged}, "name": {"Ada"}, "email": {email}, "password": {password}}).
			Expect(t, http.StatusForbidden)
	})
	t.Run("CSRF token from another browser", func(t *testing.T) {
		other := inst.Client()
		other.PostForm(t, "/register", url.Values{"_csrf": {tok}, "name": {"Ada"}, "email": {email}, "password": {password}}).
			Expect(t, http.StatusForbidden)
	})

	t.Run("invalid fields re-render the form", func(t *testing.T) {
		res := c.PostForm(t, "/register", url.Values{"_csrf": {tok}, "name": {"Ada Lovelace"}, "email": {"not-an-address"}, "password": {"short-pw"}})
		res.Expect(t, http.StatusUnprocessableEntity)
		res.ExpectPage(t)
		page := res.Text()
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
		res := c.PostForm(t, "/register", url.Values{"_csrf": {tok}, "name": {"Ada Lovelace"}, "email": {email}, "password": {password}})
		res.Expect(t, http.StatusSeeOther)
		if res.Header.Get("Location") != "/" {
			t.Errorf("Location %q", res.Header.Get("Location"))
		}
		s := res.Cookie("kontor_session")
		if s == nil || s.Value == "" || !s.HttpOnly || s.SameSite != http.SameSiteLaxMode || s.Path != "/" || s.Secure {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure over http", s)
		}
		res = c.Get(t, "/settings").Expect(t, http.StatusOK)
		if page := res.Text(); !strings.Contains(page, "Ada Lovelace") || !strings.Contains(page, email) {
			t.Errorf("settings page does not show the new user")
		}
		// Logged in, the form sends you home.
		if res := c.Get(t, "/register"); res.Status != http.StatusSeeOther {
			t.Errorf("GET /register when logged in: %d", res.Status)
		}
	})

	t.Run("taken e-mail", func(t *testing.T) {
		other := inst.Client()
		tok := other.CSRFToken(t, "/register")
		res := other.PostForm(t, "/register", url.Values{"_csrf": {tok}, "name": {"Twin"}, "email": {strings.ToUpper(email)}, "password": {password}})
		res.Expect(t, http.StatusConflict)
		if !strings.Contains(res.Text(), "already exists") {
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
		res.ExpectPage(t)
		if !strings.Contains(string(res.Body), `name="next" value="/settings"`) {
			t.Error("the form does not carry next")
		}
	})

	t.Run("CSRF token missing", func(t *testing.T) {
		c := inst.Client()
		c.CSRFToken(t, "/login")
		c.PostForm(t, "/login", url.Values{"email": {email}, "password": {password}}).Expect(t, http.StatusForbidden)
	})

	t.Run("wrong password", func(t *testing.T) {
		c := inst.Client()
		tok := c.CSRFToken(t, "/login")
		res := c.PostForm(t, "/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {"not the password"}})
		res.Expect(t, http.StatusUnauthorized)
		res.ExpectPage(t)
		page := res.Text()
		if !strings.Contains(page, "e-mail address or password is wrong") || !strings.Contains(page, `value="`+email+`"`) || strings.Contains(page, "not the password") {
			t.Errorf("the form does not explain, keep the address, or hide the password:\n%s", page)
		}
		if res.Cookie("kontor_session") != nil {
			t.Error("a failed login set a session")
		}
	})

	t.Run("missing fields", func(t *testing.T) {
		c := inst.Client()
		tok := c.CSRFToken(t, "/login")
		res := c.PostForm(t, "/login", url.Values{"_csrf": {tok}})
		res.Expect(t, http.StatusUnprocessableEntity)
		if page := res.Text(); !strings.Contains(page, "Is required") {
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
			tok := c.CSRFToken(t, "/login")
			res := c.PostForm(t, "/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {password}, "next": {tt.next}})
			res.Expect(t, http.StatusSeeOther)
			if loc := res.Header.Get("Location"); loc != tt.want {
				t.Errorf("Location %q, want %q", loc, tt.want)
			}
			if s := res.Cookie("kontor_session"); s == nil || s.Value == "" {
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
		tok := c.CSRFToken(t, "/login")
		for range 5 {
			c.PostForm(t, "/login", url.Values{"_csrf": {tok}, "email": {victim}, "password": {"not the password"}}).Expect(t, http.StatusUnauthorized)
		}
		res := c.PostForm(t, "/login", url.Values{"_csrf": {tok}, "email": {victim}, "password": {password}})
		res.Expect(t, http.StatusTooManyRequests)
		res.ExpectPage(t)
		if !strings.Contains(res.Text(), "Try again in 15 minutes") || res.Header.Get("Retry-After") == "" {
			t.Errorf("locked page lacks the wait (Retry-After %q):\n%s", res.Header.Get("Retry-After"), res.Body)
		}
		// The JSON API shares the lock.
		problem := c.Post(t, "/api/v1/auth/login", map[string]any{"email": victim, "password": password})
		problem.ExpectProblem(t, http.StatusTooManyRequests, "account_locked")
	})
}

// TestTooManyPostsGetTheFormBackWithTheWait: the AUTH limit per client IP
// (5 at once, 5 a minute) refuses the 6th login post with 429 and Retry-After,
// and the page is the login form again, the e-mail address kept (never the
// password), saying how long to wait in words. Registration and the new-password
// form share the bucket and answer the same way; the JSON API keeps its problem.
func TestTooManyPostsGetTheFormBackWithTheWait(t *testing.T) {
	inst := harness.Start(t, harness.Options{RateLimits: true})
	c := inst.Client()
	tok := c.CSRFToken(t, "/login")
	for i := range 5 {
		// Unknown addresses: no account gets locked, so a 429 can only be the limit.
		c.PostForm(t, "/login", url.Values{"_csrf": {tok}, "email": {newEmail(fmt.Sprint("nobody", i))}, "password": {"not the password"}}).
			Expect(t, http.StatusUnauthorized)
	}
	wait := regexp.MustCompile(`Too many attempts\. Try again in (\d+) seconds?\.`)
	// expect checks a refused post: 429, a Retry-After of at most the 12 s a token
	// takes to come back, the same wait in words, the form with what was typed.
	expect := func(t *testing.T, res *harness.Response, form string, kept ...string) {
		t.Helper()
		res.Expect(t, http.StatusTooManyRequests)
		res.ExpectPage(t)
		page := string(res.Body)
		retry := res.Header.Get("Retry-After")
		m := wait.FindStringSubmatch(page)
		if n, err := strconv.Atoi(retry); m == nil || m[1] != retry || err != nil || n < 1 || n > 12 {
			t.Errorf("Retry-After %q and the page's wait %q; want the same number of seconds, 1 to 12:\n%s", retry, m, page)
		}
		if !strings.Contains(page, "Please wait") || strings.Contains(page, "Please fix") {
			t.Errorf("the summary is not headed as a wait:\n%s", page)
		}
		if !strings.Contains(page, `<form method="post" action="`+form+`"`) {
			t.Errorf("no %s form on the 429 page:\n%s", form, page)
		}
		for _, v := range kept {
			if !strings.Contains(page, `value="`+v+`"`) {
				t.Errorf("the form lost %q:\n%s", v, page)
			}
		}
		if strings.Contains(page, password) {
			t.Error("the page gives the password back")
		}
	}

	t.Run("login", func(t *testing.T) {
		email := newEmail("ada")
		res := c.PostForm(t, "/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {password}, "next": {"/accounts"}})
		expect(t, res, "/login", email, "/accounts")
	})
	t.Run("register", func(t *testing.T) {
		email := newEmail("grace")
		res := c.PostForm(t, "/register", url.Values{"_csrf": {tok}, "name": {"Grace Hopper"}, "email": {email}, "password": {password}})
		expect(t, res, "/register", "Grace Hopper", email)
	})
	t.Run("new password", func(t *testing.T) {
		res := c.PostForm(t, "/reset-password", url.Values{"_csrf": {tok}, "token": {"some-one-time-token"}, "new_password": {password}})
		expect(t, res, "/reset-password", "some-one-time-token")
	})
	t.Run("the JSON API keeps its problem", func(t *testing.T) {
		res := c.Post(t, "/api/v1/auth/login", map[string]any{"email": newEmail("ada"), "password": password})
		res.ExpectProblem(t, http.StatusTooManyRequests, "rate_limited")
		if res.Header.Get("Retry-After") == "" {
			t.Error("the problem has no Retry-After")
		}
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
	tok := c.CSRFToken(t, "/settings")

	c.PostForm(t, "/logout", url.Values{}).Expect(t, http.StatusForbidden)

	res := c.PostForm(t, "/logout", url.Values{"_csrf": {tok}}).Expect(t, http.StatusSeeOther)
	if s := res.Cookie("kontor_session"); s == nil || s.Value != "" || s.Expires.After(time.Now()) {
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
	res.ExpectPage(t)
	if !strings.Contains(res.Text(), "No API keys yet") {
		t.Error("no empty state")
	}
	tok := c.CSRFToken(t, "/settings")

	c.PostForm(t, "/settings/api-keys", url.Values{"name": {"CI"}}).Expect(t, http.StatusForbidden)

	for name, v := range map[string]url.Values{
		"missing name":  {"_csrf": {tok}, "name": {"  "}},
		"not a date":    {"_csrf": {tok}, "name": {"Backup"}, "expires_at": {"tomorrow"}},
		"date has gone": {"_csrf": {tok}, "name": {"Backup"}, "expires_at": {"2020-01-01"}},
	} {
		t.Run(name, func(t *testing.T) {
			res := c.PostForm(t, "/settings/api-keys", v)
			res.Expect(t, http.StatusUnprocessableEntity)
			res.ExpectPage(t)
			page := res.Text()
			if !strings.Contains(page, "field-error") || newKeyInput.MatchString(page) {
				t.Errorf("want an inline error and no key:\n%s", page)
			}
			if v.Get("name") == "Backup" && !strings.Contains(page, `value="Backup"`) {
				t.Error("the name was not kept")
			}
		})
	}

	res = c.PostForm(t, "/settings/api-keys", url.Values{"_csrf": {tok}, "name": {"Backup script"}, "expires_at": {"2099-12-31"}})
	res.Expect(t, http.StatusOK)
	res.ExpectPage(t)
	m := newKeyInput.FindStringSubmatch(string(res.Body))
	if m == nil {
		t.Fatalf("the new key is not shown in a read-only input:\n%s", res.Body)
	}
	key := m[1]
	if !strings.Contains(m[0], "readonly") || !strings.Contains(res.Text(), "cannot show it again") || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the key must be read-only, come with a warning and not be cached")
	}

	// The key works on the API, and the page never shows it again.
	api := inst.Client()
	api.Token = key
	api.Get(t, "/api/v1/me").Expect(t, http.StatusOK)
	res = c.Get(t, "/settings").Expect(t, http.StatusOK)
	page := res.Text()
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
		bobTok := bob.CSRFToken(t, "/settings")
		res := bob.PostForm(t, "/settings/api-keys/"+id+"/revoke", url.Values{"_csrf": {bobTok}})
		res.Expect(t, http.StatusForbidden)
		res.ExpectPage(t)
	})
	c.PostForm(t, "/settings/api-keys/not-a-uuid/revoke", url.Values{"_csrf": {tok}}).Expect(t, http.StatusNotFound)
	c.PostForm(t, "/settings/api-keys/"+uuid.NewString()+"/revoke", url.Values{"_csrf": {tok}}).Expect(t, http.StatusNotFound)
	c.PostForm(t, "/settings/api-keys/"+id+"/revoke", url.Values{}).Expect(t, http.StatusForbidden)
	api.Get(t, "/api/v1/me").Expect(t, http.StatusOK)

	res = c.PostForm(t, "/settings/api-keys/"+id+"/revoke", url.Values{"_csrf": {tok}})
	res.Expect(t, http.StatusSeeOther)
	if res.Header.Get("Location") != "/settings" {
		t.Errorf("Location %q", res.Header.Get("Location"))
	}
	res = c.Get(t, "/settings").Expect(t, http.StatusOK)
	page = res.Text()
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
	csrf := res.Cookie("kontor_csrf")
	if csrf == nil {
		t.Fatal("no CSRF cookie")
	}
	res = c.PostForm(t, "/register", url.Values{"_csrf": {res.CSRFField(t)}, "name": {"Ada"}, "email": {newEmail("ada")}, "password": {password}},
		"Cookie: kontor_csrf="+csrf.Value)
	res.Expect(t, http.StatusSeeOther)
	if s := res.Cookie("kontor_session"); s == nil || !s.Secure || !s.HttpOnly || s.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie %+v: want Secure, HttpOnly, SameSite=Lax", s)
	}
}
