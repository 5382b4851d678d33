package simplefin_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/modules/connections/internal/simplefin"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/money"
	"github.com/kontor-app/kontor/platform/outbound"
)

var testNow = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func day(n int) int64 { return testNow.Add(time.Duration(n) * 24 * time.Hour).Unix() }

// adapter returns an adapter whose client may reach the loopback fake.
func adapter(opts ...func(*outbound.Options)) *simplefin.Adapter {
	o := outbound.Options{AllowPrivateNetworks: true}
	for _, fn := range opts {
		fn(&o)
	}
	return simplefin.New(simplefin.Options{Client: outbound.New(o), Now: func() time.Time { return testNow }})
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func wantCode(t *testing.T, err error, code provider.Code) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("want provider error %s, got %v", code, err)
	}
	return pe
}

func noSecrets(t *testing.T, f *fakeBridge, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for _, secret := range []string{f.pass, "s3cr3t", "p%40ss", f.user} {
			if strings.Contains(s, secret) {
				t.Fatalf("text shows a credential (%q): %s", secret, s)
			}
		}
	}
}

func TestParseSetupToken(t *testing.T) {
	off := simplefin.New(simplefin.Options{Client: outbound.New(outbound.Options{})})
	on := adapter()
	cases := []struct {
		name   string
		a      *simplefin.Adapter
		token  string
		reason simplefin.TokenReason // "" = accepted
		url    string
	}{
		{"spec demo token", off, "aHR0cHM6Ly9icmlkZ2Uuc2ltcGxlZmluLm9yZy9zaW1wbGVmaW4vY2xhaW0vZGVtbw==", "", "https://bridge.simplefin.org/simplefin/claim/demo"},
		{"bridge demo token, no padding needed", off, "aHR0cHM6Ly9iZXRhLWJyaWRnZS5zaW1wbGVmaW4ub3JnL3NpbXBsZWZpbi9jbGFpbS9ERU1P", "", "https://beta-bridge.simplefin.org/simplefin/claim/DEMO"},
		{"pasted with spaces and line breaks", off, "  aHR0cHM6Ly9icmlkZ2Uuc2ltcGxlZmlu\nLm9yZy9zaW1wbGVmaW4vY2xhaW0vZGVtbw==\r\n", "", "https://bridge.simplefin.org/simplefin/claim/demo"},
		{"padding dropped", off, "aHR0cHM6Ly9icmlkZ2Uuc2ltcGxlZmluLm9yZy9zaW1wbGVmaW4vY2xhaW0vZGVtbw", "", "https://bridge.simplefin.org/simplefin/claim/demo"},
		{"empty", off, "  \n", simplefin.ReasonEmpty, ""},
		{"not base64", off, "this is not base64!", simplefin.ReasonNotBase64, ""},
		{"not base64 either", off, "aHR0cHM6Ly9*", simplefin.ReasonNotBase64, ""},
		{"binary", off, base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe, 0x00, 0x01}), simplefin.ReasonNotURL, ""},
		{"words", off, b64("hello world"), simplefin.ReasonNotURL, ""},
		{"relative URL", off, b64("/simplefin/claim/demo"), simplefin.ReasonNotURL, ""},
		{"mailto", off, b64("mailto:someone@example.com"), simplefin.ReasonNotURL, ""},
		{"userinfo", off, b64("https://a:b@bridge.simplefin.org/claim/x"), simplefin.ReasonNotURL, ""},
		{"http", off, b64("http://bridge.simplefin.org/simplefin/claim/demo"), simplefin.ReasonNotHTTPS, ""},
		{"ftp", off, b64("ftp://bridge.simplefin.org/simplefin/claim/demo"), simplefin.ReasonNotHTTPS, ""},
		{"loopback", off, b64("https://127.0.0.1/simplefin/claim/x"), simplefin.ReasonPrivateAddress, ""},
		{"metadata address", off, b64("https://169.254.169.254/latest/meta-data/"), simplefin.ReasonPrivateAddress, ""},
		{"IPv6 loopback", off, b64("https://[::1]:8443/claim/x"), simplefin.ReasonPrivateAddress, ""},
		{"IPv4-mapped loopback", off, b64("https://[::ffff:127.0.0.1]/claim/x"), simplefin.ReasonPrivateAddress, ""},
		{"private", off, b64("https://10.1.2.3/claim/x"), simplefin.ReasonPrivateAddress, ""},
		{"localhost", off, b64("https://localhost:9999/claim/x"), simplefin.ReasonPrivateAddress, ""},
		{"http allowed with private networks on", on, b64("http://127.0.0.1:9999/simplefin/claim/x"), "", "http://127.0.0.1:9999/simplefin/claim/x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := tc.a.ParseSetupToken(tc.token)
			if tc.reason == "" {
				if err != nil || u.String() != tc.url {
					t.Fatalf("got %v, %v; want %s", u, err, tc.url)
				}
				return
			}
			var te *simplefin.TokenError
			if !errors.As(err, &te) || te.Reason != tc.reason {
				t.Fatalf("got %v; want reason %s", err, tc.reason)
			}
			if strings.TrimSpace(tc.token) != "" && strings.Contains(te.Message, strings.TrimSpace(tc.token)) {
				t.Fatalf("the message repeats the token: %s", te.Message)
			}
			ae, ok := apperr.As(err)
			if !ok || ae.Code != apperr.ValidationFailed || apperr.Status(ae.Code) != http.StatusUnprocessableEntity ||
				len(ae.Fields) != 1 || ae.Fields[0].Field != "setup_token" || ae.Message != te.Message {
				t.Fatalf("apperr view: %+v", ae)
			}
		})
	}
}

