package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/e2e/harness"
)

// TestSyncPages opens the sync pages in a browser session, without JavaScript:
// the history, a connection's "Sync now" page whose form posts and comes back
// with the outcome in words, the suggestions page, and another user's connection.
func TestSyncPages(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Auto})
	k := loadContract(t, inst)
	anon := newAPI(inst, k, false)
	email := newEmail("sync-pages")
	register(t, anon, "Pat", email)
	a := anon.with(login(t, anon, email).AccessToken)
	var created struct {
		Connection connectionJSON `json:"connection"`
	}
	a.post(t, "/api/v1/connections", map[string]any{"provider": "ofx"}).Expect(t, http.StatusCreated).JSON(t, &created)
	conn := created.Connection.ID

	b := inst.Client()
	tok := b.CSRFToken(t, "/login")
	if res := b.PostForm(t, "/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {password}}); res.Status != http.StatusSeeOther {
		t.Fatalf("log in: %d", res.Status)
	}
	tok = b.CSRFToken(t, "/") // login rotates the token
	page := func(path string) string {
		t.Helper()
		res := b.Get(t, path).Expect(t, http.StatusOK)
		res.ExpectPage(t)
		return res.Text()
	}
	if text := page("/syncs"); !strings.Contains(text, "Sync history") || !strings.Contains(text, "No syncs yet.") {
		t.Fatalf("history page: %s", text)
	}
	text := page("/syncs/connections/" + conn)
	if !strings.Contains(text, "Sync transactions now") || !strings.Contains(text, "Sync accounts now") {
		t.Fatalf("connection page: %s", text)
	}
	res := b.PostForm(t, "/syncs/connections/"+conn, url.Values{"_csrf": {tok}, "kind": {"accounts"}, "force": {"true"}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/syncs/connections/"+conn {
		t.Fatalf("sync now: %d %s", res.Status, res.Header.Get("Location"))
	}
	if text := page("/syncs/connections/" + conn); !strings.Contains(text, "upload a statement file") {
		t.Fatalf("the refusal is not shown in words: %s", text)
	}
	if res := b.PostForm(t, "/syncs/connections/"+conn, url.Values{"kind": {"accounts"}}); res.Status != http.StatusForbidden {
		t.Fatalf("a post without the CSRF token: %d", res.Status)
	}
	if text := page("/syncs/suggestions"); !strings.Contains(text, "Nothing to check.") {
		t.Fatalf("suggestions page: %s", text)
	}
	if res := b.PostForm(t, "/syncs/suggestions/"+uuid.NewString()+"/confirm", url.Values{"_csrf": {tok}}); res.Status != http.StatusSeeOther {
		t.Fatalf("confirming an unknown suggestion: %d", res.Status)
	}

	// Another user's connection: forbidden, nothing synced.
	other := newEmail("sync-pages-other")
	register(t, anon, "Quinn", other)
	o := anon.with(login(t, anon, other).AccessToken)
	o.post(t, "/api/v1/connections", map[string]any{"provider": "ofx"}).Expect(t, http.StatusCreated).JSON(t, &created)
	if res := b.PostForm(t, "/syncs/connections/"+created.Connection.ID, url.Values{"_csrf": {tok}, "kind": {"transactions"}}); res.Status != http.StatusForbidden {
		t.Fatalf("syncing another user's connection from the page: %d", res.Status)
	}
	if res := b.Get(t, "/syncs/connections/not-an-id"); res.Status != http.StatusNotFound {
		t.Fatalf("a bad id: %d", res.Status)
	}
}
