package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/money"
	shell "github.com/kontor-app/kontor/web"
)

// linked is an account a provider keeps; the handler tests cannot make one without
// a connection, so its pages are checked by rendering the views.
func linked() domain.Account {
	synced := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	return domain.Account{
		ID: uuid.New(), UserID: uuid.New(), ConnectionID: uuid.NullUUID{UUID: uuid.New(), Valid: true}, Provider: "simplefin",
		ProviderAccountID: "acct-1", AccountNumber: "9876543210", Name: "Bank checking", Type: domain.Checking,
		Currency: "USD", Balance: money.MustParse("1234.56"), AvailableBalance: money.NullAmount{Amount: money.MustParse("1200"), Valid: true},
		Status: domain.StatusActive, LastSyncedAt: &synced, CreatedAt: synced, UpdatedAt: synced, Version: 3,
	}
}

func TestLinkedAccountPages(t *testing.T) {
	a := linked()
	m := shell.PageMeta{Title: "x", User: &shell.User{Name: "Ada"}, CSRFToken: "tok"}

	var b strings.Builder
	if err := editAccountPage(m, a, accountFormOf(a)).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"Kept by simplefin", "cannot be edited here", "1,234.56 USD", "1,200.00 USD", "****3210", `name="name"`, `name="status"`, `name="notes"`} {
		if !strings.Contains(page, want) {
			t.Errorf("edit form lacks %q", want)
		}
	}
	for _, field := range []string{"account_type", "currency", "balance_amount", "account_number", "subtype", "overdraft_limit", "interest_rate"} {
		if strings.Contains(page, `name="`+field+`"`) {
			t.Errorf("edit form of a linked account lets %s be changed", field)
		}
	}

	b.Reset()
	if err := accountPage(m, accountView{Account: a}).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	page = b.String()
	for _, want := range []string{"Linked · simplefin", "This account is kept by simplefin", "Last synced 2 Jan 2026, 03:04 UTC", `id="account-available"`} {
		if !strings.Contains(page, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	for _, unwanted := range []string{"/transactions/new", "/transfers/new?from="} {
		if strings.Contains(page, unwanted) {
			t.Errorf("account page of a linked account offers %q", unwanted)
		}
	}

	b.Reset()
	if err := transactionPage(m, a, transactionForm{}).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if page := b.String(); !strings.Contains(page, "This account is kept by simplefin") || strings.Contains(page, `name="amount"`) {
		t.Error("the transaction page offers a form for a linked account")
	}
}

func TestPaging(t *testing.T) {
	q := url.Values{"q": {"day"}}
	first := pagingOf("/accounts", q)
	p := first.pager("C1", first.rangeSummary(50, 50, 120))
	if p.PrevURL != "" || p.NextURL != "/accounts?back=&cursor=C1&q=day" || p.Summary != "Showing 1–50 of 120" {
		t.Fatalf("first page: %+v", p)
	}
	second, _ := url.ParseQuery(strings.TrimPrefix(p.NextURL, "/accounts?"))
	sp := pagingOf("/accounts", second)
	p = sp.pager("C2", sp.rangeSummary(50, 50, 120))
	if p.PrevURL != "/accounts?q=day" || p.NextURL != "/accounts?back=&back=C1&cursor=C2&q=day" || p.Summary != "Showing 51–100 of 120" {
		t.Fatalf("second page: %+v", p)
	}
	third, _ := url.ParseQuery(strings.TrimPrefix(p.NextURL, "/accounts?"))
	tp := pagingOf("/accounts", third)
	p = tp.pager("", tp.rangeSummary(20, 50, 120))
	if p.PrevURL != "/accounts?back=&cursor=C1&q=day" || p.NextURL != "" || p.Summary != "Showing 101–120 of 120" {
		t.Fatalf("third page: %+v", p)
	}
	// A trail that lost its start still leads back, to the first page.
	lost := pagingOf("/accounts", url.Values{"cursor": {"C9"}})
	if p := lost.pager("", lost.rangeSummary(10, 50, 500)); p.PrevURL != "/accounts" || p.Summary != "" {
		t.Fatalf("capped trail: %+v", p)
	}
	// The trail is capped.
	deep := url.Values{"cursor": {"X"}}
	for i := 0; i < maxTrail; i++ {
		deep.Add("back", "c")
	}
	dp := pagingOf("/accounts", deep)
	next, _ := url.ParseQuery(strings.TrimPrefix(dp.pager("Y", "").NextURL, "/accounts?"))
	if len(next["back"]) != maxTrail {
		t.Fatalf("trail of %d", len(next["back"]))
	}
}

func TestRefusalWords(t *testing.T) {
	a := domain.Account{ID: uuid.New(), Currency: "EUR", Balance: money.MustParse("120")}
	if got := refusal(a); got != "This account still holds 120.00 EUR. Move or withdraw it, then close the account." {
		t.Errorf("refusal %q", got)
	}
	a.Balance = money.MustParse("-0.5")
	if got := refusal(a); got != "This account still owes 0.50 EUR. Pay it off or move money into it, then close the account." {
		t.Errorf("refusal %q", got)
	}
}

func TestGroupsCoverEveryType(t *testing.T) {
	seen := map[domain.AccountType]bool{}
	for _, g := range groups {
		for _, ty := range g.Types {
			if seen[ty] {
				t.Errorf("%s is in two groups", ty)
			}
			seen[ty] = true
			if typeLabels[ty] == "" {
				t.Errorf("%s has no label", ty)
			}
		}
	}
	if len(seen) != len(domain.AccountTypes) {
		t.Errorf("groups cover %d of %d types", len(seen), len(domain.AccountTypes))
	}
	if g := groups[groupIndex(domain.Mortgage)]; g.Key != "debts" {
		t.Errorf("mortgage under %s", g.Key)
	}
	if g := groups[groupIndex(domain.EWallet)]; g.Key != "other" {
		t.Errorf("e-wallet under %s", g.Key)
	}
}
