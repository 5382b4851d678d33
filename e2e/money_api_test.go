package e2e

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

// minorDigits is how many decimals the API must write in each currency of the
// test: the ISO minor unit for JPY, BHD and EUR, the satoshi and the wei.
var minorDigits = map[string]int{"JPY": 0, "BHD": 3, "EUR": 2, "BTC": 8, "ETH": 18}

// amountKeys are the JSON members that hold money in the answers the test reads.
var amountKeys = map[string]bool{
	"balance_amount": true, "available_balance_amount": true, "overdraft_limit": true, "provider_balance_amount": true,
	"balance_drift": true, "amount": true, "balance": true, "opening_balance": true, "closing_balance": true,
	"total_deposits": true, "total_withdrawals": true, "balance_after": true, "ledger_balance": true,
	"provider_balance": true, "available_balance": true, "current_balance": true, "available": true, "requested": true,
}

// amountChecker walks JSON answers and holds every amount in them to its
// currency's minor units, counting what it checked per currency so that a test
// reading nothing cannot pass.
type amountChecker struct {
	t       *testing.T
	checked map[string]int
}

// check holds one written amount to the currency's digits: exactly that many
// decimals, and no decimal point at all when there are none.
func (c *amountChecker) check(where, value, currency string) {
	c.t.Helper()
	digits, ok := minorDigits[currency]
	if !ok {
		c.t.Errorf("%s: amount %q in unexpected currency %q", where, value, currency)
		return
	}
	c.checked[currency]++
	v := strings.TrimPrefix(value, "-")
	intPart, frac, hasPoint := strings.Cut(v, ".")
	if intPart == "" || strings.Trim(intPart, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		c.t.Errorf("%s: %q is not a plain decimal", where, value)
		return
	}
	if digits == 0 && hasPoint || digits > 0 && len(frac) != digits {
		c.t.Errorf("%s: %s amount %q, want exactly %d decimals", where, currency, value, digits)
	}
}

// walk checks every amount member in v; currency is the nearest enclosing
// object's currency.
func (c *amountChecker) walk(where string, v any, currency string) {
	c.t.Helper()
	switch x := v.(type) {
	case map[string]any:
		if cur, ok := x["currency"].(string); ok {
			currency = cur
		}
		for k, val := range x {
			switch {
			case k == "total_balance_by_currency":
				for cur, s := range val.(map[string]any) {
					c.check(where+"."+k+"."+cur, s.(string), cur)
				}
			case amountKeys[k]:
				if s, ok := val.(string); ok {
					c.check(where+"."+k, s, currency)
				} else if val != nil {
					c.walk(where+"."+k, val, currency)
				}
			default:
				c.walk(where+"."+k, val, currency)
			}
		}
	case []any:
		for _, e := range x {
			c.walk(where+"[]", e, currency)
		}
	}
}

// body checks every amount of a JSON answer.
func (c *amountChecker) body(where string, b []byte, currency string) {
	c.t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		c.t.Fatalf("%s: %v\n%s", where, err, b)
	}
	c.walk(where, v, currency)
}

