package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// TestExchangeRatesConvertNetWorth chooses a base currency and enters rates over
// the API, changes and deletes one, is refused bad input precisely and another
// person's rate, and then finds the dashboard converting net worth with the
// rates' date, exactly, and naming the currencies without a rate.
func TestExchangeRatesConvertNetWorth(t *testing.T) {
	inst := harness.Start(t, harness.Options{Engine: harness.Auto})
	email, eurID, _ := pagesSeed(t, inst)
	c := inst.Client()
	var pair struct {
		AccessToken string `json:"access_token"`
	}
	c.Post(t, "/api/v1/auth/login", map[string]string{"email": email, "password": pagesPassword}).Expect(t, http.StatusOK).JSON(t, &pair)
	c.Token = pair.AccessToken

	var prefs struct {
		BaseCurrency *string `json:"base_currency"`
	}
	c.Get(t, "/api/v1/me/preferences").Expect(t, http.StatusOK).JSON(t, &prefs)
	if prefs.BaseCurrency != nil {
		t.Fatalf("a new user has base currency %q", *prefs.BaseCurrency)
	}
	// A rate needs a quote currency until a base currency is chosen.
	p := c.Post(t, "/api/v1/exchange-rates", map[string]any{"currency": "GBP", "rate": "1.17", "date": "2026-11-27"}).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	if len(p.Errors) != 1 || p.Errors[0].Field != "quote_currency" {
		t.Errorf("errors = %+v", p.Errors)
	}
	c.Do(t, http.MethodPut, "/api/v1/me/preferences", map[string]any{"base_currency": "eur"}).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	c.Do(t, http.MethodPut, "/api/v1/me/preferences", map[string]any{"base_currency": "EUR"}).Expect(t, http.StatusOK).JSON(t, &prefs)
	if prefs.BaseCurrency == nil || *prefs.BaseCurrency != "EUR" {
		t.Fatalf("base currency = %v", prefs.BaseCurrency)
	}

	type rate struct {
		ID            string `json:"id"`
		Currency      string `json:"currency"`
		QuoteCurrency string `json:"quote_currency"`
		Rate          string `json:"rate"`
		Date          string `json:"date"`
	}
	var gbp, eth, old rate
	c.Post(t, "/api/v1/exchange-rates", map[string]any{"currency": "GBP", "rate": "1.10", "date": "2026-11-01"}).Expect(t, http.StatusCreated).JSON(t, &old)
	c.Post(t, "/api/v1/exchange-rates", map[string]any{"currency": "GBP", "rate": 1.17, "date": "2026-11-27"}).Expect(t, http.StatusCreated).JSON(t, &gbp)
	c.Post(t, "/api/v1/exchange-rates", map[string]any{"currency": "ETH", "quote_currency": "EUR", "rate": "3000", "date": "2026-11-28"}).Expect(t, http.StatusCreated).JSON(t, &eth)
	if gbp.Rate != "1.17" || gbp.QuoteCurrency != "EUR" || gbp.Date != "2026-11-27" {
		t.Errorf("gbp = %+v", gbp)
	}
	// One rate per pair and day.
	c.Post(t, "/api/v1/exchange-rates", map[string]any{"currency": "GBP", "rate": "1.2", "date": "2026-11-27"}).ExpectProblem(t, http.StatusConflict, "conflict")
	// Bad input, every field named at once.
	future := time.Now().UTC().AddDate(0, 0, 3).Format("2006-01-02")
	p = c.Post(t, "/api/v1/exchange-rates", map[string]any{"currency": "E", "rate": "-1", "date": future}).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	if len(p.Errors) != 3 {
		t.Errorf("errors = %+v, want currency, rate and date", p.Errors)
	}
	c.Post(t, "/api/v1/exchange-rates", map[string]any{"currency": "EUR", "rate": "1", "date": "2026-11-01"}).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	// Change the ETH rate, delete the old GBP one.
	c.Do(t, http.MethodPatch, "/api/v1/exchange-rates/"+eth.ID, map[string]any{"rate": "3012.50"}).Expect(t, http.StatusOK).JSON(t, &eth)
	if eth.Rate != "3012.50" {
		t.Errorf("patched rate = %s", eth.Rate)
	}
	c.Do(t, http.MethodDelete, "/api/v1/exchange-rates/"+old.ID, nil).Expect(t, http.StatusNoContent)
	c.Get(t, "/api/v1/exchange-rates/"+old.ID).ExpectProblem(t, http.StatusNotFound, "not_found")
	var list struct {
		ExchangeRates []rate `json:"exchange_rates"`
	}
	c.Get(t, "/api/v1/exchange-rates").Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.ExchangeRates) != 2 || list.ExchangeRates[0].Currency != "ETH" {
		t.Errorf("list = %+v", list.ExchangeRates)
	}

	// Another person sees 403, not the rate.
	other := inst.Client()
	otherEmail := fmt.Sprintf("rates-other-%d@example.test", time.Now().UnixNano())
	other.Post(t, "/api/v1/auth/register", map[string]string{"email": otherEmail, "password": pagesPassword, "name": "Other"}).Expect(t, http.StatusCreated)
	other.Post(t, "/api/v1/auth/login", map[string]string{"email": otherEmail, "password": pagesPassword}).Expect(t, http.StatusOK).JSON(t, &pair)
	other.Token = pair.AccessToken
	other.Get(t, "/api/v1/exchange-rates/"+gbp.ID).ExpectProblem(t, http.StatusForbidden, "forbidden")
	other.Do(t, http.MethodDelete, "/api/v1/exchange-rates/"+gbp.ID, nil).ExpectProblem(t, http.StatusForbidden, "forbidden")

	// The dashboard: EUR 2 accounts x 3 x (2500.00 - 1450.25) = 6298.50; GBP
	// 2 x 3 x (1800.00 - 234.56) = 9392.64 x 1.17 = 10989.3888; ETH 3 x
	// (1.123456789012345677 - 0.000000000000000001) = 3.370370367037037028 x 3012.50
	// = 10153.2407306990... Sum 27441.1295... -> 27,441.13 EUR.
	b := harness.NewBrowser(t)
	b.BaseURL = inst.BaseURL
	b.Navigate("/login")
	b.Fill(`form[action="/login"] input[name="email"]`, email)
	b.Fill(`form[action="/login"] input[name="password"]`, pagesPassword)
	b.Submit(`form[action="/login"] button[type="submit"]`)
	b.Navigate("/")
	text := b.Text("#net-worth-converted")
	for _, want := range []string{"27,441.13 EUR", "converted at rates of 27 Nov 2026 to 28 Nov 2026", "Not included, no rate into EUR: BTC, USD"} {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), want) {
			t.Errorf("dashboard conversion lacks %q:\n%s", want, text)
		}
	}

	// The transfer form, opened from a EUR account, offers only the other EUR account.
	b.Navigate("/transfers/new?from=" + eurID)
	to := evaluate[[]string](t, b, `Array.from(document.querySelectorAll('select[name="destination_account_id"] option')).filter(o => o.value).map(o => o.textContent)`)
	if len(to) != 1 || !strings.Contains(to[0], "Tagesgeld") || !strings.HasSuffix(to[0], "EUR") {
		t.Errorf("transfer destinations from a EUR account: %q", to)
	}
	if got := evaluate[string](t, b, `document.querySelector('input[name="amount"]').inputMode`); got != "decimal" {
		t.Errorf("the amount input's inputmode is %q", got)
	}

	// The rates page enters a rate, refusing a bad one on the form.
	b.Navigate("/rates")
	b.Fill(`input[name="currency"]`, "USD")
	b.Fill(`input[name="rate"]`, "abc")
	setDate := `document.querySelector('input[name="date"]').value = "2026-11-28"`
	evaluate[any](t, b, setDate)
	if status := b.Submit(`form[action="/rates"] button[type="submit"]`); status != http.StatusUnprocessableEntity {
		t.Errorf("bad rate: status %d", status)
	}
	if got := b.Text("#form-errors"); !strings.Contains(got, "Rate must be a decimal number") {
		t.Errorf("form errors = %q", got)
	}
	b.Fill(`input[name="rate"]`, "0.95")
	evaluate[any](t, b, setDate)
	if status := b.Submit(`form[action="/rates"] button[type="submit"]`); status != http.StatusOK {
		t.Errorf("rate form: status %d", status)
	}
	if !strings.Contains(b.Text("main"), "1 USD = 0.95 EUR") {
		t.Errorf("the rates page does not list the new rate:\n%s", b.Text("main"))
	}
	b.Navigate("/")
	if text := b.Text("#net-worth-converted"); !strings.Contains(text, "BTC") || strings.Contains(text, "USD,") {
		t.Errorf("after the USD rate: %s", text)
	}
}

