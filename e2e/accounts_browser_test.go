package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kontor-app/kontor/e2e/harness"
)

// Selectors of the accounts pages (modules/accounts/internal/web).
const (
	accountsNewForm   = `form[action="/accounts"]`
	accountsBalance   = `#account-balance`
	accountsFlash     = `.flash--success .flash__text`
	accountsRefusal   = `#close-refusal`
	accountsTransfer  = `form[action="/transfers/new"]`
	accountsSubmitBtn = ` button[type="submit"]`
)

var accountsSeq atomic.Int64

// TestAccountsBrowserFlow walks the ledger in Chromium as a person does, without
// any JSON: register and log in, add an account with an opening balance, deposit,
// add a second account, transfer between them, try to close the first (refused,
// with the reason in words), empty it, and close it.
func TestAccountsBrowserFlow(t *testing.T) {
	inst := harness.Start(t, harness.Options{Engine: harness.Auto})
	b := harness.NewBrowser(t)
	b.BaseURL = inst.BaseURL
	email := fmt.Sprintf("ledger-%d@example.test", accountsSeq.Add(1))
	const pw = "correct horse battery staple"

	// Register, log out, and log in again through the forms.
	b.Navigate("/register")
	b.Fill(`form[action="/register"] input[name="name"]`, "Ada Lovelace")
	b.Fill(`form[action="/register"] input[name="email"]`, email)
	b.Fill(`form[action="/register"] input[name="password"]`, pw)
	accountsSubmit(t, b, `form[action="/register"]`+accountsSubmitBtn)
	if b.Has(`.site-nav form[action="/logout"]`) {
		accountsSubmit(t, b, `.site-nav form[action="/logout"]`+accountsSubmitBtn)
	}
	b.Navigate("/login")
	b.Fill(`form[action="/login"] input[name="email"]`, email)
	b.Fill(`form[action="/login"] input[name="password"]`, pw)
	accountsSubmit(t, b, `form[action="/login"]`+accountsSubmitBtn)
	b.WaitVisible(`.site-nav form[action="/logout"]`)

	// No accounts yet: the list invites to add the first.
	b.Navigate("/accounts")
	if got := b.Text(".empty-state__title"); got != "No accounts yet" {
		t.Fatalf("empty list says %q", got)
	}
	accountsSubmit(t, b, `.empty-state__action a`)

	// A form with a mistake comes back with the error and what was typed.
	b.Fill(accountsNewForm+` input[name="name"]`, "Everyday")
	accountsChoose(t, b, accountsNewForm+` select[name="account_type"]`, "checking")
	b.Fill(accountsNewForm+` input[name="currency"]`, "euro dollars")
	b.Fill(accountsNewForm+` input[name="opening_balance"]`, "100.00")
	if status := accountsSubmit(t, b, accountsNewForm+accountsSubmitBtn); status != http.StatusUnprocessableEntity {
		t.Fatalf("a form with a wrong currency answered %d, want 422", status)
	}
	if msg := b.Text(`#field-currency-error`); !strings.Contains(msg, "currency code") {
		t.Fatalf("the currency error says %q", msg)
	}
	if got := b.Value(accountsNewForm + ` input[name="name"]`); got != "Everyday" {
		t.Fatalf("the form lost the name: %q", got)
	}
	b.Fill(accountsNewForm+` input[name="currency"]`, "eur")
	accountsSubmit(t, b, accountsNewForm+accountsSubmitBtn)
	accountsExpectText(t, b, accountsFlash, "Added “Everyday” with an opening balance of 100.00 EUR.")
	accountsExpectBalance(t, b, "100.00 EUR")
	everyday := b.Location()

	// Deposit.
	accountsSubmit(t, b, `nav.account-actions a[href$="/transactions/new"]`)
	accountsChoose(t, b, `select[name="type"]`, "deposit")
	b.Fill(`input[name="amount"]`, "50.00")
	b.Fill(`input[name="description"]`, "Birthday money")
	accountsSubmit(t, b, `form[action$="/transactions/new"]`+accountsSubmitBtn)
	accountsExpectText(t, b, accountsFlash, "Recorded: Deposit of 50.00 EUR. The balance is now 150.00 EUR.")
	accountsExpectBalance(t, b, "150.00 EUR")
	accountsExpectText(t, b, ".account-ledger table", "Birthday money")

	// A withdrawal past the balance is refused in words.
	b.Navigate(everyday + "/transactions/new")
	accountsChoose(t, b, `select[name="type"]`, "withdrawal")
	b.Fill(`input[name="amount"]`, "1000")
	if status := accountsSubmit(t, b, `form[action$="/transactions/new"]`+accountsSubmitBtn); status != http.StatusUnprocessableEntity {
		t.Fatalf("an overdrawing withdrawal answered %d, want 422", status)
	}
	accountsExpectText(t, b, "#form-errors", "The account has 150.00 EUR available")

	// A second account.
	b.Navigate("/accounts/new")
	b.Fill(accountsNewForm+` input[name="name"]`, "Rainy day")
	accountsChoose(t, b, accountsNewForm+` select[name="account_type"]`, "savings")
	b.Fill(accountsNewForm+` input[name="currency"]`, "EUR")
	accountsSubmit(t, b, accountsNewForm+accountsSubmitBtn)
	accountsExpectBalance(t, b, "0.00 EUR")
	savings := b.Location()
	savingsID := savings[strings.LastIndex(savings, "/")+1:]

	// Transfer from the first to the second, starting on the first one's page.
	b.Navigate(everyday)
	accountsSubmit(t, b, `nav.account-actions a[href^="/transfers/new"]`)
	accountsChoose(t, b, accountsTransfer+` select[name="destination_account_id"]`, savingsID)
	b.Fill(accountsTransfer+` input[name="amount"]`, "30.00")
	accountsSubmit(t, b, accountsTransfer+accountsSubmitBtn)
	accountsExpectText(t, b, accountsFlash, "Moved 30.00 EUR from “Everyday” to “Rainy day”.")
	accountsExpectBalance(t, b, "120.00 EUR")

	b.Navigate("/accounts")
	accountsExpectText(t, b, ".accounts-totals", "150.00 EUR")
	accountsExpectText(t, b, "#group-bank", "2 accounts")
	b.KeepScreenshot("accounts list")

	// Closing is refused while money is left, and the page says why and what to do.
	b.Navigate(everyday)
	accountsSubmit(t, b, `nav.account-actions a[href$="/close"]`)
	if status := accountsSubmit(t, b, `form[action$="/close"]`+accountsSubmitBtn); status != http.StatusConflict {
		t.Fatalf("closing a non-empty account answered %d, want 409", status)
	}
	accountsExpectText(t, b, accountsRefusal, "This account still holds 120.00 EUR. Move or withdraw it, then close the account.")

	// Empty it by moving the rest, from the link on the refusal.
	accountsSubmit(t, b, accountsRefusal+` a[href^="/transfers/new"]`)
	if got := b.Value(accountsTransfer + ` input[name="amount"]`); got != "120.00" {
		t.Fatalf("the transfer form suggests %q, want the balance 120.00", got)
	}
	accountsChoose(t, b, accountsTransfer+` select[name="destination_account_id"]`, savingsID)
	accountsSubmit(t, b, accountsTransfer+accountsSubmitBtn)
	accountsExpectBalance(t, b, "0.00 EUR")

	// Now it closes.
	b.Navigate(everyday + "/close")
	accountsSubmit(t, b, `form[action$="/close"]`+accountsSubmitBtn)
	accountsExpectText(t, b, accountsFlash, "Closed “Everyday”.")
	accountsExpectText(t, b, ".account-head .account-badges", "Closed")
	if b.Has(`nav.account-actions a[href$="/transactions/new"]`) || b.Has(`nav.account-actions a[href$="/close"]`) {
		t.Error("a closed account still offers transactions or closing")
	}
	b.KeepScreenshot("closed account")

	b.Navigate(savings)
	accountsExpectBalance(t, b, "150.00 EUR")
	b.KeepScreenshot("account page")
	accountsCheckConsole(t, b)
}

