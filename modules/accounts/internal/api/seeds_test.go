package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

// TestSeedExamples replays the account examples of the three seed documents in
// shared/seeds against Kontor, in Kontor's paths and fields: Dashtam's account list
// and detail (GET /accounts with active_only and account_type, GET /accounts/{id};
// its GET /providers/{id}/accounts belongs to the connections module), UBU
// Finance's list filters, create with an initial deposit (our opening_balance),
// update (our PATCH), transactions and close, and duitmyself's create, update,
// archive (our PATCH is_archived) and upsert by external id.
func TestSeedExamples(t *testing.T) {
	k := start(t, harness.Auto)
	u := k.newUser(t, "seed")

	t.Run("dashtam", func(t *testing.T) {
		k.linkedAccount(t, u, "12345678", "brokerage", "25000.50")
		k.linkedAccount(t, u, "87654321", "roth_ira", "50000.00")
		var l accountList
		u.get(t, "/accounts?manual=false").Expect(t, http.StatusOK).JSON(t, &l)
		if l.TotalCount != 2 || l.ActiveCount != 2 || l.TotalBalanceByCurrency["USD"] != "75000.50" {
			t.Fatalf("GET /accounts: %+v", l)
		}
		for _, a := range l.Accounts {
			if a.ConnectionID == nil || *a.ConnectionID != "123e4567-e89b-12d3-a456-426614174000" || !strings.HasPrefix(a.AccountNumberMasked, "****") ||
				a.BalanceCurrency != "USD" || !a.IsActive || !a.IsInvestment || a.IsBank || a.IsCredit {
				t.Fatalf("Dashtam fields: %+v", a)
			}
		}
		u.get(t, "/accounts?active_only=true&account_type=roth_ira&manual=false").Expect(t, http.StatusOK).JSON(t, &l)
		if l.TotalCount != 1 || !l.Accounts[0].IsRetirement || l.Accounts[0].AccountNumberMasked != "****4321" || l.Accounts[0].BalanceAmount != "50000.00" {
			t.Fatalf("GET /accounts?active_only&account_type: %+v", l)
		}
		id := l.Accounts[0].ID
		var a account
		u.get(t, "/accounts/"+id).Expect(t, http.StatusOK).JSON(t, &a)
		if a.ID != id || a.AvailableBalanceAmount != nil {
			t.Fatalf("GET /accounts/{id}: %+v", a)
		}
		problem(t, u.get(t, "/accounts/550e8400-e29b-41d4-a716-446655440000"), http.StatusNotFound, "not_found")
	})

	t.Run("ubu", func(t *testing.T) {
		// POST /api/accounts {"account_type":"savings","currency":"RWF","initial_deposit":1000.00,"metadata":{...}}
		res := u.post(t, "/accounts", map[string]any{"name": "Savings", "account_type": "savings", "currency": "RWF", "opening_balance": 1000.00,
			"metadata": map[string]string{"branch_code": "BR-001", "purpose": "daily expenses"}}).Expect(t, http.StatusCreated)
		var a account
		res.JSON(t, &a)
		if a.BalanceAmount != "1000" || a.Currency != "RWF" || a.Status != "active" || a.Metadata["purpose"] != "daily expenses" || !strings.HasPrefix(a.AccountNumber, "ACC-") {
			t.Fatalf("create: %+v", a)
		}
		// user_id is not a field: the owner is the caller.
		problem(t, u.post(t, "/accounts", map[string]any{"name": "x", "account_type": "savings", "user_id": "550e8400-e29b-41d4-a716-446655440010", "currency": "RWF"}), http.StatusBadRequest, "unknown_field")
		// GET /api/accounts?page=1&limit=10 with UBU's filters.
		var l accountList
		u.get(t, "/accounts?limit=10&status=active&currency=RWF&min_balance=1000&max_balance=1000.00&created_after=2025-01-01T00:00:00Z&created_before=2999-01-01").Expect(t, http.StatusOK).JSON(t, &l)
		if l.TotalCount != 1 || l.Accounts[0].ID != a.ID {
			t.Fatalf("list filters: %+v", l)
		}
		// PUT {"status":"inactive","metadata":{...}} is our merge patch.
		u.do(t, http.MethodPatch, "/accounts/"+a.ID, map[string]any{"status": "inactive", "metadata": map[string]string{"branch_code": "BR-002", "purpose": "savings"}}).Expect(t, http.StatusOK).JSON(t, &a)
		if a.Status != "inactive" || a.Metadata["branch_code"] != "BR-002" {
			t.Fatalf("update: %+v", a)
		}
		var txs transactionList
		u.get(t, "/accounts/"+a.ID+"/transactions?limit=10&start_date=2000-01-01&end_date=2999-12-31&transaction_type=deposit").Expect(t, http.StatusOK).JSON(t, &txs)
		if len(txs.Transactions) != 1 || txs.Transactions[0].Amount != "1000" || txs.Transactions[0].Currency != "RWF" {
			t.Fatalf("transactions: %+v", txs)
		}
		p := problem(t, u.do(t, http.MethodDelete, "/accounts/"+a.ID, nil), http.StatusConflict, "account_not_empty")
		if p.Details["current_balance"] != "1000" || p.Details["account_id"] != a.ID {
			t.Fatalf("close refusal details: %v", p.Details)
		}
		u.post(t, "/accounts/"+a.ID+"/transactions", map[string]any{"type": "withdrawal", "amount": 1000}).Expect(t, http.StatusCreated)
		var closed map[string]any
		u.do(t, http.MethodDelete, "/accounts/"+a.ID, nil).Expect(t, http.StatusOK).JSON(t, &closed)
		if closed["status"] != "closed" || closed["id"] != a.ID || closed["closed_at"] == nil {
			t.Fatalf("close: %v", closed)
		}
	})

	t.Run("duitmyself", func(t *testing.T) {
		// POST /v1/accounts AccountCreate: type bank → checking, balance → opening_balance.
		create := map[string]any{"external_id": "gopay-1", "name": "GoPay", "account_type": "ewallet", "subtype": "gopay", "opening_balance": 250000,
			"currency": "IDR", "color": "#00AA13", "icon": "wallet", "notes": "daily", "sort_order": 1, "account_number": "0812-3456-7890",
			"custom_fields": []map[string]string{{"label": "Phone", "value": "0812"}}, "is_favourite": true, "show_in_dashboard": true, "is_hidden": false}
		res := u.post(t, "/accounts", create, "Idempotency-Key: demo-post").Expect(t, http.StatusCreated)
		var a account
		res.JSON(t, &a)
		if a.BalanceAmount != "250000.00" || a.AccountNumberMasked != "****7890" || *a.ExternalID != "gopay-1" {
			t.Fatalf("create: %+v", a)
		}
		if res.Header.Get("X-Request-Id") == "" {
			t.Fatal("no X-Request-Id")
		}
		card := u.post(t, "/accounts", map[string]any{"name": "BCA card", "account_type": "credit_card", "opening_balance": "-1500000", "currency": "IDR", "linked_account_id": a.ID}).Expect(t, http.StatusCreated)
		var c account
		card.JSON(t, &c)
		if !c.IsLiability || c.BalanceAmount != "-1500000.00" {
			t.Fatalf("liability: %+v", c)
		}
		// PATCH /v1/accounts/{id} AccountUpdate, with externalId nullable.
		u.do(t, http.MethodPatch, "/accounts/"+a.ID, map[string]any{"name": "GoPay main", "external_id": nil, "balance_amount": 200000}, "Idempotency-Key: demo-patch").Expect(t, http.StatusOK).JSON(t, &a)
		if a.Name != "GoPay main" || a.ExternalID != nil || a.BalanceAmount != "200000.00" {
			t.Fatalf("patch: %+v", a)
		}
		// DELETE /v1/accounts/{id} archives there; archiving is our PATCH is_archived.
		u.do(t, http.MethodPatch, "/accounts/"+a.ID, map[string]any{"is_archived": true}).Expect(t, http.StatusOK).JSON(t, &a)
		if !a.IsArchived || a.ArchivedAt == nil {
			t.Fatalf("archive: %+v", a)
		}
		// POST /v1/accounts/upsert AccountUpsert by external id.
		up := map[string]any{"external_id": "ovo-1", "name": "OVO", "account_type": "ewallet", "balance_amount": 50000, "currency": "IDR"}
		var r struct {
			Operation string  `json:"operation"`
			Account   account `json:"account"`
		}
		u.post(t, "/accounts/upsert", up, "Idempotency-Key: demo-upsert-1").Expect(t, http.StatusCreated).JSON(t, &r)
		if r.Operation != "created" || r.Account.BalanceAmount != "50000.00" {
			t.Fatalf("upsert create: %+v", r)
		}
		up["balance_amount"] = 65000
		u.post(t, "/accounts/upsert", up, "Idempotency-Key: demo-upsert-2").Expect(t, http.StatusOK).JSON(t, &r)
		if r.Operation != "updated" || r.Account.BalanceAmount != "65000.00" {
			t.Fatalf("upsert update: %+v", r)
		}
		// GET /v1/accounts lists with a cursor and has_more.
		var l accountList
		u.get(t, "/accounts?limit=1").Expect(t, http.StatusOK).JSON(t, &l)
		if !l.HasMore || l.NextCursor == nil {
			t.Fatalf("paging: %+v", l)
		}
	})
}