// TestAmountsFinerThanTheMinorUnitAreRefused records 1.005 EUR and 10000.5 JPY
// and is told, field by field, how many decimals the currency has; BHD takes
// three, ETH eighteen, and the account page writes JPY without decimals.
func TestAmountsFinerThanTheMinorUnitAreRefused(t *testing.T) {
	inst := harness.Start(t, harness.Options{Engine: harness.Auto})
	c := inst.Client()
	email := fmt.Sprintf("minor-%d@example.test", time.Now().UnixNano())
	c.Post(t, "/api/v1/auth/register", map[string]string{"email": email, "password": pagesPassword, "name": "Minor"}).Expect(t, http.StatusCreated)
	var pair struct {
		AccessToken string `json:"access_token"`
	}
	c.Post(t, "/api/v1/auth/login", map[string]string{"email": email, "password": pagesPassword}).Expect(t, http.StatusOK).JSON(t, &pair)
	c.Token = pair.AccessToken
	var eur, jpy struct {
		ID string `json:"id"`
	}
	c.Post(t, "/api/v1/accounts", map[string]any{"name": "Euro", "account_type": "checking", "currency": "EUR"}).Expect(t, http.StatusCreated).JSON(t, &eur)
	p := c.Post(t, "/api/v1/accounts/"+eur.ID+"/transactions", map[string]any{"type": "deposit", "amount": "1.005"}).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	if len(p.Errors) != 1 || p.Errors[0].Field != "amount" || p.Errors[0].Message != "must have at most 2 decimals in EUR" {
		t.Errorf("1.005 EUR: %+v", p.Errors)
	}
	c.Post(t, "/api/v1/accounts/"+eur.ID+"/transactions", map[string]any{"type": "deposit", "amount": "1.50"}).Expect(t, http.StatusCreated)
	p = c.Post(t, "/api/v1/accounts", map[string]any{"name": "Yen", "account_type": "checking", "currency": "JPY", "opening_balance": "10000.5"}).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	if len(p.Errors) != 1 || p.Errors[0].Field != "opening_balance" || !strings.Contains(p.Errors[0].Message, "whole number in JPY") {
		t.Errorf("10000.5 JPY: %+v", p.Errors)
	}
	c.Post(t, "/api/v1/accounts", map[string]any{"name": "Yen", "account_type": "checking", "currency": "JPY", "opening_balance": "10000"}).Expect(t, http.StatusCreated).JSON(t, &jpy)
	// Files write JPY without decimals.
	csv := string(c.Get(t, "/api/v1/accounts/"+jpy.ID+"/statement/csv").Expect(t, http.StatusOK).Body)
	if !strings.Contains(csv, ",10000,JPY,10000,") {
		t.Errorf("the JPY statement CSV does not write 10000 plainly:\n%s", csv)
	}
	c.Post(t, "/api/v1/accounts", map[string]any{"name": "Dinar", "account_type": "checking", "currency": "BHD", "opening_balance": "1.005"}).Expect(t, http.StatusCreated)
	c.Post(t, "/api/v1/accounts", map[string]any{"name": "Ether", "account_type": "crypto", "currency": "ETH", "opening_balance": "0.000000000000000001"}).Expect(t, http.StatusCreated)

	b := harness.NewBrowser(t)
	b.BaseURL = inst.BaseURL
	b.Navigate("/login")
	b.Fill(`form[action="/login"] input[name="email"]`, email)
	b.Fill(`form[action="/login"] input[name="password"]`, pagesPassword)
	b.Submit(`form[action="/login"] button[type="submit"]`)
	// The flash after adding an account with a debt says the debt's sign.
	b.Navigate("/accounts/new")
	b.Fill(`input[name="name"]`, "Card")
	evaluate[any](t, b, `document.querySelector('select[name="account_type"]').value = "credit_card"`)
	b.Fill(`input[name="currency"]`, "EUR")
	b.Fill(`input[name="opening_balance"]`, "-318.45")
	b.Submit(`form[action="/accounts"] button[type="submit"]`)
	if got := b.Text(".flashes"); !strings.Contains(got, "opening balance of −318.45 EUR") {
		t.Errorf("flash after a negative opening balance: %q", got)
	}
	b.Navigate("/accounts/" + jpy.ID)
	if got := b.Text(".account-balance__amount"); !strings.Contains(got, "10,000") || strings.Contains(got, "10,000.00") {
		t.Errorf("JPY balance on the page: %q", got)
	}
}
