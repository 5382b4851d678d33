package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/modules/sandbox"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/money"
)

type txn struct {
	ID                   string  `json:"id"`
	AccountID            string  `json:"account_id"`
	Amount               string  `json:"amount"`
	Date                 string  `json:"date"`
	Description          string  `json:"description"`
	Pending              bool    `json:"pending"`
	PendingTransactionID *string `json:"pending_transaction_id"`
}

type page struct {
	Added    []txn `json:"added"`
	Modified []txn `json:"modified"`
	Removed  []struct {
		ID        string `json:"id"`
		AccountID string `json:"account_id"`
	} `json:"removed"`
	NextCursor string `json:"next_cursor"`
	HasMore    bool   `json:"has_more"`
}

type account struct {
	ID               string  `json:"id"`
	Name             string  `json:"name"`
	Type             string  `json:"type"`
	Currency         string  `json:"currency"`
	Mask             string  `json:"mask"`
	Balance          string  `json:"balance"`
	AvailableBalance *string `json:"available_balance"`
	BalanceDate      string  `json:"balance_date"`
}

// feed is a client's copy of the bank's transactions, kept by the change feed.
type feed struct {
	cursor string
	txns   map[string]txn
	pages  int
	// last holds what the last drain reported.
	added, modified []txn
	removed         []string
}

func (b *bank) drain(f *feed, access string, count int) {
	b.t.Helper()
	if f.txns == nil {
		f.txns = map[string]txn{}
	}
	f.added, f.modified, f.removed = nil, nil, nil
	for {
		q := url.Values{"count": {strconv.Itoa(count)}}
		if f.cursor != "" {
			q.Set("cursor", f.cursor)
		}
		r := b.get("/sandbox/api/transactions/sync?"+q.Encode(), access)
		if r.Status != http.StatusOK {
			b.t.Fatalf("sync: %d %s", r.Status, r.Body)
		}
		var p page
		if err := json.Unmarshal(r.Body, &p); err != nil {
			b.t.Fatal(err)
		}
		if len(p.Added)+len(p.Modified)+len(p.Removed) > count {
			b.t.Fatalf("page of %d changes, asked for %d", len(p.Added)+len(p.Modified)+len(p.Removed), count)
		}
		f.pages++
		for _, t := range p.Added {
			if _, dup := f.txns[t.ID]; dup {
				b.t.Fatalf("transaction %s added twice", t.ID)
			}
			f.txns[t.ID] = t
		}
		for _, t := range p.Modified {
			f.txns[t.ID] = t
		}
		for _, r := range p.Removed {
			delete(f.txns, r.ID)
			f.removed = append(f.removed, r.ID)
		}
		f.added = append(f.added, p.Added...)
		f.modified = append(f.modified, p.Modified...)
		f.cursor = p.NextCursor
		if !p.HasMore {
			return
		}
	}
}

func (b *bank) accounts(access string) []account {
	b.t.Helper()
	r := b.get("/sandbox/api/accounts", access)
	if r.Status != http.StatusOK {
		b.t.Fatalf("accounts: %d %s", r.Status, r.Body)
	}
	var body struct{ Accounts []account }
	if err := json.Unmarshal(r.Body, &body); err != nil {
		b.t.Fatal(err)
	}
	return body.Accounts
}

func sum(txns map[string]txn, accountID string, pending bool) money.Amount {
	total := money.Zero
	for _, t := range txns {
		if t.AccountID == accountID && t.Pending == pending {
			total = total.Add(money.MustParse(t.Amount))
		}
	}
	return total
}

// checkAvailable holds the bank to its rule: a deposit account's available balance
// is its balance plus its pending transactions.
func checkAvailable(t *testing.T, accs []account, f *feed) {
	t.Helper()
	for _, a := range accs {
		if a.Type != "checking" && a.Type != "savings" {
			continue
		}
		got := money.MustParse(*a.AvailableBalance).Sub(money.MustParse(a.Balance))
		if want := sum(f.txns, a.ID, true); !got.Equal(want) {
			t.Errorf("%s: available − balance = %s, pending sum %s", a.ID, got, want)
		}
	}
}

