package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/kontor-app/kontor/e2e/harness"
)

// Selectors of the identity pages (modules/identity/internal/web) and the shell's
// navigation (web/layout.templ).
const (
	registerForm = `form[action="/register"]`
	loginForm    = `form[action="/login"]`
	keyForm      = `form[action="/settings/api-keys"]`
	logoutButton = `.site-nav form[action="/logout"] button[type="submit"]`
	loginLink    = `.site-nav a[href="/login"]`
	newKeyInput  = `#new-api-key`
	formErrors   = `#form-errors`
)

func TestBrowserRegisterCreateAPIKeyAndLogOut(t *testing.T) {
	b := harness.NewBrowser(t)
	inst := start(t, harness.Options{Engine: harness.Auto})
	b.BaseURL = inst.BaseURL
	email := newEmail("ada")

	if status := b.Navigate("/register"); status != http.StatusOK {
		t.Fatalf("GET /register: %d", status)
	}
	b.Fill(registerForm+` input[name="name"]`, "Ada Lovelace")
	b.Fill(registerForm+` input[name="email"]`, email)
	b.Fill(registerForm+` input[name="password"]`, password)
	if status := b.Submit(registerForm + ` button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("registering answered %d", status)
	}
	// Registering logs in, or sends the new user to the login form.
	if strings.HasPrefix(b.Location(), inst.BaseURL+"/login") {
		logIn(t, b, email, password)
	}
	b.WaitVisible(logoutButton)
	if who := b.Text(logoutButton); !strings.Contains(who, "Ada Lovelace") {
		t.Fatalf("the logout button says %q, want the user's name", who)
	}
	for _, c := range b.Cookies() {
		if strings.Contains(strings.ToLower(c.Name), "session") && !c.HTTPOnly {
			t.Errorf("session cookie %s is readable by scripts", c.Name)
		}
	}

	if status := b.Navigate("/settings"); status != http.StatusOK {
		t.Fatalf("GET /settings: %d", status)
	}
	b.Fill(keyForm+` input[name="name"]`, "ci")
	if status := b.Submit(keyForm + ` button[type="submit"]`); status != http.StatusOK && status != http.StatusCreated {
		t.Fatalf("creating an API key answered %d", status)
	}
	b.WaitVisible(newKeyInput)
	key := b.Value(newKeyInput)
	if !strings.HasPrefix(key, "kontor_") {
		t.Fatalf("the page shows the key %q, want kontor_…", key)
	}
	b.KeepScreenshot("settings")

	// With JavaScript, a button copies the key: the page says so only once the
	// clipboard took it, and the clipboard holds the key.
	grant := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
				Permission: &cdpbrowser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
				Setting:    cdpbrowser.PermissionSettingGranted, Origin: inst.BaseURL,
			})
			return err
		})
	}
	if err := chromedp.Do(b.Context(), grant("clipboard-read"), grant("clipboard-write")); err != nil {
		t.Fatal(err)
	}
	b.Click(`button[data-copy="new-api-key"]`)
	copied := ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if copied = b.Text(`[data-copy-status="new-api-key"]`); copied != "" {
			break
		}
	}
	if copied != "Copied." {
		t.Fatalf("after the copy button the page says %q, want \"Copied.\"", copied)
	}
	clip, err := chromedp.Run(b.Context(), chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if clip != key {
		t.Fatalf("the clipboard holds %q, want the key", clip)
	}

	client := inst.Client()
	client.Token = key
	var me user
	client.Get(t, "/api/v1/me").Expect(t, http.StatusOK).JSON(t, &me)
	if me.Email != email {
		t.Fatalf("the key authenticates %q, want %q", me.Email, email)
	}

	if status := b.Submit(`form.revoke-form button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("revoking the key answered %d", status)
	}
	if b.Has(`form.revoke-form`) {
		t.Fatal("the revoked key can still be revoked")
	}
	client.Get(t, "/api/v1/me").ExpectProblem(t, http.StatusUnauthorized, "invalid_token")

	if status := b.Submit(logoutButton); status != http.StatusOK {
		t.Fatalf("logging out answered %d", status)
	}
	b.WaitVisible(loginLink)
	if b.Has(logoutButton) {
		t.Fatal("still logged in after logging out")
	}
	// The settings page is for logged-in users only.
	b.Navigate("/settings")
	if b.Has(keyForm) {
		t.Fatalf("the settings page is shown after logout, at %s", b.Location())
	}
	checkConsole(t, b)
}

func TestBrowserLoginWithAWrongPassword(t *testing.T) {
	b := harness.NewBrowser(t)
	inst := start(t, harness.Options{Engine: harness.Auto})
	b.BaseURL = inst.BaseURL
	email := newEmail("grace")
	register(t, newAPI(inst, loadContract(t, inst), false), "Grace Hopper", email)

	b.Navigate("/login")
	b.Fill(loginForm+` input[name="email"]`, email)
	b.Fill(loginForm+` input[name="password"]`, "not the password at all")
	status := b.Submit(loginForm + ` button[type="submit"]`)
	if status >= 500 || status < 400 {
		t.Fatalf("a wrong password answered %d, want a 4xx page with the form", status)
	}
	if msg := b.Text(formErrors); !strings.Contains(strings.ToLower(msg), "password") {
		t.Fatalf("the inline error says %q, want it to mention the password", msg)
	}
	if got := b.Value(loginForm + ` input[name="email"]`); got != email {
		t.Fatalf("the form lost the e-mail address: %q", got)
	}
	if got := b.Value(loginForm + ` input[name="password"]`); got != "" {
		t.Fatal("the form sent the password back")
	}
	if b.Has(logoutButton) {
		t.Fatal("logged in with a wrong password")
	}

	// The right password still works after a mistake.
	logIn(t, b, email, password)
	b.WaitVisible(logoutButton)
	checkConsole(t, b)
}

// logIn fills and submits the login form.
func logIn(t *testing.T, b *harness.Browser, email, pw string) {
	t.Helper()
	if !b.Has(loginForm) {
		b.Navigate("/login")
	}
	b.Fill(loginForm+` input[name="email"]`, email)
	b.Fill(loginForm+` input[name="password"]`, pw)
	if status := b.Submit(loginForm + ` button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("logging in answered %d", status)
	}
}

// checkConsole fails t on uncaught exceptions and Content-Security-Policy violations,
// which mean a page's script or style does not run as written.
func checkConsole(t *testing.T, b *harness.Browser) {
	t.Helper()
	for _, m := range b.Console() {
		if strings.HasPrefix(m, "exception ") || strings.Contains(m, "Content Security Policy") {
			t.Errorf("browser console: %s", m)
		}
	}
}