func TestClaimIsSingleUseAndSaysCompromised(t *testing.T) {
	f := newFake(t)
	a := adapter()
	tok := f.token("abc123")
	creds, err := a.Claim(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessURL != f.accessURL() || creds.AccessToken != "" {
		t.Fatalf("credentials: %+v", creds)
	}
	if len(f.claims) != 1 || f.claims[0].method != http.MethodPost || f.claims[0].contentLength != "0" || f.claims[0].bodyLen != 0 || f.claims[0].code != "abc123" {
		t.Fatalf("claim request: %+v", f.claims)
	}

	_, err = a.Claim(context.Background(), tok)
	pe := wantCode(t, err, provider.CodeTokenCompromised)
	if !strings.Contains(pe.Message, "compromised") || !strings.Contains(pe.Message, "claimed by someone else") || !strings.Contains(pe.Message, "disable") {
		t.Fatalf("the words SimpleFIN asks for are missing: %s", pe.Message)
	}
	// A token the server never issued is refused the same way.
	_, err = a.Claim(context.Background(), b64(f.srv.URL+"/simplefin/claim/never-issued"))
	wantCode(t, err, provider.CodeTokenCompromised)
}

func TestClaimFailures(t *testing.T) {
	cases := []struct {
		name   string
		status int
		header http.Header
		body   string
		check  func(t *testing.T, err error)
	}{
		{"server error", 502, nil, "bad gateway", func(t *testing.T, err error) { wantCode(t, err, provider.CodeProviderUnavailable) }},
		{"rate limited", 429, http.Header{"Retry-After": {"90"}}, "", func(t *testing.T, err error) {
			if pe := wantCode(t, err, provider.CodeRateLimited); pe.RetryAfter != 90*time.Second {
				t.Fatalf("retry after %s", pe.RetryAfter)
			}
		}},
		{"not a claim endpoint", 404, nil, "not found", func(t *testing.T, err error) {
			var te *simplefin.TokenError
			if !errors.As(err, &te) || te.Reason != simplefin.ReasonNotClaimable || !strings.Contains(te.Message, "404") {
				t.Fatalf("got %v", err)
			}
		}},
		{"garbage instead of an access URL", 200, nil, "<html>hello</html>", func(t *testing.T, err error) { wantCode(t, err, provider.CodeBadData) }},
		{"access URL without password", 200, nil, "https://bridge.example.com/simplefin", func(t *testing.T, err error) { wantCode(t, err, provider.CodeBadData) }},
		{"access URL over ftp", 200, nil, "ftp://u:p@bridge.example.com/simplefin", func(t *testing.T, err error) { wantCode(t, err, provider.CodeBadData) }},
		{"huge answer", 200, nil, strings.Repeat("x", 20000), func(t *testing.T, err error) { wantCode(t, err, provider.CodeBadData) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.set(func(f *fakeBridge) {
				f.header = tc.header
				f.claimBody = tc.body
				if tc.status != 200 {
					f.claimStatus = tc.status
				}
			})
			_, err := adapter().Claim(context.Background(), f.token("t1"))
			tc.check(t, err)
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		f := newFake(t)
		tok := f.token("t1")
		f.srv.Close()
		_, err := adapter().Claim(context.Background(), tok)
		pe := wantCode(t, err, provider.CodeProviderUnavailable)
		if strings.Contains(pe.Error(), "/claim/t1") {
			t.Fatalf("the error shows the claim code: %v", pe)
		}
	})
}

// TestSetupTokenToLoopbackRefusedWhenOff: with KONTOR_PROVIDERS_ALLOW_PRIVATE_NETWORKS
// off, a setup token naming the loopback fake (or the metadata address) is refused
// and nothing is claimed; the same token is claimed when the setting is on.
func TestSetupTokenToLoopbackRefusedWhenOff(t *testing.T) {
	f := newFake(t)
	off := simplefin.New(simplefin.Options{Client: outbound.New(outbound.Options{})})
	f.token("code1")
	httpsTok := b64(strings.Replace(f.srv.URL, "http://", "https://", 1) + "/simplefin/claim/code1")
	for tok, want := range map[string]simplefin.TokenReason{
		f.token("code1"): simplefin.ReasonNotHTTPS, // the fake's own http URL
		httpsTok:         simplefin.ReasonPrivateAddress,
		b64("https://169.254.169.254/simplefin/claim/code1"): simplefin.ReasonPrivateAddress,
		b64("https://[::1]/simplefin/claim/code1"):           simplefin.ReasonPrivateAddress,
	} {
		_, err := off.Claim(context.Background(), tok)
		var te *simplefin.TokenError
		if !errors.As(err, &te) || te.Reason != want {
			t.Errorf("token %s: %v, want %s", tok, err, want)
		}
	}
	if len(f.claims) != 0 {
		t.Fatalf("a refused token reached the server: %+v", f.claims)
	}
	// An access URL on loopback is refused too when the setting is off.
	_, _, err := off.Accounts(context.Background(), provider.Credentials{AccessURL: strings.Replace(f.accessURL(), "http://", "https://", 1)})
	pe := wantCode(t, err, provider.CodeBadData)
	if !errors.Is(err, outbound.ErrForbiddenAddress) {
		t.Fatalf("not typed as a forbidden address: %v", err)
	}
	noSecrets(t, f, pe.Error())
	if f.authOK != 0 || len(f.calls()) != 0 {
		t.Fatal("the refused access URL reached the server")
	}
	if _, err := adapter().Claim(context.Background(), f.token("code1")); err != nil {
		t.Fatalf("with private networks on: %v", err)
	}
}

func standardFake(t *testing.T) *fakeBridge {
	f := newFake(t)
	f.accounts = []fakeAccount{
		{connID: "CON-1", id: "ACT-chk", name: "Everyday Checking", currency: "USD", balance: "1520.07", avail: "1400.00", date: day(0), txs: []fakeTx{
			{id: "t-first", posted: day(-150), amount: "-10.00", description: "At the very start"},
			{id: "t-boundary", posted: day(-90), amount: "2500.00", description: "Salary on a window boundary", payee: "ACME Corp"},
			{id: "t-number", posted: day(-40), amount: json.Number("-12.34"), description: "Amount sent as a JSON number"},
			{id: "t-tiny", posted: day(-3), amount: "0.000000000000000001", description: "Eighteen decimals"},
			{id: "t-end", posted: day(0), amount: "-1.00", description: "On end-date, excluded"},
			{id: "t-pending", posted: 0, amount: "-45.67", description: "Coffee (pending)", transactedAt: day(-1), pending: true},
			{id: "t-posted-zero", posted: 0, amount: "-3.00", description: "Posted 0 without the flag", transactedAt: day(-2)},
		}},
		{connID: "CON-1", id: "ACT-card", name: "Rewards Visa", currency: "usd", balance: "-532.69", date: day(-1), txs: []fakeTx{
			{id: "c-1", posted: day(-20), amount: "-99.99", description: "Groceries", transactedAt: day(-22)},
			{id: "c-pending", posted: day(-2), amount: "-5.00", description: "Pending with a posted time", pending: true},
		}},
	}
	f.conns = []map[string]any{{"conn_id": "CON-1", "name": "Fake Bank - Jo", "org_id": "ORG-1", "org_name": "Fake Bank", "sfin_url": f.srv.URL + "/simplefin"}}
	return f
}

func TestAccounts(t *testing.T) {
	f := standardFake(t)
	a := adapter()
	creds, err := a.Claim(context.Background(), f.token("x"))
	if err != nil {
		t.Fatal(err)
	}
	accts, fresh, err := a.Accounts(context.Background(), creds)
	if err != nil {
		t.Fatal(err)
	}
	if !fresh.IsZero() {
		t.Fatal("SimpleFIN credentials never change")
	}
	calls := f.calls()
	if len(calls) != 1 || calls[0].Get("version") != "2" || calls[0].Get("balances-only") != "1" || f.authOK != 1 {
		t.Fatalf("requests: %v (authenticated %d)", calls, f.authOK)
	}
	if len(accts) != 2 {
		t.Fatalf("accounts: %+v", accts)
	}
	chk, card := accts[0], accts[1]
	if chk.ID != "ACT-chk" || chk.Name != "Everyday Checking" || chk.Type != "checking" || chk.Currency != "USD" ||
		!chk.Balance.Equal(money.MustParse("1520.07")) || !chk.AvailableBalance.Valid || !chk.AvailableBalance.Amount.Equal(money.MustParse("1400")) ||
		!chk.BalanceDate.Equal(testNow) || chk.Institution != "Fake Bank" {
		t.Fatalf("checking: %+v", chk)
	}
	if card.Type != "credit_card" || card.Currency != "USD" || !card.Balance.Equal(money.MustParse("-532.69")) || card.AvailableBalance.Valid {
		t.Fatalf("card: %+v", card)
	}
}

func TestTransactionsChunkedBackfill(t *testing.T) {
	f := standardFake(t)
	f.maxWindow = int64(60 * 24 * 3600)
	a := adapter()
	creds := provider.Credentials{AccessURL: f.accessURL()}
	from, to := time.Unix(day(-150), 0), time.Unix(day(0), 0)
	ch, fresh, err := a.Transactions(context.Background(), creds, provider.TransactionsRequest{From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	if !fresh.IsZero() {
		t.Fatal("fresh credentials")
	}
	calls := f.calls()
	if len(calls) != 3 {
		t.Fatalf("150 days in windows of 60 days took %d requests: %v", len(calls), calls)
	}
	wantWindows := [][2]int64{{day(-150), day(-90)}, {day(-90), day(-30)}, {day(-30), day(0)}}
	for i, q := range calls {
		if q.Get("version") != "2" || q.Get("pending") != "1" || q.Get("start-date") != fmt.Sprint(wantWindows[i][0]) || q.Get("end-date") != fmt.Sprint(wantWindows[i][1]) {
			t.Fatalf("request %d: %v, want window %v", i, q, wantWindows[i])
		}
	}
	got := map[string]provider.Transaction{}
	for _, tx := range ch.Added {
		if _, dup := got[tx.AccountID+"/"+tx.ID]; dup {
			t.Fatalf("transaction %s returned twice", tx.ID)
		}
		got[tx.AccountID+"/"+tx.ID] = tx
	}
	if len(got) != 8 {
		t.Fatalf("transactions: %d %+v", len(got), ch.Added)
	}
	if _, ok := got["ACT-chk/t-end"]; ok {
		t.Fatal("a transaction posted on end-date was included")
	}
	if tx := got["ACT-chk/t-first"]; !tx.Date.Equal(time.Unix(day(-150), 0)) || tx.Pending {
		t.Fatalf("start-date is inclusive: %+v", tx)
	}
	if tx := got["ACT-chk/t-boundary"]; !tx.Amount.Equal(money.MustParse("2500")) || tx.Counterparty != "ACME Corp" || tx.Description != "Salary on a window boundary" {
		t.Fatalf("boundary: %+v", tx)
	}
	if tx := got["ACT-chk/t-number"]; tx.Amount.String() != "-12.34" {
		t.Fatalf("JSON number amount: %s", tx.Amount)
	}
	if tx := got["ACT-chk/t-tiny"]; tx.Amount.String() != "0.000000000000000001" {
		t.Fatalf("exact amount: %s", tx.Amount)
	}
	if tx := got["ACT-chk/t-pending"]; !tx.Pending || !tx.Date.Equal(time.Unix(day(-1), 0)) || !tx.Amount.Equal(money.MustParse("-45.67")) {
		t.Fatalf("pending with posted 0: %+v", tx)
	}
	if tx := got["ACT-chk/t-posted-zero"]; !tx.Pending || !tx.Date.Equal(time.Unix(day(-2), 0)) {
		t.Fatalf("posted 0 means pending: %+v", tx)
	}
	if tx := got["ACT-card/c-pending"]; !tx.Pending || !tx.Date.Equal(time.Unix(day(-2), 0)) {
		t.Fatalf("pending flag: %+v", tx)
	}
	if tx := got["ACT-card/c-1"]; tx.Pending || !tx.Date.Equal(time.Unix(day(-20), 0)) {
		t.Fatalf("posted transactions are dated by posted: %+v", tx)
	}
	if len(ch.Accounts) != 2 || ch.Accounts[0].ID != "ACT-chk" || ch.Accounts[1].Type != "credit_card" {
		t.Fatalf("accounts with the transactions: %+v", ch.Accounts)
	}
	if ch.Window == nil || !ch.Window.From.Equal(from) || !ch.Window.To.Equal(to) || len(ch.Window.Incomplete) != 0 || len(ch.AccountErrors) != 0 {
		t.Fatalf("window: %+v errors %+v", ch.Window, ch.AccountErrors)
	}

	// Without chunking the fake refuses the long window: the adapter must not ask for it.
	f.set(func(f *fakeBridge) { f.accountsCalls = nil })
	wide := simplefin.New(simplefin.Options{Client: outbound.New(outbound.Options{AllowPrivateNetworks: true}), MaxWindow: 200 * 24 * time.Hour, Now: func() time.Time { return testNow }})
	_, _, err = wide.Transactions(context.Background(), creds, provider.TransactionsRequest{From: from, To: to})
	wantCode(t, err, provider.CodeBadData) // gen.api: the fake's own window limit, proving it is enforced
}

func TestTransactionsDefaults(t *testing.T) {
	f := standardFake(t)
	ch, _, err := adapter().Transactions(context.Background(), provider.Credentials{AccessURL: f.accessURL()}, provider.TransactionsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	calls := f.calls()
	// 90 days back from now, in windows of at most 60 days.
	if len(calls) != 2 || calls[0].Get("start-date") != fmt.Sprint(day(-90)) || calls[1].Get("end-date") != fmt.Sprint(day(0)) {
		t.Fatalf("default window requests: %v", calls)
	}
	if !ch.Window.From.Equal(time.Unix(day(-90), 0)) || !ch.Window.To.Equal(testNow) {
		t.Fatalf("window %+v", ch.Window)
	}
	// A To with a fraction of a second is rounded up, since end-date is exclusive.
	f.set(func(f *fakeBridge) { f.accountsCalls = nil })
	to := testNow.Add(500 * time.Millisecond)
	if _, _, err := adapter().Transactions(context.Background(), provider.Credentials{AccessURL: f.accessURL()}, provider.TransactionsRequest{From: to.Add(-time.Hour), To: to}); err != nil {
		t.Fatal(err)
	}
	if got := f.calls()[0].Get("end-date"); got != fmt.Sprint(testNow.Unix()+1) {
		t.Fatalf("end-date %s", got)
	}
	if _, _, err := adapter().Transactions(context.Background(), provider.Credentials{AccessURL: f.accessURL()}, provider.TransactionsRequest{From: testNow, To: testNow}); err == nil {
		t.Fatal("an empty window was accepted")
	}
}

func TestAccountSetErrors(t *testing.T) {
	type check func(t *testing.T, ch provider.Changes, err error)
	fatal := func(code provider.Code, words ...string) check {
		return func(t *testing.T, _ provider.Changes, err error) {
			pe := wantCode(t, err, code)
			for _, w := range words {
				if !strings.Contains(pe.Message, w) {
					t.Fatalf("message %q lacks %q", pe.Message, w)
				}
			}
		}
	}
	cases := []struct {
		name    string
		errlist []map[string]any
		v1      []string
		check   check
	}{
		{"gen.auth", []map[string]any{{"code": "gen.auth", "msg": "No credentials provided"}}, nil, fatal(provider.CodeAuthRevoked, "No credentials provided")},
		{"con.auth", []map[string]any{{"code": "con.auth", "msg": "Authentication failed for Fake Bank", "conn_id": "CON-1"}}, nil,
			fatal(provider.CodeAuthExpired, "Authentication failed for Fake Bank", "Fake Bank - Jo")},
		{"gen.auth outranks act.failed", []map[string]any{{"code": "act.failed", "msg": "x", "account_id": "ACT-chk"}, {"code": "gen.auth", "msg": "Bad"}}, nil, fatal(provider.CodeAuthRevoked, "Bad")},
		{"gen.api", []map[string]any{{"code": "gen.api", "msg": "Unknown parameter"}}, nil, fatal(provider.CodeBadData, "Unknown parameter")},
		{"act.missingdata", []map[string]any{{"code": "act.missingdata", "msg": "Incomplete <b>listing</b>", "account_id": "ACT-card"}}, nil,
			func(t *testing.T, ch provider.Changes, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if len(ch.AccountErrors) != 1 || ch.AccountErrors[0] != (provider.AccountError{AccountID: "ACT-card", Code: "act.missingdata", Message: "Incomplete <b>listing</b>"}) {
					t.Fatalf("account errors %+v", ch.AccountErrors)
				}
				if !ch.Window.Incomplete["ACT-card"] || ch.Window.Incomplete["ACT-chk"] || len(ch.Added) == 0 {
					t.Fatalf("incomplete %+v, %d transactions", ch.Window.Incomplete, len(ch.Added))
				}
			}},
		{"unknown act subcode is act.", []map[string]any{{"code": "act.weird", "msg": "Odd", "account_id": "ACT-chk"}}, nil,
			func(t *testing.T, ch provider.Changes, err error) {
				if err != nil || len(ch.AccountErrors) != 1 || ch.AccountErrors[0].Code != "act." || !ch.Window.Incomplete["ACT-chk"] {
					t.Fatalf("%v %+v %+v", err, ch.AccountErrors, ch.Window)
				}
			}},
		{"con. other marks the connection's accounts", []map[string]any{{"code": "con.slow", "msg": "Slow bank", "conn_id": "CON-1"}}, nil,
			func(t *testing.T, ch provider.Changes, err error) {
				if err != nil || len(ch.AccountErrors) != 2 || ch.AccountErrors[0].Code != "con." || !ch.Window.Incomplete["ACT-chk"] || !ch.Window.Incomplete["ACT-card"] {
					t.Fatalf("%v %+v %+v", err, ch.AccountErrors, ch.Window)
				}
			}},
		{"unknown prefix is gen.", []map[string]any{{"code": "zzz.top", "msg": "Something"}}, nil,
			func(t *testing.T, ch provider.Changes, err error) {
				if err != nil || len(ch.AccountErrors) != 1 || ch.AccountErrors[0] != (provider.AccountError{Code: "gen.", Message: "Something"}) || len(ch.Window.Incomplete) != 2 {
					t.Fatalf("%v %+v %+v", err, ch.AccountErrors, ch.Window)
				}
			}},
		{"message spelled message, control characters dropped", []map[string]any{{"code": "act.failed", "message": "Try\x00 again\nlater", "account_id": "ACT-chk"}}, nil,
			func(t *testing.T, ch provider.Changes, err error) {
				if err != nil || len(ch.AccountErrors) != 1 || ch.AccountErrors[0].Message != "Try again later" {
					t.Fatalf("%v %+v", err, ch.AccountErrors)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := standardFake(t)
			f.errlist = tc.errlist
			ch, _, err := adapter().Transactions(context.Background(), provider.Credentials{AccessURL: f.accessURL()}, provider.TransactionsRequest{From: time.Unix(day(-30), 0), To: testNow})
			tc.check(t, ch, err)
		})
	}
}

func TestVersion1Body(t *testing.T) {
	// A server that ignores version=2 answers the version 1 shape: errors strings and org.
	f := standardFake(t)
	f.v1errors = []string{"Connection to Fake Bank may need attention"}
	// The fake answers version 1 without version=2; serve that body to the adapter's
	// version=2 requests, as an old server would.
	v1 := adapterV1Body(t, f)
	f.set(func(f *fakeBridge) { f.body = v1 })
	ch, _, err := adapter().Transactions(context.Background(), provider.Credentials{AccessURL: f.accessURL()}, provider.TransactionsRequest{From: time.Unix(day(-30), 0), To: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.AccountErrors) != 1 || ch.AccountErrors[0] != (provider.AccountError{Code: "gen.", Message: "Connection to Fake Bank may need attention"}) {
		t.Fatalf("v1 errors: %+v", ch.AccountErrors)
	}
	if !ch.Window.Incomplete["ACT-chk"] || !ch.Window.Incomplete["ACT-card"] {
		t.Fatalf("v1 errors name no account, so every account is incomplete: %+v", ch.Window)
	}
	if len(ch.Accounts) != 2 || ch.Accounts[0].Institution != "Fake Bank" {
		t.Fatalf("v1 accounts: %+v", ch.Accounts)
	}
}

// adapterV1Body asks the fake for its version 1 answer.
func adapterV1Body(t *testing.T, f *fakeBridge) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/simplefin/accounts?pending=1", nil)
	req.SetBasicAuth(f.user, f.pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "errlist") || !strings.Contains(string(raw), `"org"`) {
		t.Fatalf("not a v1 body: %s", raw)
	}
	f.set(func(f *fakeBridge) { f.accountsCalls, f.authOK = nil, 0 })
	return raw
}

func TestHTTPFailures(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(f *fakeBridge)
		code   provider.Code
		retry  time.Duration
		words  string
		opts   func(*outbound.Options)
		errors error
	}{
		{name: "wrong password: the Bridge's HTML 403", setup: func(f *fakeBridge) { f.pass = "rotated" }, code: provider.CodeAuthRevoked, words: "revoked"},
		{name: "402 payment required", setup: func(f *fakeBridge) {
			f.status = 402
			f.body = []byte(`{"errors":["Payment required."],"accounts":[]}`)
		}, code: provider.CodeBadData, words: "Payment required."},
		{name: "402 without a body", setup: func(f *fakeBridge) { f.status = 402 }, code: provider.CodeBadData, words: "Payment required."},
		{name: "500", setup: func(f *fakeBridge) { f.status = 500 }, code: provider.CodeProviderUnavailable},
		{name: "503 with Retry-After", setup: func(f *fakeBridge) { f.status = 503; f.header = http.Header{"Retry-After": {"120"}} }, code: provider.CodeProviderUnavailable, retry: 2 * time.Minute},
		{name: "429 with Retry-After seconds", setup: func(f *fakeBridge) { f.status = 429; f.header = http.Header{"Retry-After": {"30"}} }, code: provider.CodeRateLimited, retry: 30 * time.Second},
		{name: "429 with Retry-After date", setup: func(f *fakeBridge) {
			f.status = 429
			f.header = http.Header{"Retry-After": {testNow.Add(10 * time.Minute).Format(http.TimeFormat)}}
		}, code: provider.CodeRateLimited, retry: 10 * time.Minute},
		{name: "429 without Retry-After", setup: func(f *fakeBridge) { f.status = 429 }, code: provider.CodeRateLimited, retry: time.Hour},
		{name: "404", setup: func(f *fakeBridge) { f.status = 404 }, code: provider.CodeBadData, words: "404"},
		{name: "not JSON", setup: func(f *fakeBridge) { f.body = []byte("<html>hello</html>") }, code: provider.CodeBadData},
		{name: "truncated JSON", setup: func(f *fakeBridge) { f.body = []byte(`{"errlist":[],"accounts":[{"id":"a"`) }, code: provider.CodeBadData},
		{name: "no accounts member", setup: func(f *fakeBridge) { f.body = []byte(`{"errlist":[]}`) }, code: provider.CodeBadData, words: "without accounts"},
		{name: "amount not a decimal", setup: func(f *fakeBridge) {
			f.body = []byte(`{"errlist":[],"accounts":[{"id":"a","name":"Main","currency":"USD","balance":"1.00","balance-date":1,"transactions":[{"id":"t","posted":1,"amount":"12.3.4","description":"x"}]}]}`)
		}, code: provider.CodeBadData, words: `"Main"`},
		{name: "balance not a decimal", setup: func(f *fakeBridge) {
			f.body = []byte(`{"errlist":[],"accounts":[{"id":"a","name":"Main","currency":"USD","balance":"abc","balance-date":1}]}`)
		}, code: provider.CodeBadData, words: "balance"},
		{name: "amount a boolean", setup: func(f *fakeBridge) {
			f.body = []byte(`{"errlist":[],"accounts":[{"id":"a","name":"Main","currency":"USD","balance":true,"balance-date":1}]}`)
		}, code: provider.CodeBadData},
		{name: "account without id", setup: func(f *fakeBridge) {
			f.body = []byte(`{"errlist":[],"accounts":[{"name":"Main","currency":"USD","balance":"1","balance-date":1}]}`)
		}, code: provider.CodeBadData},
		{name: "currency nonsense", setup: func(f *fakeBridge) {
			f.body = []byte(`{"errlist":[],"accounts":[{"id":"a","name":"Main","currency":"US Dollars","balance":"1","balance-date":1}]}`)
		}, code: provider.CodeBadData, words: "currency"},
		{name: "response over the size limit", setup: func(f *fakeBridge) {
			f.body = []byte(`{"errlist":[],"accounts":[],"pad":"` + strings.Repeat("x", 5000) + `"}`)
		}, opts: func(o *outbound.Options) { o.MaxResponseBytes = 1024 }, code: provider.CodeBadData, errors: outbound.ErrResponseTooLarge},
		{name: "redirect loop", setup: func(f *fakeBridge) {
			f.status = http.StatusFound
			f.header = http.Header{"Location": {"/simplefin/accounts"}}
		}, code: provider.CodeBadData, errors: outbound.ErrTooManyRedirects},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := standardFake(t)
			access := f.accessURL()
			f.set(tc.setup)
			var opts []func(*outbound.Options)
			if tc.opts != nil {
				opts = append(opts, tc.opts)
			}
			a := adapter(opts...)
			creds := provider.Credentials{AccessURL: access}
			_, _, err := a.Transactions(context.Background(), creds, provider.TransactionsRequest{From: time.Unix(day(-10), 0), To: testNow})
			pe := wantCode(t, err, tc.code)
			if tc.retry != 0 && pe.RetryAfter != tc.retry {
				t.Fatalf("retry after %s, want %s", pe.RetryAfter, tc.retry)
			}
			if tc.words != "" && !strings.Contains(pe.Message, tc.words) {
				t.Fatalf("message %q lacks %q", pe.Message, tc.words)
			}
			if tc.errors != nil && !errors.Is(err, tc.errors) {
				t.Fatalf("not %v: %v", tc.errors, err)
			}
			// No markup from the server reaches a message (the 403 page's included).
			if strings.Contains(pe.Message, "<") || strings.Contains(pe.Message, "Forbidden - ") {
				t.Fatalf("markup in the message: %q", pe.Message)
			}
			noSecrets(t, f, pe.Error(), pe.Message)
			// Accounts maps the same way.
			_, _, err = a.Accounts(context.Background(), creds)
			wantCode(t, err, tc.code)
		})
	}
}

func TestTimeoutAndUnreachableAreUnavailable(t *testing.T) {
	f := standardFake(t)
	release := make(chan struct{})
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	a := adapter(func(o *outbound.Options) { o.ResponseHeaderTimeout = 50 * time.Millisecond })
	_, _, err := a.Accounts(context.Background(), provider.Credentials{AccessURL: f.accessURL()})
	pe := wantCode(t, err, provider.CodeProviderUnavailable)
	noSecrets(t, f, pe.Error())

	f2 := standardFake(t)
	access := f2.accessURL()
	f2.srv.Close()
	_, _, err = adapter().Accounts(context.Background(), provider.Credentials{AccessURL: access})
	pe = wantCode(t, err, provider.CodeProviderUnavailable)
	noSecrets(t, f2, pe.Error())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := adapter().Accounts(ctx, provider.Credentials{AccessURL: access}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled call: %v", err)
	}
}

func TestBadStoredAccessURL(t *testing.T) {
	for _, s := range []string{"", "not a url", "https://bridge.example.com/simplefin", "ftp://u:p@bridge.example.com/"} {
		_, _, err := adapter().Accounts(context.Background(), provider.Credentials{AccessURL: s})
		pe := wantCode(t, err, provider.CodeAuthRevoked)
		if s != "" && strings.Contains(pe.Error(), s) {
			t.Fatalf("the error quotes the stored URL: %v", pe)
		}
	}
}

func TestCustomCurrency(t *testing.T) {
	f := standardFake(t)
	f.currencies["/currency/miles"] = `{"name":"Example Airline Miles","abbr":"miles"}`
	f.currencies["/currency/plane"] = `{"name":"Planes","abbr":"✈"}`
	f.accounts = []fakeAccount{{id: "m", name: "Miles", currency: f.srv.URL + "/currency/miles", balance: "12000", date: day(0)}}
	a := adapter()
	accts, _, err := a.Accounts(context.Background(), provider.Credentials{AccessURL: f.accessURL()})
	if err != nil || len(accts) != 1 || accts[0].Currency != "MILES" {
		t.Fatalf("custom currency: %+v %v", accts, err)
	}
	for _, cur := range []string{f.srv.URL + "/currency/plane", f.srv.URL + "/currency/missing", "https://169.254.169.254/currency"} {
		f.set(func(f *fakeBridge) { f.accounts[0].currency = cur })
		_, _, err := a.Accounts(context.Background(), provider.Credentials{AccessURL: f.accessURL()})
		pe := wantCode(t, err, provider.CodeBadData)
		if !strings.Contains(pe.Message, "custom currency") {
			t.Fatalf("%s: %q", cur, pe.Message)
		}
	}
}

func TestDuplicateAccountIDsAcrossConnections(t *testing.T) {
	f := standardFake(t)
	f.accounts = append(f.accounts, fakeAccount{connID: "CON-2", id: "ACT-chk", name: "Other Bank Checking", currency: "USD", balance: "5", date: day(0)})
	f.errlist = []map[string]any{{"code": "act.failed", "msg": "Try later", "conn_id": "CON-2", "account_id": "ACT-chk"}}
	ch, _, err := adapter().Transactions(context.Background(), provider.Credentials{AccessURL: f.accessURL()}, provider.TransactionsRequest{From: time.Unix(day(-10), 0), To: testNow})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, a := range ch.Accounts {
		ids = append(ids, a.ID)
	}
	if strings.Join(ids, ",") != "CON-1/ACT-chk,ACT-card,CON-2/ACT-chk" {
		t.Fatalf("ids %v", ids)
	}
	if len(ch.AccountErrors) != 1 || ch.AccountErrors[0].AccountID != "CON-2/ACT-chk" || !ch.Window.Incomplete["CON-2/ACT-chk"] || ch.Window.Incomplete["CON-1/ACT-chk"] {
		t.Fatalf("errors %+v window %+v", ch.AccountErrors, ch.Window)
	}
	for _, tx := range ch.Added {
		if tx.AccountID == "ACT-chk" {
			t.Fatalf("transaction under the ambiguous id: %+v", tx)
		}
	}
}

func TestAccountType(t *testing.T) {
	neg, pos := money.MustParse("-1"), money.MustParse("1")
	cases := []struct {
		name     string
		balance  money.Amount
		holdings bool
		want     string
	}{
		{"Costco Anywhere Visa® Card", neg, false, "credit_card"},
		{"Sapphire Credit", pos, false, "credit_card"},
		{"Navy Federal Credit Union Checking", pos, false, "checking"},
		{"Credit Union Share Savings", pos, false, "savings"},
		{"PRIME SAVINGS", pos, false, "savings"},
		{"My Checking", pos, false, "checking"},
		{"Castle Mortgage", pos, false, "mortgage"},
		{"Home Equity Line of Credit", neg, false, "line_of_credit"},
		{"Auto Loan", neg, false, "loan"},
		{"Roth IRA", pos, false, "roth_ira"},
		{"Traditional IRA", pos, false, "ira"},
		{"SEP IRA", pos, false, "sep_ira"},
		{"Company 401(k)", pos, false, "401k"},
		{"403b Plan", pos, false, "403b"},
		{"HSA", pos, false, "hsa"},
		{"529 College", pos, false, "education"},
		{"Individual Brokerage", pos, false, "brokerage"},
		{"Dr Evil", pos, true, "brokerage"},
		{"Coinbase", pos, false, "crypto"},
		{"Money Market", pos, false, "money_market"},
		{"12 Month CD", pos, false, "cd"},
		{"Family Trust", pos, false, "trust"},
		{"PayPal", pos, false, "ewallet"},
		{"Unicorn Pot", pos, false, "checking"},
		{"Unicorn Pot", neg, false, "credit_card"},
		{"Discover Savings", pos, false, "savings"},
	}
	for _, tc := range cases {
		if got := simplefin.AccountType(tc.name, tc.balance, tc.holdings); got != tc.want {
			t.Errorf("AccountType(%q, %s, %v) = %s, want %s", tc.name, tc.balance, tc.holdings, got, tc.want)
		}
	}
}

func TestInfo(t *testing.T) {
	info := adapter().Info()
	if info.Slug != "simplefin" || info.AuthKind != provider.AuthSetupToken || info.Name == "" {
		t.Fatalf("%+v", info)
	}
	creds, err := adapter().Refresh(context.Background(), provider.Credentials{AccessURL: "https://u:p@x/"})
	if err != nil || !creds.IsZero() {
		t.Fatalf("refresh: %+v %v", creds, err)
	}
}