func TestStandardPersonaLinkSyncAndAdvance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		b := startBank(t, db)
		tok := b.link(sandbox.PersonaStandard)
		if str(tok, "token_type") != "Bearer" || tok["expires_in"].(float64) != 3600 || str(tok, "refresh_token") == "" {
			t.Fatalf("token response %v", tok)
		}
		access := str(tok, "access_token")
		accs := b.accounts(access)
		types := []string{}
		for _, a := range accs {
			types = append(types, a.Type)
			if _, err := money.Parse(a.Balance); err != nil || a.Currency != "USD" || a.BalanceDate != "2026-11-20" {
				t.Errorf("account %+v", a)
			}
		}
		if strings.Join(types, ",") != "checking,savings,credit_card,brokerage,roth_ira" {
			t.Fatalf("standard persona's accounts: %v", types)
		}
		if accs[2].AvailableBalance == nil || accs[3].AvailableBalance != nil {
			t.Errorf("a card has an available balance, a brokerage account none: %+v %+v", accs[2], accs[3])
		}

		var f feed
		b.drain(&f, access, 250)
		if len(f.txns) < 300 || f.pages < 2 {
			t.Fatalf("six months of history: %d transactions in %d pages", len(f.txns), f.pages)
		}
		oldest, pending := "9999", 0
		for _, x := range f.txns {
			oldest = min(oldest, x.Date)
			if x.Pending {
				pending++
			}
		}
		if oldest > "2026-05-22" || pending == 0 {
			t.Errorf("oldest %s (want six months back), %d pending", oldest, pending)
		}
		checkAvailable(t, accs, &f)

		// Nothing new: an empty page with the same position.
		before := f.cursor
		b.drain(&f, access, 100)
		if len(f.added)+len(f.modified)+len(f.removed) != 0 || f.cursor != before {
			t.Fatalf("a second sync with nothing new changed something: %+v", f)
		}

		pendingBefore := map[string]txn{}
		for id, x := range f.txns {
			if x.Pending {
				pendingBefore[id] = x
			}
		}
		r := b.postJSON("/sandbox/api/personas/standard/advance", `{"days": 1}`)
		if r.Status != http.StatusOK {
			t.Fatalf("advance: %d %s", r.Status, r.Body)
		}
		adv := r.JSON(t)
		if str(adv, "today") != "2026-11-21" || adv["cancelled"].(float64) != 1 || adv["posted"].(float64) < 2 || adv["added"].(float64) < 1 || adv["modified"].(float64) != 1 {
			t.Fatalf("advance result %v", adv)
		}
		prior := map[string]txn{}
		for id, x := range f.txns {
			prior[id] = x
		}
		b.drain(&f, access, 100)
		// One posted transaction is modified: same id and amount, corrected name.
		if len(f.modified) != 1 {
			t.Fatalf("advance modified %d transactions, want 1", len(f.modified))
		}
		if m, old := f.modified[0], prior[f.modified[0].ID]; old.ID == "" || old.Pending || m.Amount != old.Amount || m.Description != old.Description+" (name corrected)" {
			t.Fatalf("modified %+v, was %+v", m, old)
		}
		var tipped, shifted, cancelled int
		posted := map[string]bool{}
		for _, x := range f.added {
			if x.PendingTransactionID == nil {
				continue
			}
			old, ok := pendingBefore[*x.PendingTransactionID]
			if !ok || x.Pending || x.ID == old.ID {
				t.Fatalf("posted %+v names no earlier pending transaction", x)
			}
			posted[old.ID] = true
			if x.Amount != old.Amount {
				tipped++
				if money.MustParse(x.Amount).Cmp(money.MustParse(old.Amount)) >= 0 {
					t.Errorf("a tip makes a debit larger: %s → %s", old.Amount, x.Amount)
				}
			}
			if x.Date != old.Date {
				shifted++
			}
		}
		for _, id := range f.removed {
			if _, ok := pendingBefore[id]; !ok {
				t.Errorf("removed %s was not pending", id)
			}
			if !posted[id] {
				cancelled++
			}
		}
		if len(posted) < 2 || tipped < 1 || shifted < 1 || cancelled != 1 || len(f.removed) != len(posted)+1 {
			t.Fatalf("advance: %d posted, %d tipped, %d date-shifted, %d cancelled, %d removed", len(posted), tipped, shifted, cancelled, len(f.removed))
		}
		after := b.accounts(access)
		checkAvailable(t, after, &f)
		// Balances move exactly by what posted.
		for i, a := range after {
			delta := money.MustParse(a.Balance).Sub(money.MustParse(accs[i].Balance))
			want := money.Zero
			for _, x := range f.added {
				if x.AccountID == a.ID && !x.Pending {
					want = want.Add(money.MustParse(x.Amount))
				}
			}
			if !delta.Equal(want) {
				t.Errorf("%s moved by %s, its new posted transactions sum to %s", a.ID, delta, want)
			}
		}

		// Reauthorizing the same persona reaches the same accounts and transactions.
		tok2 := b.link(sandbox.PersonaStandard)
		again := b.accounts(str(tok2, "access_token"))
		for i := range again {
			if again[i].ID != after[i].ID || again[i].Balance != after[i].Balance {
				t.Fatalf("reauthorized accounts differ: %+v vs %+v", again[i], after[i])
			}
		}
		var g feed
		b.drain(&g, str(tok2, "access_token"), 500)
		if len(g.txns) != len(f.txns) {
			t.Fatalf("a fresh full sync has %d transactions, the incremental one %d", len(g.txns), len(f.txns))
		}
		for id := range f.txns {
			if _, ok := g.txns[id]; !ok {
				t.Fatalf("transaction %s missing from the fresh sync", id)
			}
		}
	})
}

