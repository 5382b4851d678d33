package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kontor-app/kontor/e2e/harness"
)

// connectionsUpload puts the file at path into the upload form's file input.
func connectionsUpload(t *testing.T, b *harness.Browser, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), harness.StepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(`#field-file`), []string{path})); err != nil {
		t.Fatalf("choose the file %s: %v", path, err)
	}
}

// connectionsScreens keeps screenshots of the current page at a desktop and a phone
// width.
func connectionsScreens(t *testing.T, b *harness.Browser, name string) {
	t.Helper()
	for _, w := range []int64{1366, 390} {
		ctx, cancel := context.WithTimeout(b.Context(), harness.StepTimeout)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 900)); err != nil {
			cancel()
			t.Fatalf("viewport %d: %v", w, err)
		}
		cancel()
		b.KeepScreenshot(name + "-" + map[int64]string{1366: "1366", 390: "390"}[w])
	}
	ctx, cancel := context.WithTimeout(b.Context(), harness.StepTimeout)
	defer cancel()
	_ = chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900))
}

// TestConnectionsBrowserOFX links an OFX connection in Chromium without JSON: the
// list invites to link, "Link an account" creates the connection, a statement
// uploads with its summary, a broken file is refused with the line and nothing
// imported, the settings refuse a bad interval, and a disconnect asks first.
func TestConnectionsBrowserOFX(t *testing.T) {
	inst := harness.Start(t, harness.Options{Engine: harness.Postgres})
	b := harness.NewBrowser(t)
	b.BaseURL = inst.BaseURL
	email := newEmail("connections-browser")

	b.Navigate("/register")
	b.Fill(`form[action="/register"] input[name="name"]`, "Grace Hopper")
	b.Fill(`form[action="/register"] input[name="email"]`, email)
	b.Fill(`form[action="/register"] input[name="password"]`, password)
	accountsSubmit(t, b, `form[action="/register"] button[type="submit"]`)
	if !b.Has(`.site-nav form[action="/logout"]`) {
		logIn(t, b, email, password)
	}

	b.Navigate("/connections")
	accountsExpectText(t, b, ".empty-state__title", "No connections yet")
	if !b.Has(`.site-nav a[href="/connections"]`) {
		t.Fatal("the navigation has no link to the connections")
	}
	accountsSubmit(t, b, `.empty-state__action a`)

	// SimpleFIN: a token that is not one comes back with its error on the form.
	accountsSubmit(t, b, `#provider-simplefin a[role="button"]`)
	b.Fill(`#provider-simplefin form input[name="setup_token"]`, "not a setup token")
	if status := accountsSubmit(t, b, `#provider-simplefin form button[type="submit"]`); status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad setup token answered %d", status)
	}
	if msg := b.Text(`#field-setup_token-error`); msg == "" {
		t.Fatal("the setup token error is not shown")
	}
	b.Navigate("/connections/new")

	accountsSubmit(t, b, `#provider-ofx a[role="button"]`)
	form := `#provider-ofx form`
	b.Fill(form+` input[name="alias"]`, "Checking export")
	accountsSubmit(t, b, form+` button[type="submit"]`)
	accountsExpectText(t, b, ".flash--success .flash__text", "Linked Checking export.")
	accountsExpectText(t, b, "h1", "Checking export")
	accountsExpectText(t, b, ".connection-status", "Working")
	page := b.Location()

	dir := t.TempDir()
	good := filepath.Join(dir, "checking.ofx")
	bad := filepath.Join(dir, "broken.ofx")
	if err := os.WriteFile(good, []byte(ofxStatement("")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(ofxStatement(brokenSavings)), 0o600); err != nil {
		t.Fatal(err)
	}
	upload := `form[action$="/imports"] button[type="submit"]`

	// A broken file: the line and "nothing imported", and no account appears.
	connectionsUpload(t, b, bad)
	if status := accountsSubmit(t, b, upload); status != http.StatusUnprocessableEntity {
		t.Fatalf("a broken file answered %d, want 422", status)
	}
	accountsExpectText(t, b, "#field-file-error", "line")
	accountsExpectText(t, b, ".form-errors", "Nothing of the file was imported")
	if b.Has(".connection-account") {
		t.Fatal("a refused file left an account")
	}

	connectionsUpload(t, b, good)
	if status := accountsSubmit(t, b, upload); status != http.StatusOK {
		t.Fatalf("the upload answered %d", status)
	}
	accountsExpectText(t, b, ".import-summary", "1 account created")
	accountsExpectText(t, b, ".import-summary", "3 transactions added")
	accountsExpectText(t, b, ".connection-account", "1,257.83 USD")
	connectionsScreens(t, b, "connection")

	// Again: nothing added.
	connectionsUpload(t, b, good)
	accountsSubmit(t, b, upload)
	accountsExpectText(t, b, ".import-summary", "0 transactions added")
	accountsExpectText(t, b, ".import-summary", "3 transactions were already here")

	// Settings: a file connection has no schedule, only its name; a name too long
	// comes back with its error.
	settings := `form[action$="/settings"]`
	if b.Has(settings + ` input[name="sync_interval_minutes"]`) {
		t.Fatal("a file connection offers a sync schedule")
	}
	b.Fill(settings+` input[name="alias"]`, strings.Repeat("x", 101))
	if status := accountsSubmit(t, b, settings+` button[type="submit"]`); status != http.StatusUnprocessableEntity {
		t.Fatalf("a long name answered %d", status)
	}
	accountsExpectText(t, b, "#field-alias-error", "at most 100 characters")
	b.Fill(settings+` input[name="alias"]`, "Everyday checking")
	accountsSubmit(t, b, settings+` button[type="submit"]`)
	accountsExpectText(t, b, ".flash--success .flash__text", "Saved the settings.")
	accountsExpectText(t, b, "h1", "Everyday checking")
	accountsExpectText(t, b, ".history-row", "Working")

	b.Navigate("/connections")
	accountsExpectText(t, b, ".connection-row", "Everyday checking")
	accountsExpectText(t, b, ".connection-row", "Working")
	connectionsScreens(t, b, "list")

	// Disconnect asks first, then keeps the accounts, inactive.
	b.Navigate(page)
	accountsSubmit(t, b, `a[href$="/disconnect"]`)
	accountsExpectText(t, b, "h1", "Disconnect Everyday checking?")
	accountsSubmit(t, b, `form[action$="/disconnect"] button[type="submit"]`)
	accountsExpectText(t, b, ".flash--success .flash__text", "Disconnected Everyday checking.")
	accountsExpectText(t, b, ".connection-status", "Disconnected")
	accountsExpectText(t, b, ".connection-account", "inactive")
	if b.Has(`form[action$="/imports"]`) {
		t.Fatal("a disconnected connection still offers an upload")
	}

	// A forged OAuth callback is refused with a page, never a 500.
	if status := b.Navigate("/connections/callback?state=forged&code=x"); status != http.StatusBadRequest {
		t.Fatalf("a forged callback answered %d", status)
	}
	if !strings.Contains(b.Text("main"), "start the link again") {
		t.Fatalf("the callback error page says %q", b.Text("main"))
	}
	accountsCheckConsole(t, b)
}
