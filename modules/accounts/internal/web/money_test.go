package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

func TestRecordTransactionForm(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	ada := newPerson(t, inst, "Ada")
	a := ada.createAccount(t, map[string]any{"name": "Everyday", "account_type": "checking", "currency": "EUR", "opening_balance": "100.00", "overdraft_limit": "20"})
	path := "/accounts/" + a.ID + "/transactions/new"

	page := ada.page(t, path)
	contains(t, page, "Record a transaction", "Everyday", "100.00 EUR", `action="`+path+`"`, `<option value="deposit" selected>Deposit (money in)</option>`,
		`<option value="withdrawal">Withdrawal (money out)</option>`, `<option value="adjustment">Adjustment (signed amount)</option>`,
		"Amount (EUR)", `type="date"`, "Leave it empty to book it now.")
	lacks(t, page, `value="transfer_in"`, `value="transfer_out"`)
	sameFields(t, page, path, "type", "amount", "description", "counterparty", "booked_at")
	contains(t, ada.page(t, path+"?type=withdrawal&amount=100.00"), `<option value="withdrawal" selected>`, `value="100.00"`)

	t.Run("invalid fields", func(t *testing.T) {
		res := ada.post(t, path, url.Values{"type": {"deposit"}, "amount": {"-5"}, "description": {"Gift"}, "booked_at": {"yesterday"}})
		res.Expect(t, http.StatusUnprocessableEntity)
		res.ExpectPage(t)
		contains(t, res.Text(), "Please fix 2 problems", "Amount: must be a positive amount; the type sets the sign.",
			"Date: must be an RFC 3339 timestamp", `value="-5"`, `value="Gift"`)
		res = ada.post(t, path, url.Values{"type": {"deposit"}})
		res.Expect(t, http.StatusUnprocessableEntity)
		contains(t, res.Text(), "Amount: is required.")
	})

	t.Run("insufficient funds in words", func(t *testing.T) {
		res := ada.post(t, path, url.Values{"type": {"withdrawal"}, "amount": {"150.00"}})
		res.Expect(t, http.StatusUnprocessableEntity)
		res.ExpectPage(t)
		contains(t, res.Text(), "The account has 120.00 EUR available (balance plus overdraft limit); 150.00 EUR is more than that.",
			`id="field-amount-error"`, `value="150.00"`, `<option value="withdrawal" selected>`)
		if got := ada.account(t, a.ID).Balance; got != "100.00" {
			t.Errorf("balance %s after a refused withdrawal", got)
		}
	})

	t.Run("recorded", func(t *testing.T) {
		res := ada.post(t, path, url.Values{"type": {"deposit"}, "amount": {"50"}, "description": {"Birthday"}, "counterparty": {"Grandma"}, "booked_at": {"2025-02-01"}})
		page := ada.follow(t, res, "/accounts/"+a.ID)
		contains(t, page, "Recorded: Deposit of 50.00 EUR. The balance is now 150.00 EUR.", "Birthday", "Grandma", "1 Feb 2025", "50.00 EUR")
		res = ada.post(t, path, url.Values{"type": {"adjustment"}, "amount": {"-10"}})
		contains(t, ada.follow(t, res, ""), "Recorded: Adjustment of −10.00 EUR. The balance is now 140.00 EUR.")
	})

	t.Run("closed account", func(t *testing.T) {
		c := ada.createAccount(t, map[string]any{"name": "Gone", "account_type": "savings", "currency": "EUR"})
		ada.follow(t, ada.post(t, "/accounts/"+c.ID+"/close", nil), "")
		page := ada.page(t, "/accounts/"+c.ID+"/transactions/new")
		contains(t, page, "This account is closed and takes no new transactions.")
		lacks(t, page, `<form method="post" action="/accounts/`+c.ID+`/transactions/new"`)
		res := ada.post(t, "/accounts/"+c.ID+"/transactions/new", url.Values{"type": {"deposit"}, "amount": {"5"}})
		res.Expect(t, http.StatusConflict)
		res.ExpectPage(t)
		contains(t, res.Text(), "The account is closed and takes no new transactions.")
	})
}

