package web_test

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/modules/identity"
)

// submit posts a form of path with the CSRF token of the page it is on.
func submit(t *testing.T, c *harness.Client, page, action string, v url.Values) *harness.Response {
	t.Helper()
	v.Set("_csrf", c.CSRFToken(t, page))
	return c.PostForm(t, action, v)
}

func wantText(t *testing.T, res *harness.Response, want ...string) {
	t.Helper()
	page := res.Text()
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func redirectsTo(t *testing.T, res *harness.Response, loc string) {
	t.Helper()
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != loc {
		t.Fatalf("status %d to %q, want 303 to %q\n%s", res.Status, res.Header.Get("Location"), loc, res.Body)
	}
}

func TestProfileAndPasswordForms(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	c, other := inst.Client(), inst.Client()
	ada, bob := newEmail("ada"), newEmail("bob")
	signUp(t, c, "Ada Lovelace", ada)
	signUp(t, inst.Client(), "Bob", bob)
	tok := other.CSRFToken(t, "/login")
	redirectsTo(t, other.PostForm(t, "/login", url.Values{"_csrf": {tok}, "email": {ada}, "password": {password}}), "/")

	res := c.Get(t, "/settings").Expect(t, http.StatusOK).ExpectPage(t)
	wantText(t, res, `href="/settings/profile"`, `href="/settings/password"`, `href="/settings/export.zip"`, "Export all my data", `href="/settings/delete"`)

	res = c.Get(t, "/settings/profile").Expect(t, http.StatusOK).ExpectPage(t)
	wantText(t, res, `value="Ada Lovelace"`, `value="`+ada+`"`)
	redirectsTo(t, submit(t, c, "/settings/profile", "/settings/profile", url.Values{"name": {"Ada King"}, "email": {ada}}), "/settings")
	wantText(t, c.Get(t, "/settings").Expect(t, http.StatusOK), "Ada King", "Your name and e-mail address are saved.")

	res = submit(t, c, "/settings/profile", "/settings/profile", url.Values{"name": {"Ada King"}, "email": {"new-" + ada}})
	res.Expect(t, http.StatusUnprocessableEntity).ExpectPage(t)
	wantText(t, res, "Current password: is required to change the e-mail address.", `value="new-`+ada+`"`)
	res = submit(t, c, "/settings/profile", "/settings/profile", url.Values{"name": {"Ada King"}, "email": {"new-" + ada}, "current_password": {"wrong wrong wrong"}})
	res.Expect(t, http.StatusUnprocessableEntity)
	wantText(t, res, "Current password: is not your current password.")
	if strings.Contains(string(res.Body), "wrong wrong wrong") {
		t.Error("the password was echoed")
	}
	res = submit(t, c, "/settings/profile", "/settings/profile", url.Values{"name": {"Ada King"}, "email": {bob}, "current_password": {password}})
	res.Expect(t, http.StatusConflict)
	wantText(t, res, "An account with this e-mail address already exists.")
	redirectsTo(t, submit(t, c, "/settings/profile", "/settings/profile", url.Values{"name": {"Ada King"}, "email": {"new-" + ada}, "current_password": {password}}), "/settings")
	wantText(t, c.Get(t, "/settings").Expect(t, http.StatusOK), "new-"+ada)

	c.Get(t, "/settings/password").Expect(t, http.StatusOK).ExpectPage(t)
	res = submit(t, c, "/settings/password", "/settings/password", url.Values{"current_password": {password}, "new_password": {strings.Repeat(" ", 14)}})
	res.Expect(t, http.StatusUnprocessableEntity).ExpectPage(t)
	wantText(t, res, "New password: must not be only spaces.")
	const next = "a brand new password"
	redirectsTo(t, submit(t, c, "/settings/password", "/settings/password", url.Values{"current_password": {password}, "new_password": {next}}), "/settings")
	// This browser stays logged in; the other one is logged out.
	wantText(t, c.Get(t, "/settings").Expect(t, http.StatusOK), "Your password is changed.")
	other.Get(t, "/settings").Expect(t, http.StatusSeeOther)
	var pair struct {
		AccessToken string `json:"access_token"`
	}
	inst.Client().Post(t, "/api/v1/auth/login", map[string]any{"email": "new-" + ada, "password": next}).Expect(t, http.StatusOK).JSON(t, &pair)
}

func TestExportAndDeleteForms(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	c := inst.Client()
	ada := newEmail("ada")
	signUp(t, c, "Ada Lovelace", ada)

	res := c.Get(t, "/settings/export.zip").Expect(t, http.StatusOK)
	if res.Header.Get("Content-Type") != "application/zip" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export headers %v", res.Header)
	}
	var names []string
	for name := range res.ZipFiles(t) {
		names = append(names, name)
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "accounts.json api_keys.json connections.json profile.json" {
		t.Errorf("files %v", names)
	}

	res = c.Get(t, "/settings/delete").Expect(t, http.StatusOK).ExpectPage(t)
	wantText(t, res, `href="/settings/export.zip"`, "Export all my data", ada)
	res = submit(t, c, "/settings/delete", "/settings/delete", url.Values{"confirmation": {"yes"}})
	res.Expect(t, http.StatusUnprocessableEntity).ExpectPage(t)
	wantText(t, res, "Confirmation: must be your e-mail address or the word DELETE.", `value="yes"`)
	c.Get(t, "/settings").Expect(t, http.StatusOK)

	res = submit(t, c, "/settings/delete", "/settings/delete", url.Values{"confirmation": {"DELETE"}})
	redirectsTo(t, res, "/")
	if k := res.Cookie("kontor_session"); k == nil || k.Value != "" {
		t.Errorf("session cookie not cleared: %v", k)
	}
	wantText(t, c.Get(t, "/").Expect(t, http.StatusOK), "Your account and all its data were deleted.")
	c.Get(t, "/settings").Expect(t, http.StatusSeeOther)
	inst.Client().Post(t, "/api/v1/auth/login", map[string]any{"email": ada, "password": password}).Expect(t, http.StatusUnauthorized)
}

func TestResetPasswordPage(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	ctx := context.Background()
	c := inst.Client()
	ada := newEmail("ada")
	signUp(t, c, "Ada Lovelace", ada)

	link, err := identity.CreatePasswordReset(ctx, inst.DB, strings.ToUpper(ada), inst.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(link.URL, inst.BaseURL)
	if !strings.HasPrefix(path, "/reset-password?token=") || link.Email != ada {
		t.Fatalf("link %+v", link)
	}
	token, _ := url.ParseQuery(strings.TrimPrefix(path, "/reset-password?"))

	anon := inst.Client()
	res := anon.Get(t, path).Expect(t, http.StatusOK).ExpectPage(t)
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers %v", res.Header)
	}
	wantText(t, res, `name="token" value="`+token.Get("token")+`"`)
	res = submit(t, anon, path, "/reset-password", url.Values{"token": token["token"], "new_password": {strings.Repeat(" ", 13)}})
	res.Expect(t, http.StatusUnprocessableEntity).ExpectPage(t)
	wantText(t, res, "must not be only spaces")

	const next = "a brand new password"
	redirectsTo(t, submit(t, anon, path, "/reset-password", url.Values{"token": token["token"], "new_password": {next}}), "/login")
	// Every session ended, the one that registered too.
	c.Get(t, "/settings").Expect(t, http.StatusSeeOther)
	inst.Client().Post(t, "/api/v1/auth/login", map[string]any{"email": ada, "password": next}).Expect(t, http.StatusOK)

	// Used once: the link no longer works, for the page or the form.
	res = anon.Get(t, path).Expect(t, http.StatusUnauthorized).ExpectPage(t)
	wantText(t, res, "invalid, was used already or has expired")
	if strings.Contains(string(res.Body), `name="new_password"`) {
		t.Error("a used link still offers the form")
	}
	tok := anon.CSRFToken(t, "/login")
	anon.PostForm(t, "/reset-password", url.Values{"_csrf": {tok}, "token": token["token"], "new_password": {"yet another password"}}).Expect(t, http.StatusUnauthorized)
	inst.Client().Post(t, "/api/v1/auth/login", map[string]any{"email": ada, "password": next}).Expect(t, http.StatusOK)

	// Expired: an hour later the link is refused.
	late, err := identity.CreatePasswordReset(ctx, inst.DB, ada, inst.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	if !late.ExpiresAt.After(time.Now().Add(50*time.Minute)) || late.ExpiresAt.After(time.Now().Add(61*time.Minute)) {
		t.Errorf("expires at %v", late.ExpiresAt)
	}
	if _, err := inst.DB.NewUpdate().TableExpr("password_resets").Set("expires_at = ?", time.Now().UTC().Add(-time.Second)).Where("used_at IS NULL").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	anon.Get(t, strings.TrimPrefix(late.URL, inst.BaseURL)).Expect(t, http.StatusUnauthorized)

	if _, err := identity.CreatePasswordReset(ctx, inst.DB, "nobody@example.test", inst.BaseURL); err == nil {
		t.Error("a link for an unknown address")
	}
	anon.Get(t, "/reset-password").Expect(t, http.StatusUnauthorized)
}
