package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

func TestCreateAccountForm(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	ada := newPerson(t, inst, "Ada")

	page := ada.page(t, "/accounts/new")
	contains(t, page, `<form method="post" action="/accounts"`, `name="_csrf"`, `<label for="field-name">Name</label>`,
		`<option value="credit_card">Credit card</option>`, `<option value="401k">401(k)</option>`, "Opening balance", `<textarea`)
	sameFields(t, page, "/accounts", "name", "account_type", "currency", "opening_balance", "account_number", "subtype",
		"overdraft_limit", "interest_rate", "color", "icon", "notes")

	t.Run("CSRF token missing", func(t *testing.T) {
		res := ada.browser.PostForm(t, "/accounts", url.Values{"name": {"Everyday"}, "account_type": {"checking"}, "currency": {"EUR"}})
		res.Expect(t, http.StatusForbidden)
		res.ExpectPage(t)
	})

	t.Run("missing fields", func(t *testing.T) {
		res := ada.post(t, "/accounts", url.Values{"subtype": {"joint"}, "notes": {"kept"}})
		res.Expect(t, http.StatusUnprocessableEntity)
		res.ExpectPage(t)
		page := res.Text()
		contains(t, page, "Please fix 3 problems", "Name: is required.", "Type: is required.", "Currency: is required.",
			`aria-invalid="true"`, `value="joint"`, ">kept</textarea>")
	})

	t.Run("invalid values are explained and kept", func(t *testing.T) {
		res := ada.post(t, "/accounts", url.Values{
			"name": {"Everyday"}, "account_type": {"checking"}, "currency": {"e1"}, "opening_balance": {"1,200.00"},
			"overdraft_limit": {"-5"}, "interest_rate": {"2000"},
		})
		res.Expect(t, http.StatusUnprocessableEntity)
		res.ExpectPage(t)
		page := res.Text()
		contains(t, page, `value="Everyday"`, `<option value="checking" selected>`, `value="E1"`, `value="1,200.00"`,
			"Must be an upper-case ISO 4217 currency code", "Opening balance: must be a decimal number.",
			"Overdraft limit: must not be negative.", "Interest rate: must be a percentage between 0 and 1000.")
	})

	t.Run("success", func(t *testing.T) {
		res := ada.post(t, "/accounts", url.Values{
			"name": {"Everyday"}, "account_type": {"checking"}, "currency": {"eur"}, "opening_balance": {"1200.50"},
			"subtype": {"joint"}, "overdraft_limit": {"100"}, "interest_rate": {"1.25"}, "notes": {"Salary arrives here"},
		})
		id := createdID(t, res)
		page := ada.follow(t, res, "")
		contains(t, page, "Added “Everyday” with an opening balance of 1,200.50 EUR.", "<h1>Everyday</h1>", "1,200.50 EUR",
			"Opening balance", "Checking · joint", "1.25 % a year", "Salary arrives here", "ACC-")
		a := ada.account(t, id)
		if a.Balance != "1200.50" {
			t.Errorf("balance %s, want 1200.50", a.Balance)
		}
		// The flash is shown once.
		lacks(t, ada.page(t, "/accounts/"+id), "Added “Everyday”")
	})

	t.Run("taken account number", func(t *testing.T) {
		ada.post(t, "/accounts", url.Values{"name": {"One"}, "account_type": {"savings"}, "currency": {"EUR"}, "account_number": {"NL01-1234"}}).
			Expect(t, http.StatusSeeOther)
		res := ada.post(t, "/accounts", url.Values{"name": {"Two"}, "account_type": {"savings"}, "currency": {"EUR"}, "account_number": {"NL01-1234"}})
		res.Expect(t, http.StatusConflict)
		res.ExpectPage(t)
		contains(t, res.Text(), "Another of your accounts already has this account number.", `value="Two"`)
	})
}