func TestTransferForm(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	ada := newPerson(t, inst, "Ada")

	contains(t, ada.page(t, "/transfers/new"), "A transfer needs two open accounts", `href="/accounts/new"`)

	from := ada.createAccount(t, map[string]any{"name": "Everyday", "account_type": "checking", "currency": "EUR", "opening_balance": "100.00"})
	to := ada.createAccount(t, map[string]any{"name": "Savings", "account_type": "savings", "currency": "EUR"})
	usd := ada.createAccount(t, map[string]any{"name": "Dollars", "account_type": "checking", "currency": "USD"})
	closed := ada.createAccount(t, map[string]any{"name": "Closed one", "account_type": "savings", "currency": "EUR"})
	ada.follow(t, ada.post(t, "/accounts/"+closed.ID+"/close", nil), "")

	page := ada.page(t, "/transfers/new?from="+from.ID)
	contains(t, page, `<form method="post" action="/transfers/new"`, `<option value="`+from.ID+`" selected>Everyday · 100.00 EUR</option>`,
		`<option value="`+to.ID+`">Savings · 0.00 EUR</option>`, "Dollars · 0.00 USD")
	lacks(t, page, "Closed one")
	sameFields(t, page, "/transfers/new", "source_account_id", "destination_account_id", "amount", "description", "booked_at")

	t.Run("invalid fields", func(t *testing.T) {
		res := ada.post(t, "/transfers/new", url.Values{"source_account_id": {from.ID}, "destination_account_id": {from.ID}, "amount": {"0"}})
		res.Expect(t, http.StatusUnprocessableEntity)
		res.ExpectPage(t)
		contains(t, res.Text(), "To: must differ from “From”.", "Amount: must be a positive amount.", `<option value="`+from.ID+`" selected>`)
		res = ada.post(t, "/transfers/new", url.Values{})
		res.Expect(t, http.StatusUnprocessableEntity)
		contains(t, res.Text(), "From: is required.", "To: is required.", "Amount: is required.")
	})

	t.Run("currency mismatch explained", func(t *testing.T) {
		res := ada.post(t, "/transfers/new", url.Values{"source_account_id": {from.ID}, "destination_account_id": {usd.ID}, "amount": {"10"}})
		res.Expect(t, http.StatusUnprocessableEntity)
		res.ExpectPage(t)
		contains(t, res.Text(), "The source account is kept in EUR and the destination in USD; a transfer needs one currency.", `id="field-destination_account_id-error"`)
	})

	t.Run("insufficient funds", func(t *testing.T) {
		res := ada.post(t, "/transfers/new", url.Values{"source_account_id": {from.ID}, "destination_account_id": {to.ID}, "amount": {"500"}})
		res.Expect(t, http.StatusUnprocessableEntity)
		contains(t, res.Text(), "The account has 100.00 EUR available", `value="500"`)
	})

	t.Run("closed destination", func(t *testing.T) {
		res := ada.post(t, "/transfers/new", url.Values{"source_account_id": {from.ID}, "destination_account_id": {closed.ID}, "amount": {"5"}})
		res.Expect(t, http.StatusConflict)
		contains(t, res.Text(), "The account is closed and takes no new transactions.")
	})

	t.Run("moved", func(t *testing.T) {
		res := ada.post(t, "/transfers/new", url.Values{"source_account_id": {from.ID}, "destination_account_id": {to.ID}, "amount": {"40"}, "description": {"Saving up"}})
		page := ada.follow(t, res, "/accounts/"+from.ID)
		contains(t, page, "Moved 40.00 EUR from “Everyday” to “Savings”. “Everyday” now holds 60.00 EUR.", "Saving up", "−40.00 EUR", "Transfer out")
		contains(t, ada.page(t, "/accounts/"+to.ID), "Saving up", "40.00 EUR", "Transfer in", "40.00 EUR")
		if ada.account(t, from.ID).Balance != "60.00" || ada.account(t, to.ID).Balance != "40.00" {
			t.Error("the balances did not move")
		}
	})
}

func TestCloseAccount(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	ada := newPerson(t, inst, "Ada")
	a := ada.createAccount(t, map[string]any{"name": "Everyday", "account_type": "checking", "currency": "EUR", "opening_balance": "120.00"})
	card := ada.createAccount(t, map[string]any{"name": "Visa", "account_type": "credit_card", "currency": "EUR", "opening_balance": "-35.50"})
	path := "/accounts/" + a.ID + "/close"

	page := ada.page(t, path)
	contains(t, page, "Close “Everyday”", "Closing is final.", "120.00 EUR", `action="`+path+`"`, "Close account")
	sameFields(t, page, path)

	res := ada.post(t, path, nil)
	res.Expect(t, http.StatusConflict)
	res.ExpectPage(t)
	page = res.Text()
	contains(t, page, "The account was not closed.", "This account still holds 120.00 EUR. Move or withdraw it, then close the account.",
		`href="/transfers/new?from=`+a.ID+`&amount=120.00"`, `href="/accounts/`+a.ID+`/transactions/new?type=withdrawal&amount=120.00"`)
	lacks(t, page, `action="`+path+`"`)
	if got := ada.account(t, a.ID).Status; got != "active" {
		t.Errorf("status %s after a refused close", got)
	}

	res = ada.post(t, "/accounts/"+card.ID+"/close", nil)
	res.Expect(t, http.StatusConflict)
	contains(t, res.Text(), "This account still owes 35.50 EUR. Pay it off or move money into it, then close the account.",
		`href="/accounts/`+card.ID+`/transactions/new?type=deposit&amount=35.50"`, `href="/transfers/new?to=`+card.ID+`&amount=35.50"`)

	// Emptied, it closes.
	ada.post(t, "/accounts/"+a.ID+"/transactions/new", url.Values{"type": {"withdrawal"}, "amount": {"120.00"}}).Expect(t, http.StatusSeeOther)
	res = ada.post(t, path, nil)
	page = ada.follow(t, res, "/accounts/"+a.ID)
	contains(t, page, "Closed “Everyday”. It keeps its history and takes no new transactions.", "Closed", "This account was closed on")
	lacks(t, page, `href="/accounts/`+a.ID+`/transactions/new"`, `href="`+path+`"`)
	if got := ada.account(t, a.ID).Status; got != "closed" {
		t.Errorf("status %s after closing", got)
	}
	page = ada.page(t, path)
	contains(t, page, "This account was closed on")
	lacks(t, page, `action="`+path+`"`)
	// Closing again changes nothing and fails nothing.
	ada.post(t, path, nil).Expect(t, http.StatusSeeOther)
	// The edit form no longer offers a status or a balance, and still renames.
	page = ada.page(t, "/accounts/"+a.ID+"/edit")
	lacks(t, page, `name="status"`, `name="balance_amount"`)
	contains(t, page, "A closed account stays closed.")
	edit := url.Values{}
	for _, name := range formFields(t, page, "/accounts/"+a.ID+"/edit") {
		edit.Set(name, "")
	}
	edit.Set("name", "Everyday (old)")
	edit.Set("account_type", "checking")
	edit.Set("currency", "EUR")
	edit.Set("account_number", "ACC-OLD")
	contains(t, ada.follow(t, ada.post(t, "/accounts/"+a.ID+"/edit", edit), ""), "Saved the changes to “Everyday (old)”.", "Closed")
}
