package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// TestDisplaySettingsDoSomething gives accounts the display settings a person
// chooses and finds them honoured: a favourite comes first in the list with a
// mark, an account's colour is on its badge and its chart series, and an account
// not shown on the dashboard leaves its lists ("1 account hidden") while net worth
// still counts it.
func TestDisplaySettingsDoSomething(t *testing.T) {
	inst := harness.Start(t, harness.Options{Engine: harness.Auto})
	c := inst.Client()
	email := fmt.Sprintf("display-%d@example.test", time.Now().UnixNano())
	c.Post(t, "/api/v1/auth/register", map[string]string{"email": email, "password": pagesPassword, "name": "Display"}).Expect(t, http.StatusCreated)
	var pair struct {
		AccessToken string `json:"access_token"`
	}
	c.Post(t, "/api/v1/auth/login", map[string]string{"email": email, "password": pagesPassword}).Expect(t, http.StatusOK).JSON(t, &pair)
	c.Token = pair.AccessToken
	type acc struct {
		ID string `json:"id"`
	}
	var plain, fav, hidden acc
	c.Post(t, "/api/v1/accounts", map[string]any{"name": "Alpha everyday", "account_type": "checking", "currency": "EUR", "opening_balance": "100.00"}).Expect(t, http.StatusCreated).JSON(t, &plain)
	c.Post(t, "/api/v1/accounts", map[string]any{"name": "Zulu favourite", "account_type": "checking", "currency": "EUR", "opening_balance": "20.00", "is_favourite": true, "color": "#c0392b"}).Expect(t, http.StatusCreated).JSON(t, &fav)
	c.Post(t, "/api/v1/accounts", map[string]any{"name": "Secret savings", "account_type": "savings", "currency": "EUR", "opening_balance": "3.00", "show_in_dashboard": false}).Expect(t, http.StatusCreated).JSON(t, &hidden)
	c.Post(t, "/api/v1/accounts/"+hidden.ID+"/transactions", map[string]any{"type": "deposit", "amount": "1.00", "description": "Hidden deposit"}).Expect(t, http.StatusCreated)
	c.Post(t, "/api/v1/accounts/"+plain.ID+"/transactions", map[string]any{"type": "deposit", "amount": "1.00", "description": "Visible deposit"}).Expect(t, http.StatusCreated)

	b := harness.NewBrowser(t)
	b.BaseURL = inst.BaseURL
	b.Navigate("/login")
	b.Fill(`form[action="/login"] input[name="email"]`, email)
	b.Fill(`form[action="/login"] input[name="password"]`, pagesPassword)
	b.Submit(`form[action="/login"] button[type="submit"]`)

	b.Navigate("/accounts?sort=name")
	names := evaluate[[]string](t, b, `Array.from(document.querySelectorAll('.account-group')).filter(g => g.textContent.includes('Alpha everyday')).flatMap(g => Array.from(g.querySelectorAll('tbody tr')).map(r => r.textContent.replace(/\s+/g, ' ').trim()))`)
	if len(names) < 2 || !strings.Contains(names[0], "Zulu favourite") || !strings.Contains(names[0], "Favourite") {
		t.Errorf("the favourite is not first and marked in its group: %q", names)
	}

	b.Navigate("/accounts/" + fav.ID)
	if !b.Has(`.account-swatch circle[fill="#c0392b"]`) {
		t.Error("the account page shows no swatch in the account's colour")
	}
	if !b.Has(`path.chart__line[stroke="#c0392b"]`) {
		t.Error("the balance chart is not drawn in the account's colour")
	}
	if got := evaluate[string](t, b, `getComputedStyle(document.querySelector('path.chart__line')).stroke`); got != "rgb(192, 57, 43)" {
		t.Errorf("the chart line's computed stroke is %q", got)
	}

	b.Navigate("/")
	if got := b.Text("#net-worth-hidden"); !strings.Contains(got, "1 account hidden") || !strings.Contains(got, "Secret savings") {
		t.Errorf("hidden note: %q", got)
	}
	main := b.Text("main")
	if strings.Contains(main, "Hidden deposit") || !strings.Contains(main, "Visible deposit") {
		t.Errorf("recent transactions should leave out the hidden account's entries:\n%s", main)
	}
	// Net worth still counts it: 101 + 20 + 4 = 125.00.
	if got := b.Text("#net-worth-row-eur"); !strings.Contains(got, "125.00") {
		t.Errorf("net worth row: %q", got)
	}
}
