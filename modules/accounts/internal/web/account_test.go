package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

func TestAccountPage(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	ada := newPerson(t, inst, "Ada")
	a := ada.createAccount(t, map[string]any{"name": "Everyday", "account_type": "checking", "currency": "EUR", "opening_balance": "100.00",
		"account_number": "NL91ABNA0417164300", "overdraft_limit": "50", "notes": "Main account"})
	record := func(body map[string]any) {
		t.Helper()
		ada.api.Post(t, "/api/v1/accounts/"+a.ID+"/transactions", body).Expect(t, http.StatusCreated)
	}
	record(map[string]any{"type": "withdrawal", "amount": "30.00", "description": "Groceries", "counterparty": "Market", "booked_at": "2025-03-02"})
	record(map[string]any{"type": "fee", "amount": "2.50", "description": "Card fee", "booked_at": "2025-03-05"})
	record(map[string]any{"type": "interest", "amount": "0.75", "description": "Interest", "status": "pending"})

	page := ada.page(t, "/accounts/"+a.ID)
	contains(t, page, "<h1>Everyday</h1>", "Checking · ****4300", `id="account-balance"`, "68.25 EUR",
		"Active", "Manual", "NL91ABNA0417164300", "Overdraft limit", "50.00 EUR", "Main account", "By hand",
		`href="/accounts/`+a.ID+`/transactions/new"`, `href="/transfers/new?from=`+a.ID+`"`, `href="/accounts/`+a.ID+`/edit"`,
		`href="/accounts/`+a.ID+`/statement"`, `action="/accounts/`+a.ID+`/archive"`, `href="/accounts/`+a.ID+`/close"`,
		"Groceries", "Market", "−30.00 EUR", "−2.50 EUR", "0.75 EUR", "Pending", "Opening balance", "100.00 EUR",
		"2 Mar 2025", "Balance, last 30 days", "Balance history of Everyday", "<svg")
	// One sign convention on every page: a minus for money out, no plus for money in.
	if strings.Contains(page, "+0.75") || strings.Contains(page, "+100.00") {
		t.Error("the ledger writes a plus sign, which no other page does")
	}
	// The statement page the actions link to exists.
	ada.get(t, "/accounts/"+a.ID+"/statement").Expect(t, http.StatusOK)
	// Newest first.
	if i, j, k := strings.Index(page, "0.75 EUR"), strings.Index(page, "Card fee"), strings.Index(page, "Groceries"); i < 0 || j < 0 || k < 0 || i > j || j > k {
		t.Error("the ledger is not newest first")
	}

	t.Run("filters", func(t *testing.T) {
		page := ada.page(t, "/accounts/"+a.ID+"?transaction_type=fee")
		contains(t, page, "Card fee", `<option value="fee" selected>`, "Clear filters")
		lacks(t, page, "Groceries")
		page = ada.page(t, "/accounts/"+a.ID+"?start_date=2025-03-01&end_date=2025-03-03")
		contains(t, page, "Groceries", `value="2025-03-01"`)
		lacks(t, page, "Card fee")
		page = ada.page(t, "/accounts/"+a.ID+"?q=card")
		contains(t, page, "Card fee")
		lacks(t, page, "Groceries")
		page = ada.page(t, "/accounts/"+a.ID+"?status=pending")
		contains(t, page, "Interest")
		lacks(t, page, "Groceries", "Card fee")
		page = ada.page(t, "/accounts/"+a.ID+"?q=nothing-like-this")
		contains(t, page, "No transactions match these filters")
	})

	t.Run("invalid filters", func(t *testing.T) {
		res := ada.get(t, "/accounts/"+a.ID+"?start_date=2025-04-01&end_date=2025-03-01&transaction_type=bribe")
		res.Expect(t, http.StatusUnprocessableEntity)
		res.ExpectPage(t)
		contains(t, res.Text(), "Please fix 2 problems", "Must not be after “To”.", "Must be one of deposit", "<h1>Everyday</h1>")
	})

	t.Run("cursor paging", func(t *testing.T) {
		b := ada.createAccount(t, map[string]any{"name": "Busy", "account_type": "cash", "currency": "EUR"})
		for i := range 55 {
			ada.api.Post(t, "/api/v1/accounts/"+b.ID+"/transactions", map[string]any{"type": "deposit", "amount": "1",
				"description": fmt.Sprintf("Entry %02d", i), "booked_at": time.Date(2025, 1, 1, 0, i, 0, 0, time.UTC).Format(time.RFC3339)}).
				Expect(t, http.StatusCreated)
		}
		page := ada.page(t, "/accounts/"+b.ID)
		contains(t, page, "Entry 54", "Entry 05", `rel="next"`)
		lacks(t, page, "Entry 04", `rel="prev"`)
		next := regexp.MustCompile(`href="(/accounts/[^"]+)" rel="next"`).FindStringSubmatch(page)
		if next == nil {
			t.Fatal("no next link")
		}
		page = ada.page(t, next[1])
		contains(t, page, "Entry 04", "Entry 00", "Page 2", `rel="prev"`)
		lacks(t, page, "Entry 05", `rel="next"`)
		prev := regexp.MustCompile(`href="(/accounts/[^"]+)" rel="prev"`).FindStringSubmatch(page)
		if prev == nil || prev[1] != "/accounts/"+b.ID {
			t.Fatalf("previous link %v", prev)
		}
		// Filters carry over to the next page.
		page = ada.page(t, "/accounts/"+b.ID+"?transaction_type=deposit")
		if m := regexp.MustCompile(`href="(/accounts/[^"]+)" rel="next"`).FindStringSubmatch(page); m == nil || !regexp.MustCompile(`transaction_type=deposit`).MatchString(m[1]) {
			t.Errorf("next link %v drops the filter", m)
		}
		ada.get(t, "/accounts/"+b.ID+"?cursor=bogus").Expect(t, http.StatusBadRequest)
	})
}

