package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// pagesSyncSeed gives the pages test's person a linked sandbox connection and
// an OFX connection with one import, and returns the sync pages they reach:
// the history, each connection's page and sync page, a run's page, a linked
// account's page (with its "Sync now") and the suggestions page. The instance
// must serve the sandbox (sandboxEnv).
func pagesSyncSeed(t *testing.T, inst *harness.Instance, email, pass string) []string {
	t.Helper()
	anon := newAPI(inst, loadContract(t, inst), false)
	var p tokenPair
	anon.post(t, "/api/v1/auth/login", map[string]any{"email": email, "password": pass}).Expect(t, http.StatusOK).JSON(t, &p)
	a := anon.with(p.AccessToken)
	conn := linkSandbox(t, a, "standard", true)
	run := waitForRun(t, a, conn, "link", 4*time.Minute)
	var accts accountListJSON
	a.get(t, "/api/v1/accounts?connection_id="+conn).Expect(t, http.StatusOK).JSON(t, &accts)
	var created struct {
		Connection connectionJSON `json:"connection"`
	}
	a.post(t, "/api/v1/connections", map[string]any{"provider": "ofx", "alias": "Statement files"}).Expect(t, http.StatusCreated).JSON(t, &created)
	upload(t, a, created.Connection.ID, "checking.ofx", ofxStatement("")).Expect(t, http.StatusCreated)
	pages := []string{"/syncs", "/syncs/suggestions", "/syncs/runs/" + run.ID, "/connections/" + conn, "/syncs/connections/" + conn,
		"/connections/" + created.Connection.ID, "/syncs/connections/" + created.Connection.ID}
	if len(accts.Accounts) > 0 {
		pages = append(pages, "/accounts/"+accts.Accounts[0].ID)
	}
	return pages
}
