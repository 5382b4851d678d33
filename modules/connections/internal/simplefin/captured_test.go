package simplefin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/money"
)

// The real bodies in ../shared/testdata/simplefin/, served by the fake as the
// Bridge's answer to GET /accounts.

func serveCaptured(t *testing.T, status int, body []byte) (provider.Changes, []provider.Account, error, error) {
	t.Helper()
	f := newFake(t)
	f.set(func(f *fakeBridge) { f.status, f.body = status, body })
	a := adapter()
	creds := provider.Credentials{AccessURL: f.accessURL()}
	ch, _, errTx := a.Transactions(context.Background(), creds, provider.TransactionsRequest{From: time.Unix(day(-30), 0), To: testNow})
	accts, _, errAccts := a.Accounts(context.Background(), creds)
	return ch, accts, errTx, errAccts
}

func TestCapturedAccountSets(t *testing.T) {
	savings := func(t *testing.T, a provider.Account) {
		t.Helper()
		if a.ID != "2930002" || a.Name != "Savings" || a.Type != "savings" || a.Currency != "USD" ||
			a.Balance.String() != "100.23" || !a.AvailableBalance.Valid || a.AvailableBalance.Amount.String() != "75.23" ||
			!a.BalanceDate.Equal(time.Unix(978366153, 0)) {
			t.Fatalf("account: %+v", a)
		}
	}
	bait := func(t *testing.T, txs []provider.Transaction) {
		t.Helper()
		if len(txs) != 1 || txs[0].ID != "12394832938403" || txs[0].AccountID != "2930002" || txs[0].Amount.String() != "-33293.43" ||
			!txs[0].Date.Equal(time.Unix(793090572, 0)) || txs[0].Pending || txs[0].Description != "Uncle Frank's Bait Shop" {
			t.Fatalf("transactions: %+v", txs)
		}
	}
	cases := map[string]func(t *testing.T, ch provider.Changes, accts []provider.Account){
		"accounts-example-1.json": func(t *testing.T, ch provider.Changes, accts []provider.Account) {
			savings(t, ch.Accounts[0])
			bait(t, ch.Added)
			if ch.Accounts[0].Institution != "mybank.com" || len(ch.AccountErrors) != 0 || len(ch.Window.Incomplete) != 0 {
				t.Fatalf("%+v", ch)
			}
		},
		"accounts-example-2-v1-errors.json": func(t *testing.T, ch provider.Changes, accts []provider.Account) {
			savings(t, ch.Accounts[0])
			if len(ch.Added) != 0 || len(ch.AccountErrors) != 1 || ch.AccountErrors[0].Message != "You must reauthenticate." || !ch.Window.Incomplete["2930002"] {
				t.Fatalf("%+v", ch)
			}
		},
		"accounts-example-3-v2.json": func(t *testing.T, ch provider.Changes, accts []provider.Account) {
			savings(t, ch.Accounts[0])
			if ch.Accounts[0].Institution != "My Bank" || len(ch.Added) != 0 || len(ch.AccountErrors) != 0 {
				t.Fatalf("%+v", ch)
			}
		},
		"accounts-example-5-v2-full.json": func(t *testing.T, ch provider.Changes, accts []provider.Account) {
			savings(t, ch.Accounts[0])
			bait(t, ch.Added)
			if ch.Accounts[0].Institution != "My Bank - Jill" {
				t.Fatalf("%+v", ch.Accounts[0])
			}
		},
		"jeeftor__simplefin4py__200-with-errors.json": func(t *testing.T, ch provider.Changes, accts []provider.Account) {
			want := []struct{ name, typ, currency, balance string }{
				{"The Bank", "checking", "USD", "7777.77"},
				{"My Checking", "checking", "USD", "12345.67"},
				{"PRIME SAVINGS", "savings", "EUR", "9876.54"},
				{"Costco Anywhere Visa® Card", "credit_card", "USD", "-532.69"},
				{"Dr Evil", "brokerage", "USD", "1000000"},
				{"NerdCorp Series B", "brokerage", "EUR", "13579.24"},
				{"Unicorn Pot", "checking", "USD", "10000"},
				{"Castle Mortgage", "mortgage", "USD", "7500"},
			}
			if len(ch.Accounts) != len(want) || len(accts) != len(want) {
				t.Fatalf("%d accounts", len(ch.Accounts))
			}
			for i, w := range want {
				a := ch.Accounts[i]
				if a.Name != w.name || a.Type != w.typ || a.Currency != w.currency || !a.Balance.Equal(money.MustParse(w.balance)) || !ch.Window.Incomplete[a.ID] {
					t.Errorf("account %d: %+v, want %+v", i, a, w)
				}
			}
			if ch.Accounts[0].Institution != "The Bank of Go" || !ch.Accounts[3].AvailableBalance.Amount.Equal(money.MustParse("4321.98")) {
				t.Fatalf("%+v", ch.Accounts[0])
			}
			if len(ch.Added) != 1 || ch.Added[0].Counterparty != "Uncle Frank" || ch.Added[0].Description != "Enchanted Bait Shop" ||
				ch.Added[0].Amount.String() != "-1234.56" || !ch.Added[0].Date.Equal(time.Unix(793090572, 0)) || ch.Added[0].AccountID != "ACT-1a2b3c4d-5e6f-7g8h-9i0j" {
				t.Fatalf("transactions %+v", ch.Added)
			}
			if len(ch.AccountErrors) != 2 || ch.AccountErrors[1].Message != "Connection to The Bank of Go may need attention" {
				t.Fatalf("errors %+v", ch.AccountErrors)
			}
		},
	}
	for name, check := range cases {
		t.Run(name, func(t *testing.T) {
			ch, accts, err, errAccts := serveCaptured(t, 0, readTestdata(t, name))
			if err != nil || errAccts != nil {
				t.Fatalf("%v / %v", err, errAccts)
			}
			if len(accts) != len(ch.Accounts) {
				t.Fatalf("Accounts gave %d, Transactions %d", len(accts), len(ch.Accounts))
			}
			check(t, ch, accts)
		})
	}
}

