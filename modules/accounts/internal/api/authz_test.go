package api_test

import (
	"net/http"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

// TestAuthorizationMatrix sends user B, with a JWT and with an API key, against every
// account and transaction route of user A's account: each answers 403 forbidden,
// never touches A's data, and the same routes answer 404 for an account that does
// not exist.
func TestAuthorizationMatrix(t *testing.T) {
	k := start(t, harness.Auto)
	alice := k.newUser(t, "alice")
	aAcct := alice.createAccount(t, `{"name":"Alice main","account_type":"checking","currency":"USD","opening_balance":"100","external_id":"a-1"}`)
	aOther := alice.createAccount(t, `{"name":"Alice other","account_type":"savings","currency":"USD"}`)
	bob := k.newUser(t, "bob")
	bAcct := bob.createAccount(t, `{"name":"Bob main","account_type":"checking","currency":"USD","opening_balance":"100"}`)
	missing := "01000000-0000-7000-8000-000000000000"

	routes := []struct {
		name   string
		method string
		path   func(id string) string
		body   func(id string) any
	}{
		{"get account", http.MethodGet, func(id string) string { return "/accounts/" + id }, nil},
		{"patch account", http.MethodPatch, func(id string) string { return "/accounts/" + id }, func(string) any { return map[string]any{"name": "Mine now"} }},
		{"archive account", http.MethodPatch, func(id string) string { return "/accounts/" + id }, func(string) any { return map[string]any{"is_archived": true} }},
		{"adjust balance", http.MethodPatch, func(id string) string { return "/accounts/" + id }, func(string) any { return map[string]any{"balance_amount": "0"} }},
		{"close account", http.MethodDelete, func(id string) string { return "/accounts/" + id }, nil},
		{"balance history", http.MethodGet, func(id string) string { return "/accounts/" + id + "/balance-history" }, nil},
		{"list transactions", http.MethodGet, func(id string) string { return "/accounts/" + id + "/transactions" }, nil},
		{"list transactions across accounts", http.MethodGet, func(id string) string { return "/transactions?account_id=" + id }, nil},
		{"record transaction", http.MethodPost, func(id string) string { return "/accounts/" + id + "/transactions" }, func(string) any { return map[string]any{"type": "withdrawal", "amount": "50"} }},
		{"transfer from", http.MethodPost, func(string) string { return "/transfers" }, func(id string) any {
			return map[string]any{"source_account_id": id, "destination_account_id": bAcct.ID, "amount": "50"}
		}},
		{"transfer to", http.MethodPost, func(string) string { return "/transfers" }, func(id string) any {
			return map[string]any{"source_account_id": bAcct.ID, "destination_account_id": id, "amount": "50"}
		}},
	}
	for _, cred := range []struct {
		name string
		u    *user
	}{{"jwt", bob}, {"api_key", bob.withAPIKey(t)}} {
		for _, r := range routes {
			t.Run(cred.name+"/"+r.name, func(t *testing.T) {
				var body any
				if r.body != nil {
					body = r.body(aAcct.ID)
				}
				problem(t, cred.u.do(t, r.method, r.path(aAcct.ID), body), http.StatusForbidden, "forbidden")
				if r.body != nil {
					body = r.body(missing)
				}
				problem(t, cred.u.do(t, r.method, r.path(missing), body), http.StatusNotFound, "not_found")
			})
		}
		t.Run(cred.name+"/lists show only own accounts", func(t *testing.T) {
			var l accountList
			cred.u.get(t, "/accounts?include_archived=true").Expect(t, http.StatusOK).JSON(t, &l)
			for _, a := range l.Accounts {
				if a.ID == aAcct.ID || a.ID == aOther.ID {
					t.Fatalf("bob sees alice's account %s", a.Name)
				}
			}
			var txs transactionList
			cred.u.get(t, "/transactions").Expect(t, http.StatusOK).JSON(t, &txs)
			for _, tx := range txs.Transactions {
				if tx.AccountID != bAcct.ID {
					t.Fatalf("bob sees a transaction of %s", tx.AccountID)
				}
			}
		})
		t.Run(cred.name+"/upsert by alice's external id makes bob's own account", func(t *testing.T) {
			res := cred.u.post(t, "/accounts/upsert", map[string]any{"external_id": "a-1", "name": "Bob's a-1", "account_type": "cash", "currency": "USD"})
			var r struct {
				Account account `json:"account"`
			}
			res.JSON(t, &r)
			if (res.Status != http.StatusCreated && res.Status != http.StatusOK) || r.Account.ID == aAcct.ID {
				t.Fatalf("upsert by bob: %d %s", res.Status, res.Body)
			}
		})
	}
	// Alice's accounts are untouched.
	a := alice.account(t, aAcct.ID)
	if a.Name != "Alice main" || a.BalanceAmount != "100.00" || a.Version != 1 || a.IsArchived || a.Status != "active" {
		t.Fatalf("alice's account changed: %+v", a)
	}
	if o := alice.account(t, aOther.ID); o.BalanceAmount != "0.00" {
		t.Fatalf("alice's other account changed: %+v", o)
	}
	if b := bob.account(t, bAcct.ID); b.BalanceAmount != "100.00" {
		t.Fatalf("a refused transfer moved bob's money: %+v", b)
	}
}