func TestEditAccountForm(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	ada := newPerson(t, inst, "Ada")
	a := ada.createAccount(t, map[string]any{"name": "Everyday", "account_type": "checking", "currency": "EUR", "opening_balance": "100.00", "interest_rate": "1.5"})
	path := "/accounts/" + a.ID + "/edit"

	page := ada.page(t, path)
	contains(t, page, "Edit Everyday", `action="`+path+`"`, `value="Everyday"`, `<option value="checking" selected>`, `value="EUR"`,
		`value="100.00"`, `value="1.50"`, `<option value="active" selected>`, `name="version" value="`+strconv.FormatInt(a.Version, 10)+`"`)
	lacks(t, page, `<option value="closed"`)
	sameFields(t, page, path, "version", "name", "account_type", "currency", "balance_amount", "status", "account_number", "subtype",
		"overdraft_limit", "interest_rate", "is_favourite", "show_in_dashboard", "color", "icon", "notes")

	form := func(changes map[string]string) url.Values {
		v := url.Values{"name": {"Everyday"}, "account_type": {"checking"}, "currency": {"EUR"}, "balance_amount": {"100.00"},
			"status": {"active"}, "account_number": {"ACC-1"}, "subtype": {""}, "overdraft_limit": {""}, "interest_rate": {"1.50"},
			"notes": {""}, "color": {""}, "icon": {""}, "version": {strconv.FormatInt(ada.account(t, a.ID).Version, 10)}}
		for k, val := range changes {
			v.Set(k, val)
		}
		return v
	}

	t.Run("invalid fields", func(t *testing.T) {
		res := ada.post(t, path, form(map[string]string{"name": " ", "interest_rate": "lots", "account_number": ""}))
		res.Expect(t, http.StatusUnprocessableEntity)
		res.ExpectPage(t)
		contains(t, res.Text(), "Please fix 3 problems", "Name: must not be empty.", "Interest rate: must be a decimal number.",
			"Account number: must not be empty.", `value="lots"`)
	})

	t.Run("currency is fixed once there are transactions", func(t *testing.T) {
		res := ada.post(t, path, form(map[string]string{"currency": "usd"}))
		res.Expect(t, http.StatusUnprocessableEntity)
		contains(t, res.Text(), "Cannot change once the account has transactions.")
	})

	t.Run("saved", func(t *testing.T) {
		res := ada.post(t, path, form(map[string]string{"name": "Daily", "status": "inactive", "balance_amount": "120.00",
			"subtype": "joint", "notes": "Renamed", "is_favourite": "true"}))
		page := ada.follow(t, res, "/accounts/"+a.ID)
		contains(t, page, "Saved the changes to “Daily”.", "<h1>Daily</h1>", "Inactive", "120.00 EUR", "Balance adjustment", "20.00 EUR", "Checking · joint", "Renamed")
		got := ada.account(t, a.ID)
		if got.Balance != "120.00" || got.Status != "inactive" {
			t.Errorf("after saving: %+v", got)
		}
		// Saving the form unchanged changes nothing: no adjustment of zero.
		before := ada.account(t, a.ID).Version
		ada.post(t, path, form(map[string]string{"name": "Daily", "status": "inactive", "balance_amount": "120.00", "subtype": "joint",
			"notes": "Renamed", "is_favourite": "true"})).Expect(t, http.StatusSeeOther)
		if v := ada.account(t, a.ID).Version; v != before {
			t.Errorf("an unchanged form moved the version from %d to %d", before, v)
		}
	})

	t.Run("changed meanwhile", func(t *testing.T) {
		stale := form(map[string]string{"name": "Stale", "balance_amount": "120.00", "status": "inactive"})
		ada.api.Post(t, "/api/v1/accounts/"+a.ID+"/transactions", map[string]any{"type": "deposit", "amount": "5"}).Expect(t, http.StatusCreated)
		res := ada.post(t, path, stale)
		res.Expect(t, http.StatusPreconditionFailed)
		res.ExpectPage(t)
		page := res.Text()
		contains(t, page, "Someone changed this account while you were editing it.", `value="Stale"`,
			`name="version" value="`+strconv.FormatInt(ada.account(t, a.ID).Version, 10)+`"`)
		if got := ada.account(t, a.ID); got.Name != "Daily" || got.Balance != "125.00" {
			t.Errorf("a stale form was applied: %+v", got)
		}
	})
}