func TestCapturedFailures(t *testing.T) {
	t.Run("accounts-example-4-v2-errlist.json: con.auth needs reauthorization", func(t *testing.T) {
		_, _, err, errAccts := serveCaptured(t, 0, readTestdata(t, "accounts-example-4-v2-errlist.json"))
		for _, e := range []error{err, errAccts} {
			pe := wantCode(t, e, provider.CodeAuthExpired)
			if !strings.Contains(pe.Message, "Authentication required") || !strings.Contains(pe.Message, "My Bank - James") {
				t.Fatalf("%q", pe.Message)
			}
		}
	})
	t.Run("jeeftor__simplefin4py__402.json: payment required", func(t *testing.T) {
		_, _, err, errAccts := serveCaptured(t, http.StatusPaymentRequired, readTestdata(t, "jeeftor__simplefin4py__402.json"))
		for _, e := range []error{err, errAccts} {
			if pe := wantCode(t, e, provider.CodeBadData); !strings.Contains(pe.Message, "Payment required.") {
				t.Fatalf("%q", pe.Message)
			}
		}
	})
	t.Run("jeeftor__simplefin4py__403.txt: the HTML page means needs_reauth", func(t *testing.T) {
		_, _, err, errAccts := serveCaptured(t, http.StatusForbidden, readTestdata(t, "jeeftor__simplefin4py__403.txt"))
		for _, e := range []error{err, errAccts} {
			pe := wantCode(t, e, provider.CodeAuthRevoked)
			if strings.Contains(pe.Message, "<") || strings.Contains(pe.Message, "SimpleFIN Logo") {
				t.Fatalf("%q", pe.Message)
			}
		}
	})
	t.Run("errors-v2-examples.json", func(t *testing.T) {
		var list []map[string]any
		if err := json.Unmarshal(readTestdata(t, "errors-v2-examples.json"), &list); err != nil {
			t.Fatal(err)
		}
		acct := fakeAccount{connID: "CON-21983498-29349823984293842", id: "ACT-1982398-12398192839182398123", name: "Checking", currency: "USD", balance: "1", date: day(0)}
		want := []provider.Code{provider.CodeAuthRevoked, provider.CodeAuthExpired, ""}
		for i, e := range list {
			f := newFake(t)
			f.set(func(f *fakeBridge) { f.accounts, f.errlist = []fakeAccount{acct}, []map[string]any{e} })
			ch, _, err := adapter().Transactions(context.Background(), provider.Credentials{AccessURL: f.accessURL()}, provider.TransactionsRequest{From: time.Unix(day(-1), 0), To: testNow})
			if want[i] != "" {
				if pe := wantCode(t, err, want[i]); !strings.Contains(pe.Message, e["msg"].(string)) {
					t.Fatalf("%q", pe.Message)
				}
				continue
			}
			if err != nil || len(ch.AccountErrors) != 1 || ch.AccountErrors[0].Code != "act.failed" || ch.AccountErrors[0].AccountID != acct.id ||
				ch.AccountErrors[0].Message != "Failed to get all transactions. Try again later." || !ch.Window.Incomplete[acct.id] {
				t.Fatalf("act.failed: %v %+v %+v", err, ch.AccountErrors, ch.Window)
			}
		}
		// All three at once: gen.auth decides.
		f := newFake(t)
		f.set(func(f *fakeBridge) { f.accounts, f.errlist = []fakeAccount{acct}, list })
		_, _, err := adapter().Transactions(context.Background(), provider.Credentials{AccessURL: f.accessURL()}, provider.TransactionsRequest{From: time.Unix(day(-1), 0), To: testNow})
		wantCode(t, err, provider.CodeAuthRevoked)
	})
}

func TestCapturedPendingTransactionAndCustomCurrency(t *testing.T) {
	var tx map[string]any
	if err := json.Unmarshal(readTestdata(t, "transaction-example-pending.json"), &tx); err != nil {
		t.Fatal(err)
	}
	f := newFake(t)
	f.currencies["/currency/miles"] = string(readTestdata(t, "custom-currency-example.json"))
	body, _ := json.Marshal(map[string]any{
		"errlist": []any{}, "connections": []any{},
		"accounts": []any{map[string]any{
			"id": "miles-1", "name": "Frequent Flyer", "conn_id": "C", "currency": f.srv.URL + "/currency/miles",
			"balance": "25000", "balance-date": 978366153, "transactions": []any{tx},
		}},
	})
	f.set(func(f *fakeBridge) { f.body = body })
	ch, _, err := adapter().Transactions(context.Background(), provider.Credentials{AccessURL: f.accessURL()}, provider.TransactionsRequest{From: time.Unix(day(-1), 0), To: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Accounts) != 1 || ch.Accounts[0].Currency != "MILES" {
		t.Fatalf("custom currency: %+v", ch.Accounts)
	}
	if len(ch.Added) != 1 || !ch.Added[0].Pending || ch.Added[0].Amount.String() != "-33293.43" || !ch.Added[0].Date.Equal(time.Unix(793090572, 0)) {
		t.Fatalf("pending transaction: %+v", ch.Added)
	}
}