// accountsSubmit clicks what selector names and fails t on a server error.
func accountsSubmit(t *testing.T, b *harness.Browser, selector string) int {
	t.Helper()
	status := b.Submit(selector)
	if status >= 500 {
		t.Fatalf("%s led to a %d page at %s", selector, status, b.Location())
	}
	return status
}

// accountsChoose picks the option with value in the select selector names.
func accountsChoose(t *testing.T, b *harness.Browser, selector, value string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), harness.StepTimeout)
	defer cancel()
	sel := chromedp.CSS(selector)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(sel), chromedp.SetValue(sel, value)); err != nil {
		t.Fatalf("choose %q in %s: %v (at %s)", value, selector, err, b.Location())
	}
	if got := b.Value(selector); got != value {
		t.Fatalf("%s has %q selected, want %q: no such option", selector, got, value)
	}
}

// accountsExpectText fails t unless the element selector names shows want.
func accountsExpectText(t *testing.T, b *harness.Browser, selector, want string) {
	t.Helper()
	if got := b.Text(selector); !strings.Contains(got, want) {
		t.Fatalf("%s says %q, want it to contain %q (at %s)", selector, got, want, b.Location())
	}
}

// accountsExpectBalance fails t unless the account page shows the balance want.
func accountsExpectBalance(t *testing.T, b *harness.Browser, want string) {
	t.Helper()
	if got := b.Text(accountsBalance); got != want {
		t.Fatalf("the balance is %q, want %q (at %s)", got, want, b.Location())
	}
}

// accountsCheckConsole fails t on uncaught exceptions and Content-Security-Policy
// violations.
func accountsCheckConsole(t *testing.T, b *harness.Browser) {
	t.Helper()
	for _, m := range b.Console() {
		if strings.HasPrefix(m, "exception ") || strings.Contains(m, "Content Security Policy") {
			t.Errorf("browser console: %s", m)
		}
	}
}