func TestAuthorizeRefusals(t *testing.T) {
	b := startBank(t, dbtest.NewSQLite(t))
	for name, q := range map[string]url.Values{
		"unknown client":   {"response_type": {"code"}, "client_id": {"evil"}, "redirect_uri": {redirectURI}, "state": {"s"}},
		"foreign redirect": {"response_type": {"code"}, "client_id": {sandbox.ClientID}, "redirect_uri": {"https://evil.test/cb"}, "state": {"s"}},
		"no redirect":      {"response_type": {"code"}, "client_id": {sandbox.ClientID}, "state": {"s"}},
	} {
		r := b.get("/sandbox/oauth/authorize?"+q.Encode(), "")
		if r.Status != http.StatusBadRequest || r.Header.Get("Location") != "" || !strings.Contains(string(r.Body), "<h1>") {
			t.Errorf("%s: want a 400 page and no redirect, got %d %s", name, r.Status, r.Body)
		}
	}
	r := b.get("/sandbox/oauth/authorize?"+url.Values{"response_type": {"token"}, "client_id": {sandbox.ClientID}, "redirect_uri": {redirectURI}, "state": {"s1"}}.Encode(), "")
	if loc, _ := url.Parse(r.Header.Get("Location")); r.Status != http.StatusSeeOther || loc.Query().Get("error") != "unsupported_response_type" || loc.Query().Get("state") != "s1" {
		t.Errorf("implicit grant: %d %s", r.Status, r.Header.Get("Location"))
	}

	// The page: one POST form, a persona select, allow and deny buttons.
	q := url.Values{"response_type": {"code"}, "client_id": {sandbox.ClientID}, "redirect_uri": {redirectURI}, "state": {"s2"}}
	page := string(b.get("/sandbox/oauth/authorize?"+q.Encode(), "").Body)
	for _, want := range []string{`<form method="post"`, `<select id="persona" name="persona">`, `name="decision" value="allow"`, `name="decision" value="deny"`, `value="standard"`, `value="bulk"`, `value="flaky"`} {
		if !strings.Contains(page, want) || strings.Count(page, "<form") != 1 {
			t.Errorf("consent page lacks %s", want)
		}
	}

	// Deny.
	qv := b.decide(b.consentPage("s3"), "standard", "deny")
	if qv.Get("error") != "access_denied" || qv.Get("state") != "s3" || qv.Get("code") != "" {
		t.Errorf("deny: %v", qv)
	}

	signed := b.consentPage("s4")
	// A forged or altered form, another browser, a stale form, an unknown persona.
	for name, form := range map[string]url.Values{
		"forged":          {"request": {"x.y"}, "persona": {"standard"}, "decision": {"allow"}},
		"altered":         {"request": {"e30" + signed[3:]}, "persona": {"standard"}, "decision": {"allow"}},
		"unknown persona": {"request": {signed}, "persona": {"nobody"}, "decision": {"allow"}},
		"no decision":     {"request": {signed}, "persona": {"standard"}},
	} {
		r := b.postForm("/sandbox/oauth/authorize", form, false)
		if r.Status != http.StatusBadRequest || r.Header.Get("Location") != "" {
			t.Errorf("%s: want 400, got %d %s", name, r.Status, r.Body)
		}
	}
	other := startBank(t, dbtest.NewSQLite(t)) // another browser (no cookie), same key
	r = other.postForm("/sandbox/oauth/authorize", url.Values{"request": {signed}, "persona": {"standard"}, "decision": {"allow"}}, false)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "another browser") {
		t.Errorf("another browser's form: %d %s", r.Status, r.Body)
	}
	b.clock.Add(11 * time.Minute)
	r = b.postForm("/sandbox/oauth/authorize", url.Values{"request": {signed}, "persona": {"standard"}, "decision": {"allow"}}, false)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "expired") {
		t.Errorf("stale form: %d %s", r.Status, r.Body)
	}
}

