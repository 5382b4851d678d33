package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

// TestBrowserChangePasswordThenDeleteAccount walks the settings a person uses in a
// browser: change the name, change the password (another browser is logged out,
// this one stays), find the export on the way to deleting the account, and delete
// it with the typed confirmation. The forms carry the CSRF token of the page they
// are on, read after login.
func TestBrowserChangePasswordThenDeleteAccount(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Auto})
	email := newEmail("ada")
	api := inst.Client()
	api.Post(t, "/api/v1/auth/register", map[string]any{"email": email, "password": password, "name": "Ada Lovelace"}).Expect(t, http.StatusCreated)
	var pair struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	api.Post(t, "/api/v1/auth/login", map[string]any{"email": email, "password": password}).Expect(t, http.StatusOK).JSON(t, &pair)
	api.Token = pair.AccessToken
	api.Post(t, "/api/v1/accounts", map[string]any{"name": "Girokonto", "account_type": "checking", "currency": "EUR", "opening_balance": "100.00"}).Expect(t, http.StatusCreated)

	b := harness.NewBrowser(t)
	b.BaseURL = inst.BaseURL
	logIn(t, b, email, password)

	if status := b.Navigate("/settings"); status != http.StatusOK {
		t.Fatalf("GET /settings: %d", status)
	}
	b.Click(`main a[href="/settings/profile"]`)
	b.WaitVisible(`form[action="/settings/profile"]`)
	b.Fill(`form[action="/settings/profile"] input[name="name"]`, "Ada King")
	if status := b.Submit(`form[action="/settings/profile"] button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("saving the profile answered %d", status)
	}
	if !strings.Contains(b.Text("main"), "Ada King") {
		t.Fatalf("the settings page does not show the new name:\n%s", b.Text("main"))
	}

	b.Click(`main a[href="/settings/password"]`)
	b.WaitVisible(`form[action="/settings/password"]`)
	b.Fill(`form[action="/settings/password"] input[name="current_password"]`, password)
	b.Fill(`form[action="/settings/password"] input[name="new_password"]`, "            ")
	if status := b.Submit(`form[action="/settings/password"] button[type="submit"]`); status != http.StatusUnprocessableEntity {
		t.Fatalf("a password of spaces answered %d", status)
	}
	if msg := b.Text(formErrors); !strings.Contains(msg, "must not be only spaces") {
		t.Fatalf("error summary %q", msg)
	}
	const next = "a brand new password"
	b.Fill(`form[action="/settings/password"] input[name="current_password"]`, password)
	b.Fill(`form[action="/settings/password"] input[name="new_password"]`, next)
	if status := b.Submit(`form[action="/settings/password"] button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("changing the password answered %d", status)
	}
	if !strings.Contains(b.Location(), "/settings") || !strings.Contains(b.Text("main"), "Your password is changed") {
		t.Fatalf("after the change: %s\n%s", b.Location(), b.Text("main"))
	}
	api.Post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": pair.RefreshToken}).ExpectProblem(t, http.StatusUnauthorized, "invalid_token")

	b.Click(`main a[href="/settings/delete"]`)
	b.WaitVisible(`form[action="/settings/delete"]`)
	if !b.Has(`main a[href="/settings/export.zip"]`) {
		t.Fatal("the delete page does not offer the export first")
	}
	b.Fill(`form[action="/settings/delete"] input[name="confirmation"]`, "delete")
	if status := b.Submit(`form[action="/settings/delete"] button[type="submit"]`); status != http.StatusUnprocessableEntity {
		t.Fatalf("a wrong confirmation answered %d", status)
	}
	b.Fill(`form[action="/settings/delete"] input[name="confirmation"]`, email)
	if status := b.Submit(`form[action="/settings/delete"] button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("deleting answered %d", status)
	}
	if !strings.Contains(b.Text("main"), "Your account and all its data were deleted.") {
		t.Fatalf("after deleting: %s", b.Text("main"))
	}
	b.WaitVisible(loginLink)
	api.Post(t, "/api/v1/auth/login", map[string]any{"email": email, "password": next}).ExpectProblem(t, http.StatusUnauthorized, "invalid_credentials")
}
