package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

type balanceHistoryJSON struct {
	AccountID       string  `json:"account_id"`
	ProviderBalance *string `json:"provider_balance"`
	LedgerBalance   string  `json:"ledger_balance"`
	BalanceDrift    *string `json:"balance_drift"`
	DriftRuns       int     `json:"drift_runs"`
	Days            []struct {
		Date            string  `json:"date"`
		ProviderBalance *string `json:"provider_balance"`
		LedgerBalance   *string `json:"ledger_balance"`
		BalanceDrift    *string `json:"balance_drift"`
		SyncID          *string `json:"sync_id"`
	} `json:"days"`
}

type runWithRestarts struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Trigger string `json:"trigger"`
	Status  string `json:"status"`
	Stats   struct {
		Added      int `json:"added"`
		Removed    int `json:"removed"`
		Restarts   int `json:"restarts"`
		Pages      int `json:"pages"`
		Duplicates int `json:"duplicates"`
	} `json:"stats"`
	Error *struct {
		Code string `json:"code"`
	} `json:"error"`
}

// TestSyncBalancesMutationAndImportRuns runs on both engines: after the link
// sync every account of the sandbox persona has today's provider and ledger
// snapshots, equal (GET /syncs/balances, checked against the contract); the
// bank then moves on (holds post or are cancelled, which the feed reports as
// removals) and its feed, cut into pages of 5, answers "mutation during
// pagination" once mid-way: the sync restarts from its starting cursor and ends
// with the bank's pending transactions exactly, no removal lost; an OFX upload
// is a sync run with trigger import (its sync_id listed by GET /syncs with the
// import's statistics), and a broken file a failed one.
func TestSyncBalancesMutationAndImportRuns(t *testing.T) {
	for _, engine := range []harness.Engine{harness.SQLite, harness.Postgres} {
		name := map[harness.Engine]string{harness.SQLite: "sqlite", harness.Postgres: "postgres"}[engine]
		t.Run(name, func(t *testing.T) {
			inst := start(t, harness.Options{Engine: engine, Env: sandboxEnv(t, nil)})
			k := loadContract(t, inst)
			anon := newAPI(inst, k, false)
			email := newEmail("sync-balances")
			register(t, anon, "Bea", email)
			a := anon.with(login(t, anon, email).AccessToken)
			conn := linkSandbox(t, a, "standard", true)
			if first := waitForRun(t, a, conn, "link", 4*time.Minute); first.Status != "succeeded" {
				t.Fatalf("link sync: %+v", first)
			}

			// Balances: today's snapshots agree with the account.
			var accts accountListJSON
			a.get(t, "/api/v1/accounts?connection_id="+conn).Expect(t, http.StatusOK).JSON(t, &accts)
			if len(accts.Accounts) == 0 {
				t.Fatal("the link sync made no account")
			}
			for _, acc := range accts.Accounts {
				var h balanceHistoryJSON
				a.get(t, "/api/v1/syncs/balances?account_id="+acc.ID).Expect(t, http.StatusOK).JSON(t, &h)
				if len(h.Days) != 1 || h.ProviderBalance == nil || h.LedgerBalance != acc.BalanceAmount || h.BalanceDrift != nil || h.DriftRuns != 0 {
					t.Fatalf("balances of %s (%s): %+v", acc.Name, acc.BalanceAmount, h)
				}
				d := h.Days[0]
				if d.ProviderBalance == nil || d.LedgerBalance == nil || *d.ProviderBalance != *d.LedgerBalance || d.BalanceDrift == nil || d.SyncID == nil {
					t.Fatalf("today's snapshot of %s: %+v", acc.Name, d)
				}
			}
			a.Raw(t, http.MethodGet, "/api/v1/syncs/balances", nil).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
			a.Raw(t, http.MethodGet, "/api/v1/syncs/balances?account_id="+accts.Accounts[0].ID+"&start_date=2026-02-30", nil).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
			a.get(t, "/api/v1/syncs/balances?account_id=5f0c8a52-7f7e-4a56-9d1e-0c3b8d2f8a11").ExpectProblem(t, http.StatusNotFound, "not_found")
			otherEmail := newEmail("sync-balances-other")
			register(t, anon, "Cy", otherEmail)
			other := anon.with(login(t, anon, otherEmail).AccessToken)
			other.get(t, "/api/v1/syncs/balances?account_id="+accts.Accounts[0].ID).ExpectProblem(t, http.StatusForbidden, "forbidden")

			// Mutation during pagination: restart from the starting cursor.
			a.Client.Post(t, "/sandbox/api/personas/standard/advance", map[string]any{"days": 3}).Expect(t, http.StatusOK)
			a.Client.Post(t, "/sandbox/api/personas/standard/faults", map[string]any{"mutation_during_pagination": 1, "page_size": 5}).Expect(t, http.StatusOK)
			var tx transactionSyncResult
			a.post(t, "/api/v1/transactions/syncs", map[string]any{"connection_id": conn, "force": true}).Expect(t, http.StatusCreated).JSON(t, &tx)
			var run runWithRestarts
			a.get(t, "/api/v1/syncs/"+tx.SyncID).Expect(t, http.StatusOK).JSON(t, &run)
			if run.Status != "succeeded" || run.Stats.Restarts != 1 || run.Stats.Pages < 2 || run.Stats.Removed == 0 {
				t.Fatalf("the sync through a mutation during pagination: %+v", run)
			}
			entries, pending, want := ledgerCounts(t, inst, conn)
			var bankPending int
			if err := inst.DB.NewRaw("SELECT count(*) FROM sandbox_transactions WHERE persona = 'standard' AND pending AND NOT removed").
				Scan(context.Background(), &bankPending); err != nil {
				t.Fatal(err)
			}
			if entries != want || pending != bankPending {
				t.Fatalf("after the restarted sync: %d entries (%d pending), facts say %d, the bank has %d pending: a removal was lost or a row duplicated",
					entries, pending, want, bankPending)
			}
			a.Client.Post(t, "/sandbox/api/personas/standard/faults", map[string]any{}).Expect(t, http.StatusOK)

			// OFX imports are runs with trigger import.
			var created struct {
				Connection connectionJSON `json:"connection"`
			}
			a.post(t, "/api/v1/connections", map[string]any{"provider": "ofx"}).Expect(t, http.StatusCreated).JSON(t, &created)
			ofx := created.Connection.ID
			var imp struct {
				importJSON
				SyncID *string `json:"sync_id"`
			}
			upload(t, a, ofx, "checking.ofx", ofxStatement("")).Expect(t, http.StatusCreated).JSON(t, &imp)
			if imp.SyncID == nil || imp.TransactionsAdded == 0 {
				t.Fatalf("import: %+v", imp)
			}
			upload(t, a, ofx, "broken.ofx", "OFXHEADER:100\nnot a statement").ExpectProblem(t, http.StatusUnprocessableEntity, "invalid_statement_file")
			var list struct {
				Syncs []runWithRestarts `json:"syncs"`
			}
			a.get(t, "/api/v1/syncs?connection_id="+ofx).Expect(t, http.StatusOK).JSON(t, &list)
			if len(list.Syncs) != 2 {
				t.Fatalf("import history: %+v", list.Syncs)
			}
			failed, ok := list.Syncs[0], list.Syncs[1]
			if ok.ID != *imp.SyncID || ok.Kind != "import" || ok.Trigger != "import" || ok.Status != "succeeded" || ok.Stats.Added != imp.TransactionsAdded {
				t.Fatalf("the import's run: %+v (import %+v)", ok, imp)
			}
			if failed.Kind != "import" || failed.Status != "failed" || failed.Error == nil || failed.Error.Code != "invalid_statement_file" {
				t.Fatalf("the broken file's run: %+v", failed)
			}
			var one runWithRestarts
			a.get(t, "/api/v1/syncs/"+*imp.SyncID).Expect(t, http.StatusOK).JSON(t, &one)
			if one.ID != ok.ID {
				t.Fatalf("GET /syncs/{id}: %+v", one)
			}
		})
	}
}