// TestAPIWritesAmountsInTheCurrencysMinorUnits creates accounts in JPY, BHD, EUR,
// BTC and ETH with entries, a transfer and refusals, and reads every
// amount-bearing answer back: accounts (one, the list and its totals),
// transactions (of an account, of all, the created ones, a transfer), balance
// history, net worth, the JSON statement, the sync balance history, problem
// details, and the data export's JSON and CSV. JPY has no decimal point, BHD three
// decimals, EUR two, BTC eight and ETH eighteen; every exchange matches the
// OpenAPI document (whose Money pattern allows these forms).
func TestAPIWritesAmountsInTheCurrencysMinorUnits(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Auto})
	k := loadContract(t, inst)
	anon := newAPI(inst, k, false)
	email := newEmail("minor-units")
	register(t, anon, "Minor", email)
	a := anon.with(login(t, anon, email).AccessToken)
	c := &amountChecker{t: t, checked: map[string]int{}}

	type acct struct {
		ID      string `json:"id"`
		Balance string `json:"balance_amount"`
	}
	create := func(name, typ, cur, opening string) acct {
		var out acct
		res := a.post(t, "/api/v1/accounts", map[string]any{"name": name, "account_type": typ, "currency": cur, "opening_balance": opening}).Expect(t, http.StatusCreated)
		res.JSON(t, &out)
		c.body("POST /accounts "+cur, res.Body, cur)
		return out
	}
	record := func(id, cur, typ, amount string) {
		res := a.post(t, "/api/v1/accounts/"+id+"/transactions", map[string]any{"type": typ, "amount": amount, "description": typ}).Expect(t, http.StatusCreated)
		c.body("POST transactions "+cur, res.Body, cur)
	}

	yen := create("Yen", "checking", "JPY", "10000")
	if yen.Balance != "10000" {
		t.Errorf("JPY opening balance written %q, want 10000", yen.Balance)
	}
	record(yen.ID, "JPY", "deposit", "500")
	record(yen.ID, "JPY", "withdrawal", "300")
	yen2 := create("Yen savings", "savings", "JPY", "0")
	dinar := create("Dinar", "checking", "BHD", "1.5")
	if dinar.Balance != "1.500" {
		t.Errorf("BHD opening balance written %q, want 1.500", dinar.Balance)
	}
	record(dinar.ID, "BHD", "deposit", "0.25")
	record(dinar.ID, "BHD", "withdrawal", "0.005")
	euro := create("Euro", "checking", "EUR", "1.5")
	if euro.Balance != "1.50" {
		t.Errorf("EUR opening balance written %q, want 1.50", euro.Balance)
	}
	record(euro.ID, "EUR", "deposit", "1000")
	btc := create("Cold wallet", "crypto", "BTC", "0.5")
	if btc.Balance != "0.50000000" {
		t.Errorf("BTC opening balance written %q, want 0.50000000", btc.Balance)
	}
	record(btc.ID, "BTC", "deposit", "0.00000001")
	eth := create("Ether", "crypto", "ETH", "1.123456789012345678")
	if eth.Balance != "1.123456789012345678" {
		t.Errorf("ETH opening balance written %q", eth.Balance)
	}
	record(eth.ID, "ETH", "deposit", "0.000000000000000001")

	// A transfer between the yen accounts.
	res := a.post(t, "/api/v1/transfers", map[string]any{"source_account_id": yen.ID, "destination_account_id": yen2.ID, "amount": "1200", "description": "move"}).Expect(t, http.StatusCreated)
	c.body("POST /transfers", res.Body, "")

	// Refusals carry the amounts in their details.
	p := a.call(t, http.MethodDelete, "/api/v1/accounts/"+yen.ID, nil).ExpectProblem(t, http.StatusConflict, "account_not_empty")
	if p.Details["current_balance"] != "9000" {
		t.Errorf("account_not_empty details %v, want current_balance 9000", p.Details)
	}
	p = a.post(t, "/api/v1/accounts/"+dinar.ID+"/transactions", map[string]any{"type": "withdrawal", "amount": "50"}).ExpectProblem(t, http.StatusUnprocessableEntity, "insufficient_funds")
	for _, key := range []string{"current_balance", "overdraft_limit", "available", "requested"} {
		s, _ := p.Details[key].(string)
		c.check("insufficient_funds."+key, s, "BHD")
	}
	if p.Details["current_balance"] != "1.745" || p.Details["requested"] != "50.000" {
		t.Errorf("insufficient_funds details %v", p.Details)
	}

	// Every reading answer.
	want := map[string]string{yen.ID: "9000", yen2.ID: "1200", dinar.ID: "1.745", euro.ID: "1001.50", btc.ID: "0.50000001", eth.ID: "1.123456789012345679"}
	res = a.get(t, "/api/v1/accounts?limit=2").Expect(t, http.StatusOK)
	c.body("GET /accounts", res.Body, "")
	var list struct {
		Accounts []acct            `json:"accounts"`
		Totals   map[string]string `json:"total_balance_by_currency"`
		Next     *string           `json:"next_cursor"`
	}
	res.JSON(t, &list)
	if list.Totals["JPY"] != "10200" || list.Totals["BHD"] != "1.745" || list.Totals["EUR"] != "1001.50" {
		t.Errorf("totals %v", list.Totals)
	}
	seen := map[string]string{}
	for {
		for _, ac := range list.Accounts {
			seen[ac.ID] = ac.Balance
		}
		if list.Next == nil {
			break
		}
		res = a.get(t, "/api/v1/accounts?limit=2&cursor="+url.QueryEscape(*list.Next)).Expect(t, http.StatusOK)
		c.body("GET /accounts page", res.Body, "")
		list.Next = nil
		res.JSON(t, &list)
	}
	for id, balance := range want {
		if seen[id] != balance {
			t.Errorf("account %s listed with balance %q, want %q", id, seen[id], balance)
		}
		res = a.get(t, "/api/v1/accounts/"+id).Expect(t, http.StatusOK)
		c.body("GET /accounts/{id}", res.Body, "")
		res = a.get(t, "/api/v1/accounts/"+id+"/transactions").Expect(t, http.StatusOK)
		c.body("GET /accounts/{id}/transactions", res.Body, currencyOf(t, a, id))
		res = a.get(t, "/api/v1/accounts/"+id+"/balance-history").Expect(t, http.StatusOK)
		c.body("GET balance-history", res.Body, "")
		res = a.get(t, "/api/v1/accounts/"+id+"/statement").Expect(t, http.StatusOK)
		c.body("GET statement", res.Body, "")
		if !bytes.Contains(res.Body, []byte(`"closing_balance":"`+balance+`"`)) {
			t.Errorf("statement of %s does not close at %s: %s", id, balance, res.Body)
		}
		res = a.get(t, "/api/v1/syncs/balances?account_id="+id).Expect(t, http.StatusOK)
		c.body("GET /syncs/balances", res.Body, "")
		if m := res.Map(t); m["ledger_balance"] != balance {
			t.Errorf("sync balances of %s: ledger_balance %v, want %s", id, m["ledger_balance"], balance)
		}
	}
	res = a.get(t, "/api/v1/transactions?limit=200").Expect(t, http.StatusOK)
	c.body("GET /transactions", res.Body, "")
	res = a.get(t, "/api/v1/net-worth").Expect(t, http.StatusOK)
	c.body("GET /net-worth", res.Body, "")

	// The data export writes what the API writes, in JSON and CSV.
	files := a.Get(t, "/api/v1/me/export").Expect(t, http.StatusOK).ZipFiles(t)
	c.body("export accounts.json", files["accounts.json"], "")
	var archived struct {
		Accounts []acct `json:"accounts"`
	}
	if err := json.Unmarshal(files["accounts.json"], &archived); err != nil {
		t.Fatalf("accounts.json: %v", err)
	}
	exported := map[string]string{}
	for _, ac := range archived.Accounts {
		exported[ac.ID] = ac.Balance
	}
	for id, balance := range want {
		cur := currencyOf(t, a, id)
		dir := "accounts/" + id + "/"
		c.body("export "+dir+"transactions.json", files[dir+"transactions.json"], cur)
		rows, err := csv.NewReader(bytes.NewReader(files[dir+"transactions.csv"])).ReadAll()
		if err != nil || len(rows) < 2 {
			t.Fatalf("%stransactions.csv: %v %v", dir, rows, err)
		}
		for _, r := range rows[1:] {
			c.check("export "+dir+"transactions.csv", r[5], r[6])
		}
		if exported[id] != balance {
			t.Errorf("accounts.json writes %s's balance %q, want %s", id, exported[id], balance)
		}
	}

	for cur := range minorDigits {
		if c.checked[cur] < 20 {
			t.Errorf("only %d %s amounts checked", c.checked[cur], cur)
		}
	}
	t.Logf("amounts checked per currency: %v", c.checked)
}

// currencyOf returns the account's currency as the API says it.
func currencyOf(t *testing.T, a *api, id string) string {
	t.Helper()
	var out struct {
		Currency string `json:"currency"`
	}
	a.Get(t, "/api/v1/accounts/"+id).Expect(t, http.StatusOK).JSON(t, &out)
	return out.Currency
}