func TestArchiveAndRestore(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	ada := newPerson(t, inst, "Ada")
	a := ada.createAccount(t, map[string]any{"name": "Old card", "account_type": "credit_card", "currency": "EUR"})

	ada.post(t, "/accounts/"+a.ID+"/archive", nil)
	page := ada.page(t, "/accounts/"+a.ID)
	contains(t, page, "Archived “Old card”.", "Archived", "This account is archived", `action="/accounts/`+a.ID+`/restore"`)
	lacks(t, page, `action="/accounts/`+a.ID+`/archive"`)
	if !ada.account(t, a.ID).Archived {
		t.Error("not archived")
	}
	lacks(t, ada.page(t, "/accounts"), ">Old card</a>")
	contains(t, ada.page(t, "/accounts?include_archived=true"), ">Old card</a>")

	res := ada.post(t, "/accounts/"+a.ID+"/restore", nil)
	page = ada.follow(t, res, "/accounts/"+a.ID)
	contains(t, page, "Restored “Old card”.", `action="/accounts/`+a.ID+`/archive"`)
	contains(t, ada.page(t, "/accounts"), ">Old card</a>")

	ada.browser.PostForm(t, "/accounts/"+a.ID+"/archive", url.Values{}).Expect(t, http.StatusForbidden)
}
