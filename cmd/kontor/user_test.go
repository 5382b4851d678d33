package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

var resetLink = regexp.MustCompile(`https://kontor\.example/reset-password\?token=([A-Za-z0-9_-]{43})\n`)

// TestUserResetPassword runs `kontor user reset-password` against a running
// instance's SQLite database and follows the printed link in that instance: it sets
// the password once, ends every session, and stops working after use or an hour.
func TestUserResetPassword(t *testing.T) {
	dir := t.TempDir()
	inst := harness.Start(t, harness.Options{Engine: harness.SQLite, Env: map[string]string{"KONTOR_DATA_DIR": dir}})
	t.Setenv("KONTOR_DATA_DIR", dir)
	t.Setenv("KONTOR_ENV", "development")
	t.Setenv("KONTOR_BASE_URL", "https://kontor.example/")
	c := inst.Client()
	const email, old, next = "ada@example.test", "correct horse battery staple", "a brand new password"
	c.Post(t, "/api/v1/auth/register", map[string]any{"email": email, "password": old, "name": "Ada"}).Expect(t, http.StatusCreated)
	var pair struct {
		RefreshToken string `json:"refresh_token"`
	}
	c.Post(t, "/api/v1/auth/login", map[string]any{"email": email, "password": old}).Expect(t, http.StatusOK).JSON(t, &pair)

	var out, errOut bytes.Buffer
	if code := run([]string{"user", "reset-password", "nobody@example.test"}, &out, &errOut); code != 1 ||
		errOut.String() != "kontor: No user has the e-mail address nobody@example.test.\n" || out.Len() != 0 {
		t.Fatalf("unknown address: %d %q %q", code, out.String(), errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"user", "reset-password", "not an address"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "must be an e-mail address") {
		t.Fatalf("bad address: %d %q", code, errOut.String())
	}
	errOut.Reset()
	for _, args := range [][]string{{"user"}, {"user", "reset-password"}, {"user", "rename", email}} {
		if code := run(args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "usage: kontor user reset-password EMAIL") {
			t.Fatalf("%v: %d %q", args, code, errOut.String())
		}
	}

	errOut.Reset()
	if code := run([]string{"user", "reset-password", "ADA@example.test"}, &out, &errOut); code != 0 {
		t.Fatalf("reset-password: %d %q", code, errOut.String())
	}
	m := resetLink.FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "for "+email+" (works once, until ") {
		t.Fatalf("output %q", out.String())
	}
	token := m[1]
	var stored int
	if err := inst.DB.NewSelect().TableExpr("password_resets").ColumnExpr("count(*)").Where("token_hash = ?", token).Scan(context.Background(), &stored); err != nil || stored != 0 {
		t.Fatalf("the token is stored as is (%d, %v)", stored, err)
	}

	path := "/reset-password?token=" + token
	anon := inst.Client()
	page := anon.Get(t, path).Expect(t, http.StatusOK)
	res := anon.PostForm(t, "/reset-password", url.Values{"_csrf": {page.CSRFField(t)}, "token": {token}, "new_password": {next}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("reset: %d %s", res.Status, res.Body)
	}
	c.Post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": pair.RefreshToken}).Expect(t, http.StatusUnauthorized)
	c.Post(t, "/api/v1/auth/login", map[string]any{"email": email, "password": old}).Expect(t, http.StatusUnauthorized)
	c.Post(t, "/api/v1/auth/login", map[string]any{"email": email, "password": next}).Expect(t, http.StatusOK)
	// Single use.
	anon.Get(t, path).Expect(t, http.StatusUnauthorized)

	// A second link, an hour old, is refused.
	out.Reset()
	if code := run([]string{"user", "reset-password", email}, &out, &errOut); code != 0 {
		t.Fatalf("second link: %d %q", code, errOut.String())
	}
	late := resetLink.FindStringSubmatch(out.String())
	if late == nil || late[1] == token {
		t.Fatalf("second link %q", out.String())
	}
	anon.Get(t, "/reset-password?token="+late[1]).Expect(t, http.StatusOK)
	if _, err := inst.DB.NewUpdate().TableExpr("password_resets").Set("expires_at = ?", time.Now().UTC().Add(-time.Hour)).Where("used_at IS NULL").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	anon.Get(t, "/reset-password?token="+late[1]).Expect(t, http.StatusUnauthorized)
}
