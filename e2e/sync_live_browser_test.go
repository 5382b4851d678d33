package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// TestSyncNowShowsLiveProgress links the sandbox persona, signs in with a
// browser and presses "Sync now" on the connection's page and on a linked
// account's page: the run's events arrive over the page event stream
// (/syncs/events, the session's SSE) as lines under the button, ending with a
// link to the run's page, which shows the run. The connection page and the
// account page link the connection's sync history; the dashboard lists the
// pages' links when something needs a look (checked in the sync module).
func TestSyncNowShowsLiveProgress(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Auto, Env: sandboxEnv(t, nil)})
	k := loadContract(t, inst)
	anon := newAPI(inst, k, false)
	email := newEmail("sync-live")
	register(t, anon, "Lin", email)
	a := anon.with(login(t, anon, email).AccessToken)
	conn := linkSandbox(t, a, "standard", true)
	waitForRun(t, a, conn, "link", 4*time.Minute)
	var accts accountListJSON
	a.get(t, "/api/v1/accounts?connection_id="+conn).Expect(t, http.StatusOK).JSON(t, &accts)
	if len(accts.Accounts) == 0 {
		t.Fatal("no linked account")
	}

	b := harness.NewBrowser(t)
	b.BaseURL = inst.BaseURL
	b.Navigate("/login")
	b.Fill(`form[action="/login"] input[name="email"]`, email)
	b.Fill(`form[action="/login"] input[name="password"]`, password)
	if status := b.Submit(`form[action="/login"] button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("login: status %d", status)
	}

	for _, page := range []string{"/connections/" + conn, "/accounts/" + accts.Accounts[0].ID} {
		if status := b.Navigate(page); status != http.StatusOK {
			t.Fatalf("%s: %d", page, status)
		}
		if !b.Has(`a[href="/syncs/connections/` + conn + `"]`) {
			t.Fatalf("%s does not link the sync history", page)
		}
		// The form must not be too soon for the interval: force it.
		evaluate[bool](t, b, `(function(){var f=document.querySelector('form[data-sync-progress]');
			var i=document.createElement('input');i.type='hidden';i.name='force';i.value='true';f.appendChild(i);return true;})()`)
		b.Click(`form[data-sync-progress] button[type="submit"]`)
		b.WaitVisible(`#sync-progress a[href*="/syncs/runs/"]`)
		text := b.Text("#sync-progress")
		if !strings.Contains(text, "Fetching the transactions") || !strings.Contains(text, "Transactions synced") || !strings.Contains(text, "See the run") {
			t.Fatalf("%s: the progress shows %q", page, text)
		}
		b.Click(`#sync-progress a[href*="/syncs/runs/"]`)
		b.WaitVisible(`tr.sync-run`)
		if !strings.Contains(b.Location(), "/syncs/runs/") || !strings.Contains(b.Text("main"), "Succeeded") {
			t.Fatalf("the run's page %s: %s", b.Location(), b.Text("main"))
		}
	}
	if errs := b.Console(); len(errs) > 0 {
		for _, e := range errs {
			if strings.Contains(strings.ToLower(e), "error") {
				t.Errorf("console: %s", e)
			}
		}
	}
}