func oauthErr(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.Status != status || str(r.JSON(t), "error") != code {
		t.Fatalf("want %d %s, got %d %s", status, code, r.Status, r.Body)
	}
}

func TestTokenEndpoint(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		b := startBank(t, db)
		code := b.decide(b.consentPage("s"), "standard", "allow").Get("code")
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}}

		r := b.postForm("/sandbox/oauth/token", form, false)
		oauthErr(t, r, 401, "invalid_client")
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("401 without a Basic challenge: %v", r.Header)
		}
		req, _ := http.NewRequest(http.MethodPost, b.base+"/sandbox/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(sandbox.ClientID, "wrong")
		oauthErr(t, b.do(req), 401, "invalid_client")
		oauthErr(t, b.postForm("/sandbox/oauth/token", url.Values{"grant_type": {"password"}}, true), 400, "unsupported_grant_type")
		oauthErr(t, b.postForm("/sandbox/oauth/token", url.Values{}, true), 400, "invalid_request")
		oauthErr(t, b.postForm("/sandbox/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://kontor.test/other"}}, true), 400, "invalid_grant")

		r = b.postForm("/sandbox/oauth/token", form, true)
		if r.Status != 200 || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("exchange: %d %v %s", r.Status, r.Header, r.Body)
		}
		first := r.JSON(t)
		// A code used twice: invalid_grant, and the tokens it gave are revoked.
		oauthErr(t, b.postForm("/sandbox/oauth/token", form, true), 400, "invalid_grant")
		oauthErr(t, b.get("/sandbox/api/accounts", str(first, "access_token")), 401, "invalid_token")

		// Refresh rotates; the spent refresh token is refused and revokes the grant.
		tok := b.link("standard")
		rf := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {str(tok, "refresh_token")}}
		r = b.postForm("/sandbox/oauth/token", rf, true)
		if r.Status != 200 {
			t.Fatalf("refresh: %d %s", r.Status, r.Body)
		}
		rotated := r.JSON(t)
		if str(rotated, "refresh_token") == str(tok, "refresh_token") || str(rotated, "access_token") == str(tok, "access_token") {
			t.Fatal("refresh did not rotate the tokens")
		}
		if r := b.get("/sandbox/api/accounts", str(rotated, "access_token")); r.Status != 200 {
			t.Fatalf("refreshed access token: %d %s", r.Status, r.Body)
		}
		r = b.postForm("/sandbox/oauth/token", rf, true)
		oauthErr(t, r, 400, "invalid_grant")
		if !strings.Contains(str(r.JSON(t), "error_description"), "already used") {
			t.Errorf("reuse description: %s", r.Body)
		}
		oauthErr(t, b.get("/sandbox/api/accounts", str(rotated, "access_token")), 401, "invalid_token")
		oauthErr(t, b.postForm("/sandbox/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {str(rotated, "refresh_token")}}, true), 400, "invalid_grant")

		// Lifetimes: an access token lives an hour, a refresh token 30 days, a code 10 minutes.
		tok = b.link("standard")
		stale := b.decide(b.consentPage("s"), "standard", "allow").Get("code")
		b.clock.Add(61 * time.Minute)
		r = b.get("/sandbox/api/accounts", str(tok, "access_token"))
		oauthErr(t, r, 401, "invalid_token")
		if !strings.Contains(r.Header.Get("WWW-Authenticate"), "expired") {
			t.Errorf("expired access token challenge: %q", r.Header.Get("WWW-Authenticate"))
		}
		oauthErr(t, b.postForm("/sandbox/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {stale}, "redirect_uri": {redirectURI}}, true), 400, "invalid_grant")
		r = b.postForm("/sandbox/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {str(tok, "refresh_token")}}, true)
		if r.Status != 200 {
			t.Fatalf("refresh after the access token expired: %d %s", r.Status, r.Body)
		}
		b.clock.Add(31 * 24 * time.Hour)
		r = b.postForm("/sandbox/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {str(r.JSON(t), "refresh_token")}}, true)
		oauthErr(t, r, 400, "invalid_grant")
		if !strings.Contains(str(r.JSON(t), "error_description"), "expired") {
			t.Errorf("expired refresh description: %s", r.Body)
		}
	})
}

func TestSyncRefusesBadInput(t *testing.T) {
	b := startBank(t, dbtest.NewSQLite(t))
	access := str(b.link("standard"), "access_token")
	flaky := str(b.link("flaky"), "access_token")
	_ = flaky
	oauthErr(t, b.get("/sandbox/api/transactions/sync", ""), 401, "invalid_token")
	oauthErr(t, b.get("/sandbox/api/accounts", "sbx_at_nonsense"), 401, "invalid_token")
	for _, q := range []string{"count=0", "count=501", "count=ten", "cursor=%%%", "cursor=bm9wZQ"} {
		r := b.get("/sandbox/api/transactions/sync?"+q, access)
		if r.Status != 400 {
			t.Errorf("%s: want 400, got %d %s", q, r.Status, r.Body)
		}
	}
	// A cursor of another persona's feed is not this one's.
	var f feed
	b.drain(&f, access, 500)
	r := b.get("/sandbox/api/transactions/sync?cursor="+url.QueryEscape(f.cursor), str(b.link("bulk"), "access_token"))
	oauthErr(t, r, 400, "invalid_cursor")
	r = b.get("/sandbox/api/nothing", access)
	if r.Status != 404 {
		t.Errorf("unknown route: %d", r.Status)
	}
}

func TestAdvanceAndRevokeControls(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		b := startBank(t, db)
		for body, code := range map[string]string{
			`{"days": 0}`:             "invalid_request",
			`{"days": 367}`:           "invalid_request",
			`{"days": 1.5}`:           "invalid_request",
			`{}`:                      "invalid_request",
			`{"days": 1, "weeks": 2}`: "invalid_request",
			`{"days":`:                "invalid_request",
			`{"days": 1} {}`:          "invalid_request",
		} {
			oauthErr(t, b.postJSON("/sandbox/api/personas/standard/advance", body), 400, code)
		}
		oauthErr(t, b.postJSON("/sandbox/api/personas/nobody/advance", `{"days": 1}`), 404, "unknown_persona")
		oauthErr(t, b.postJSON("/sandbox/api/personas/nobody/revoke", ``), 404, "unknown_persona")

		tok := b.link("standard")
		access := str(tok, "access_token")
		before := b.accounts(access)
		r := b.postJSON("/sandbox/api/personas/standard/revoke", ``)
		if r.Status != 200 || r.JSON(t)["revoked_grants"].(float64) != 1 {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		r = b.get("/sandbox/api/accounts", access)
		oauthErr(t, r, 401, "invalid_token")
		if !strings.Contains(str(r.JSON(t), "error_description"), "revoked") {
			t.Errorf("revoked description: %s", r.Body)
		}
		oauthErr(t, b.postForm("/sandbox/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {str(tok, "refresh_token")}}, true), 400, "invalid_grant")
		after := b.accounts(str(b.link("standard"), "access_token"))
		for i := range before {
			if before[i].ID != after[i].ID {
				t.Fatalf("reconsent after revoke changed account ids: %s → %s", before[i].ID, after[i].ID)
			}
		}
		// Advancing a long way keeps settling: each advance cancels one hold.
		r = b.postJSON("/sandbox/api/personas/standard/advance", `{"days": 40}`)
		if r.Status != 200 || r.JSON(t)["cancelled"].(float64) != 1 {
			t.Fatalf("advance 40: %d %s", r.Status, r.Body)
		}
	})
}

func TestFlakyPersona(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		b := startBank(t, db)
		access := str(b.link("flaky"), "access_token")
		var got []string
		for range 10 {
			r := b.get("/sandbox/api/accounts", access)
			s := strconv.Itoa(r.Status)
			if r.Status == 429 {
				s += "/" + r.Header.Get("Retry-After")
			}
			got = append(got, s)
		}
		want := "200,429/1,503,200,200,503,429/1,200,503,200"
		if strings.Join(got, ",") != want {
			t.Fatalf("flaky answers %s, want %s", strings.Join(got, ","), want)
		}
		// Revocation still wins over flakiness.
		b.postJSON("/sandbox/api/personas/flaky/revoke", ``)
		oauthErr(t, b.get("/sandbox/api/accounts", access), 401, "invalid_token")
	})
}
