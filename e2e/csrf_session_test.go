package e2e

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

// TestCSRFTokenFollowsTheSession holds issue 10 item 8 on the real server: a CSRF
// token is bound to the session it was issued for and rotated at login and logout, so
// a token read before login fails after it, session A cannot use B's CSRF cookie and
// token, a token read before logout fails after it, and the token never counts from
// the query string.
func TestCSRFTokenFollowsTheSession(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Auto})
	k := loadContract(t, inst)
	anon := newAPI(inst, k, false)
	emailA, emailB := newEmail("csrf-a"), newEmail("csrf-b")
	register(t, anon, "Ann", emailA)
	register(t, anon, "Ben", emailB)
	base, _ := url.Parse(inst.BaseURL)
	csrfCookie := func(c *harness.Client) string {
		for _, ck := range c.HTTP.Jar.Cookies(base) {
			if ck.Name == "kontor_csrf" {
				return ck.Value
			}
		}
		t.Fatal("no CSRF cookie")
		return ""
	}
	logIn := func(email string) (*harness.Client, string) {
		c := inst.Client()
		before := c.CSRFToken(t, "/login")
		cookieBefore := csrfCookie(c)
		if res := c.PostForm(t, "/login", url.Values{"_csrf": {before}, "email": {email}, "password": {password}}); res.Status != http.StatusSeeOther {
			t.Fatalf("log in: %d\n%s", res.Status, res.Body)
		}
		if csrfCookie(c) == cookieBefore {
			t.Error("the CSRF cookie was not replaced at login")
		}
		// The token read from /login before login no longer counts.
		c.PostForm(t, "/logout", url.Values{"_csrf": {before}}).Expect(t, http.StatusForbidden)
		return c, before
	}
	a, preLogin := logIn(emailA)
	b, _ := logIn(emailB)
	tokA := a.CSRFToken(t, "/")
	tokB := b.CSRFToken(t, "/")
	if tokA == preLogin || tokA == tokB {
		t.Fatal("the logged-in token equals another token")
	}

	// Session A holding B's CSRF cookie and B's token is refused.
	mixed := inst.Client()
	jar, _ := cookiejar.New(nil)
	var cookies []*http.Cookie
	for _, ck := range a.HTTP.Jar.Cookies(base) {
		if ck.Name == "kontor_session" {
			cookies = append(cookies, ck)
		}
	}
	cookies = append(cookies, &http.Cookie{Name: "kontor_csrf", Value: csrfCookie(b)})
	jar.SetCookies(base, cookies)
	mixed.HTTP.Jar = jar
	mixed.PostForm(t, "/logout", url.Values{"_csrf": {tokB}}).Expect(t, http.StatusForbidden)
	mixed.Raw(t, http.MethodPost, "/logout", nil, "X-CSRF-Token: "+tokB).Expect(t, http.StatusForbidden)

	// The query string never carries the token.
	a.PostForm(t, "/logout?_csrf="+url.QueryEscape(tokA), url.Values{}).Expect(t, http.StatusForbidden)
	// B is still logged in: none of the above ended a session.
	if got := b.CSRFToken(t, "/"); got != tokB {
		t.Fatal("B's token changed without a login or logout")
	}

	// Logout rotates: A's token from the logged-in page no longer counts afterwards.
	cookieBefore := csrfCookie(a)
	a.PostForm(t, "/logout", url.Values{"_csrf": {tokA}}).Expect(t, http.StatusSeeOther)
	if csrfCookie(a) == cookieBefore {
		t.Error("the CSRF cookie was not replaced at logout")
	}
	a.PostForm(t, "/login", url.Values{"_csrf": {tokA}, "email": {emailA}, "password": {password}}).Expect(t, http.StatusForbidden)
	a.PostForm(t, "/login", url.Values{"_csrf": {preLogin}, "email": {emailA}, "password": {password}}).Expect(t, http.StatusForbidden)
	fresh := a.CSRFToken(t, "/login")
	a.PostForm(t, "/login", url.Values{"_csrf": {fresh}, "email": {emailA}, "password": {password}}).Expect(t, http.StatusSeeOther)
}
