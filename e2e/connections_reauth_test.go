package e2e

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// connectionLedger is what the JSON API shows of a connection's accounts and their
// transactions: the account ids by provider account id, and every transaction's
// id with its account and provider transaction id.
type connectionLedger struct {
	accounts     map[string]string // provider account id → Kontor account id
	transactions []ledgerRow
}

type ledgerRow struct {
	ID, AccountID, ProviderID string
}

// readConnectionLedger lists the connection's accounts and, page by page, every
// transaction of each of them over the JSON API.
func readConnectionLedger(t *testing.T, a *api, connectionID string) connectionLedger {
	t.Helper()
	var list accountListJSON
	a.get(t, "/api/v1/connections/"+connectionID+"/accounts?limit=200&include_archived=true").Expect(t, http.StatusOK).JSON(t, &list)
	if list.TotalCount != len(list.Accounts) {
		t.Fatalf("the connection has %d accounts, the page %d", list.TotalCount, len(list.Accounts))
	}
	l := connectionLedger{accounts: map[string]string{}}
	for _, acc := range list.Accounts {
		if prev, dup := l.accounts[acc.ProviderAccountID]; dup {
			t.Fatalf("provider account %s is mirrored twice: %s and %s", acc.ProviderAccountID, prev, acc.ID)
		}
		l.accounts[acc.ProviderAccountID] = acc.ID
		cursor := ""
		for page := 0; ; page++ {
			if page > 100 {
				t.Fatalf("account %s: more than 100 pages of transactions", acc.ID)
			}
			q := url.Values{"limit": {"200"}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			var body struct {
				Transactions []struct {
					ID                    string  `json:"id"`
					ProviderTransactionID *string `json:"provider_transaction_id"`
				} `json:"transactions"`
				NextCursor *string `json:"next_cursor"`
				HasMore    bool    `json:"has_more"`
			}
			a.get(t, "/api/v1/accounts/"+acc.ID+"/transactions?"+q.Encode()).Expect(t, http.StatusOK).JSON(t, &body)
			for _, tx := range body.Transactions {
				row := ledgerRow{ID: tx.ID, AccountID: acc.ID}
				if tx.ProviderTransactionID != nil {
					row.ProviderID = *tx.ProviderTransactionID
				}
				l.transactions = append(l.transactions, row)
			}
			if !body.HasMore || body.NextCursor == nil {
				break
			}
			cursor = *body.NextCursor
		}
	}
	sort.Slice(l.transactions, func(i, j int) bool { return l.transactions[i].ID < l.transactions[j].ID })
	return l
}

// checkNoDuplicates fails when a transaction id, or a provider transaction id on
// one account, appears twice.
func (l connectionLedger) checkNoDuplicates(t *testing.T, when string) {
	t.Helper()
	ids, providerIDs := map[string]bool{}, map[string]bool{}
	for _, tx := range l.transactions {
		if ids[tx.ID] {
			t.Fatalf("%s: transaction %s listed twice", when, tx.ID)
		}
		ids[tx.ID] = true
		if tx.ProviderID == "" {
			continue
		}
		key := tx.AccountID + "|" + tx.ProviderID
		if providerIDs[key] {
			t.Fatalf("%s: provider transaction %s is in account %s twice", when, tx.ProviderID, tx.AccountID)
		}
		providerIDs[key] = true
	}
}

// TestConnectionsRevokedPersonaReauthorize: the sandbox persona withdraws its
// consent; the next sync fails as an auth error and the connection needs
// reauthorization, which its page says with the reason and a Reconnect button
// (Chromium). Reconnecting goes through the bank's consent page and brings the same
// connection back to active with the same accounts (same ids); a sync afterwards
// adds nothing, and no account or transaction is duplicated (counted over the
// JSON API before and after).
func TestConnectionsRevokedPersonaReauthorize(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Postgres, Env: sandboxEnv(t, nil)})
	k := loadContract(t, inst)
	anon := newAPI(inst, k, false)
	email := newEmail("reauth")
	register(t, anon, "Rea", email)
	a := anon.with(login(t, anon, email).AccessToken)

	conn := linkSandbox(t, a, "standard", false)
	var acc accountSyncResult
	a.post(t, "/api/v1/accounts/syncs", map[string]any{"connection_id": conn}).Expect(t, http.StatusCreated).JSON(t, &acc)
	if acc.Status != "succeeded" {
		t.Fatalf("account sync: %+v", acc)
	}
	var tx transactionSyncResult
	a.post(t, "/api/v1/transactions/syncs", map[string]any{"connection_id": conn, "force": true}).Expect(t, http.StatusCreated).JSON(t, &tx)
	if tx.Status != "succeeded" {
		t.Fatalf("first transaction sync: %+v", tx)
	}
	before := readConnectionLedger(t, a, conn)
	before.checkNoDuplicates(t, "before the revocation")
	if len(before.accounts) != 5 || len(before.transactions) == 0 {
		t.Fatalf("before: %d accounts, %d transactions; want the standard persona's 5 accounts with history", len(before.accounts), len(before.transactions))
	}

	// The bank withdraws consent; the next sync fails as an auth error.
	a.Client.Post(t, "/sandbox/api/personas/standard/revoke", map[string]any{}).Expect(t, http.StatusOK)
	a.post(t, "/api/v1/transactions/syncs", map[string]any{"connection_id": conn, "force": true}).Expect(t, http.StatusCreated).JSON(t, &tx)
	if tx.Status != "failed" {
		t.Fatalf("a sync after the revocation: %+v", tx)
	}
	var broken struct {
		Status       string `json:"status"`
		StatusReason *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Action  string `json:"action"`
		} `json:"status_reason"`
	}
	a.get(t, "/api/v1/connections/"+conn).Expect(t, http.StatusOK).JSON(t, &broken)
	if broken.Status != "needs_reauth" || broken.StatusReason == nil || broken.StatusReason.Action != "reauthorize" ||
		(broken.StatusReason.Code != "auth_revoked" && broken.StatusReason.Code != "auth_expired") || broken.StatusReason.Message == "" {
		t.Fatalf("after the revocation: %+v %+v", broken, broken.StatusReason)
	}
	a.post(t, "/api/v1/transactions/syncs", map[string]any{"connection_id": conn, "force": true}).ExpectProblem(t, http.StatusConflict, "connection_not_active")

	// The connection's page says so, with the reason and the button that mends it.
	b := harness.NewBrowser(t)
	b.BaseURL = inst.BaseURL
	logIn(t, b, email, password)
	b.WaitVisible(logoutButton)
	b.Navigate("/connections/" + conn)
	if !b.Has(`.connection-status [data-status="needs_reauth"]`) {
		t.Fatalf("the connection page's status: %q", b.Text(".connection-status"))
	}
	accountsExpectText(t, b, ".connection-status", "Needs you to reconnect")
	// The provider's words, with a capital first letter.
	accountsExpectText(t, b, ".connection-reason", broken.StatusReason.Message[1:])
	if n := strings.Count(b.HTML(), `class="connection-account"`); n != 5 {
		t.Fatalf("the broken connection's page lists %d accounts, want 5", n)
	}
	b.KeepScreenshot("needs-reauth")
	b.Navigate("/connections")
	accountsExpectText(t, b, ".connection-row", "Needs you to reconnect")
	b.Navigate("/connections/" + conn)

	// Reconnect: the bank's consent page, then back on the same connection's page.
	accountsExpectText(t, b, ".connection-fix__button", "Reconnect")
	accountsSubmit(t, b, `form.connection-fix button[type="submit"]`)
	b.WaitVisible(`button[name="decision"][value="allow"]`)
	if !strings.Contains(b.Location(), "/sandbox/oauth/authorize") {
		t.Fatalf("not at the bank's consent page: %s", b.Location())
	}
	accountsChoose(t, b, `select[name="persona"]`, "standard")
	accountsSubmit(t, b, `button[name="decision"][value="allow"]`)
	if !strings.HasSuffix(strings.SplitN(b.Location(), "?", 2)[0], "/connections/"+conn) {
		t.Fatalf("after the consent the browser is at %s, not the connection's page", b.Location())
	}
	accountsExpectText(t, b, ".flash--success .flash__text", "Linked")
	accountsExpectText(t, b, ".connection-status", "Working")
	if b.Has(".connection-reason") && strings.TrimSpace(b.Text(".connection-reason")) != "" {
		t.Fatalf("a repaired connection still gives a reason: %q", b.Text(".connection-reason"))
	}
	if n := strings.Count(b.HTML(), `class="connection-account"`); n != 5 {
		t.Fatalf("the repaired connection's page lists %d accounts, want 5", n)
	}
	accountsCheckConsole(t, b)

	var repaired connectionJSON
	a.get(t, "/api/v1/connections/"+conn).Expect(t, http.StatusOK).JSON(t, &repaired)
	if repaired.Status != "active" || repaired.AccountsCount != 5 {
		t.Fatalf("after reauthorization: %+v", repaired)
	}
	var all struct {
		Connections []connectionJSON `json:"connections"`
	}
	a.get(t, "/api/v1/connections").Expect(t, http.StatusOK).JSON(t, &all)
	if len(all.Connections) != 1 || all.Connections[0].ID != conn {
		t.Fatalf("reauthorization made another connection: %+v", all.Connections)
	}

	// Syncs after the repair work and duplicate nothing. The last run failed, so a
	// manual sync need not wait the interval (no force).
	waitIdle(t, a, conn, 2*time.Minute)
	a.post(t, "/api/v1/accounts/syncs", map[string]any{"connection_id": conn}).Expect(t, http.StatusCreated).JSON(t, &acc)
	if acc.Status != "succeeded" || acc.Created != 0 {
		t.Fatalf("account sync after the repair: %+v", acc)
	}
	a.post(t, "/api/v1/transactions/syncs", map[string]any{"connection_id": conn, "force": true}).Expect(t, http.StatusCreated).JSON(t, &tx)
	if tx.Status != "succeeded" || tx.Added != 0 || tx.Removed != 0 {
		t.Fatalf("transaction sync after the repair: %+v", tx)
	}
	after := readConnectionLedger(t, a, conn)
	after.checkNoDuplicates(t, "after the repair")
	if len(after.accounts) != len(before.accounts) {
		t.Fatalf("%d accounts before, %d after", len(before.accounts), len(after.accounts))
	}
	for pid, id := range before.accounts {
		if after.accounts[pid] != id {
			t.Fatalf("provider account %s was account %s, is now %q", pid, id, after.accounts[pid])
		}
	}
	if len(after.transactions) != len(before.transactions) {
		t.Fatalf("%d transactions before, %d after", len(before.transactions), len(after.transactions))
	}
	for i := range before.transactions {
		if before.transactions[i] != after.transactions[i] {
			t.Fatalf("transaction %+v became %+v", before.transactions[i], after.transactions[i])
		}
	}
	if entries, _, want := ledgerCounts(t, inst, conn); entries != want {
		t.Fatalf("after the repair: %d ledger entries for %d distinct provider transactions", entries, want)
	}
	t.Logf("revoked and reauthorized: %d accounts, %d transactions, unchanged", len(after.accounts), len(after.transactions))
}

// waitIdle waits until no sync run of the connection is running (a reauthorized
// connection may be synced in the background at once).
func waitIdle(t *testing.T, a *api, connectionID string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var list struct {
			Syncs []syncRunJSON `json:"syncs"`
		}
		a.get(t, "/api/v1/syncs?connection_id="+connectionID).Expect(t, http.StatusOK).JSON(t, &list)
		running := false
		for _, r := range list.Syncs {
			running = running || r.Status == "running"
		}
		if !running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a sync of %s still runs after %s", connectionID, limit)
		}
		time.Sleep(time.Second)
	}
}