func TestAccountsList(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	ada := newPerson(t, inst, "Ada")

	page := ada.page(t, "/accounts")
	contains(t, page, "No accounts yet", `href="/accounts/new"`, "Add your first account")

	ada.createAccount(t, map[string]any{"name": "Everyday", "account_type": "checking", "currency": "EUR", "opening_balance": "1200.00"})
	ada.createAccount(t, map[string]any{"name": "Rainy day", "account_type": "savings", "currency": "EUR", "opening_balance": "300.00"})
	ada.createAccount(t, map[string]any{"name": "Dollar account", "account_type": "checking", "currency": "USD", "opening_balance": "50.00"})
	ada.createAccount(t, map[string]any{"name": "Visa", "account_type": "credit_card", "currency": "EUR", "opening_balance": "-250.00"})
	ada.createAccount(t, map[string]any{"name": "Mortgage", "account_type": "mortgage", "currency": "EUR", "opening_balance": "-100000"})
	ada.createAccount(t, map[string]any{"name": "Pension", "account_type": "401k", "currency": "USD", "opening_balance": "20000"})
	ada.createAccount(t, map[string]any{"name": "Wallet", "account_type": "cash", "currency": "EUR", "opening_balance": "40"})
	old := ada.createAccount(t, map[string]any{"name": "Old savings", "account_type": "savings", "currency": "EUR"})
	ada.api.Do(t, http.MethodPatch, "/api/v1/accounts/"+old.ID, map[string]any{"is_archived": true}).Expect(t, http.StatusOK)
	// Another person's accounts never show.
	bob := newPerson(t, inst, "Bob")
	bob.createAccount(t, map[string]any{"name": "Bob's secret", "account_type": "checking", "currency": "EUR", "opening_balance": "999"})

	page = ada.page(t, "/accounts")
	lacks(t, page, "No accounts yet", "Bob's secret", "Old savings")
	contains(t, page, "7 accounts, 7 active", "Total balance")
	// Totals per currency over every account: EUR 1200+300-250-100000+40, USD 50+20000.
	contains(t, page, "−98,710.00 EUR", "20,050.00 USD")
	bank := section(t, page, "group-bank")
	contains(t, bank, "Bank accounts", "3 accounts", "Everyday", "Rainy day", "Dollar account", "Subtotal in EUR", "1,500.00 EUR", "Subtotal in USD", "50.00 USD")
	lacks(t, bank, "Visa", "Pension", "Wallet")
	debts := section(t, page, "group-debts")
	contains(t, debts, "Credit cards & loans", "Visa", "Mortgage", "−100,250.00 EUR", "money--negative")
	contains(t, section(t, page, "group-investments"), "Pension", "401(k)", "20,000.00 USD")
	contains(t, section(t, page, "group-other"), "Cash, wallets & other", "Wallet", "40.00 EUR")
	if strings.Index(page, `id="group-bank"`) > strings.Index(page, `id="group-debts"`) ||
		strings.Index(page, `id="group-debts"`) > strings.Index(page, `id="group-investments"`) ||
		strings.Index(page, `id="group-investments"`) > strings.Index(page, `id="group-other"`) {
		t.Error("the groups are out of order")
	}

	t.Run("filters", func(t *testing.T) {
		page := ada.page(t, "/accounts?q=day")
		contains(t, page, "Everyday", "Rainy day", `value="day"`, "Total of the matching accounts", "1,500.00 EUR", "Clear filters")
		lacks(t, page, ">Visa</a>", ">Dollar account</a>")

		page = ada.page(t, "/accounts?account_type=credit_card")
		contains(t, page, "Visa", `<option value="credit_card" selected>`, "−250.00 EUR")
		lacks(t, page, ">Mortgage</a>", ">Everyday</a>")

		page = ada.page(t, "/accounts?currency=usd")
		contains(t, page, "Dollar account", "Pension", `value="USD"`)
		lacks(t, page, ">Everyday</a>", "EUR</span></dd>")

		page = ada.page(t, "/accounts?include_archived=true")
		contains(t, page, "Old savings", "Archived", "8 accounts")

		page = ada.page(t, "/accounts?status=closed")
		contains(t, page, "No accounts match these filters")
	})

	t.Run("invalid filter", func(t *testing.T) {
		res := ada.get(t, "/accounts?currency=e&status=gone")
		res.Expect(t, http.StatusUnprocessableEntity)
		res.ExpectPage(t)
		contains(t, res.Text(), "Please fix 2 problems", "Must be an upper-case ISO 4217 currency code", "Must be one of active, inactive, closed.")
	})

	t.Run("bad cursor", func(t *testing.T) {
		res := ada.get(t, "/accounts?cursor=nonsense")
		res.Expect(t, http.StatusBadRequest)
		res.ExpectPage(t)
		contains(t, res.Text(), "start again without it")
	})
}

func TestAccountsListPaging(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	ada := newPerson(t, inst, "Ada")
	for i := range 53 {
		ada.createAccount(t, map[string]any{"name": fmt.Sprintf("Account %02d", i), "account_type": "savings", "currency": "EUR", "opening_balance": "1", "sort_order": i})
	}
	page := ada.page(t, "/accounts")
	contains(t, page, "Account 00", "Account 49", "Showing 1–50 of 53", `rel="next"`, "53.00 EUR", "53 accounts")
	lacks(t, page, "Account 50", `rel="prev"`)
	next := regexp.MustCompile(`href="(/accounts\?[^"]+)" rel="next"`).FindStringSubmatch(page)
	if next == nil {
		t.Fatal("no next link")
	}
	page = ada.page(t, next[1])
	contains(t, page, "Account 50", "Account 52", "Showing 51–53 of 53", `rel="prev"`)
	lacks(t, page, "Account 49", `rel="next"`)
	prev := regexp.MustCompile(`href="(/accounts[^"]*)" rel="prev"`).FindStringSubmatch(page)
	if prev == nil || prev[1] != "/accounts" {
		t.Fatalf("previous link %v, want /accounts", prev)
	}
}
