package sandboxbank_test

import (
	"context"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/modules/connections/internal/sandboxbank"
	"github.com/kontor-app/kontor/modules/sandbox"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/money"
	"github.com/kontor-app/kontor/platform/outbound"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const redirectURI = "https://kontor.test/connections/callback"

// world is the real sandbox bank on a loopback listener and the adapter pointed at
// it over HTTP.
type world struct {
	t       *testing.T
	base    string
	adapter *sandboxbank.Adapter
	browser *http.Client
}

func serve(t testing.TB, db *database.DB) (string, *sandboxbank.Adapter) {
	t.Helper()
	app := sandbox.NewApp(sandbox.Options{DB: db, RedirectURIs: []string{redirectURI}, SecretKey: "adapter-test-secret-0123456789abcdef"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	base := "http://" + ln.Addr().String() + "/sandbox"
	a, err := sandboxbank.New(sandboxbank.Config{BaseURL: base, HTTPClient: &http.Client{Timeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	return base, a
}

func newWorld(t *testing.T, db *database.DB) *world {
	t.Helper()
	base, a := serve(t, db)
	jar, _ := cookiejar.New(nil)
	return &world{t: t, base: base, adapter: a, browser: &http.Client{
		Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var hiddenRequest = regexp.MustCompile(`name="request" value="([^"]+)"`)

// consent acts as the person's browser: it opens the adapter's authorization URL,
// submits the consent form and returns the query of the redirect back to Kontor.
func consent(t testing.TB, browser *http.Client, a *sandboxbank.Adapter, state, persona, decision string) url.Values {
	t.Helper()
	resp, err := browser.Get(a.AuthCodeURL(state, redirectURI))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := hiddenRequest.FindSubmatch(page)
	if resp.StatusCode != 200 || m == nil || !strings.Contains(string(page), `<select id="persona" name="persona">`) {
		t.Fatalf("consent page: %d %s", resp.StatusCode, page)
	}
	action := resp.Request.URL
	action.RawQuery = ""
	resp, err = browser.PostForm(action.String(), url.Values{"request": {html.UnescapeString(string(m[1]))}, "persona": {persona}, "decision": {decision}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent answer: %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Scheme+"://"+loc.Host+loc.Path != redirectURI {
		t.Fatalf("redirected to %q", resp.Header.Get("Location"))
	}
	if loc.Query().Get("state") != state {
		t.Fatalf("state %q came back as %q", state, loc.Query().Get("state"))
	}
	return loc.Query()
}

func (w *world) link(persona string) provider.Credentials {
	w.t.Helper()
	q := consent(w.t, w.browser, w.adapter, "state-"+persona, persona, "allow")
	creds, err := w.adapter.Exchange(context.Background(), q.Get("code"), redirectURI)
	if err != nil {
		w.t.Fatalf("exchange: %v", err)
	}
	if creds.AccessToken == "" || creds.RefreshToken == "" || creds.Expiry.IsZero() {
		w.t.Fatalf("credentials %+v", creds)
	}
	return creds
}

func (w *world) control(persona, action, body string) {
	w.t.Helper()
	resp, err := http.Post(w.base+"/api/personas/"+persona+"/"+action, "application/json", strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		w.t.Fatalf("%s %s: %d", action, persona, resp.StatusCode)
	}
}

// ledger is Kontor's side of the feed, applied as a sync would.
type ledger struct {
	cursor string
	txns   map[string]provider.Transaction
	pages  int
	last   provider.Changes // everything the last drain reported
}

func drain(t testing.TB, a *sandboxbank.Adapter, creds provider.Credentials, l *ledger, count int) {
	t.Helper()
	if l.txns == nil {
		l.txns = map[string]provider.Transaction{}
	}
	l.last = provider.Changes{}
	for {
		ch, fresh, err := a.Transactions(context.Background(), creds, provider.TransactionsRequest{Cursor: l.cursor, Count: count})
		if err != nil {
			t.Fatalf("transactions after page %d: %v", l.pages, err)
		}
		if !fresh.IsZero() {
			t.Fatalf("credentials refreshed unasked")
		}
		l.pages++
		for _, x := range ch.Added {
			if _, dup := l.txns[x.ID]; dup {
				t.Fatalf("%s added twice", x.ID)
			}
			l.txns[x.ID] = x
		}
		for _, x := range ch.Modified {
			l.txns[x.ID] = x
		}
		for _, r := range ch.Removed {
			delete(l.txns, r.ID)
		}
		l.last.Added = append(l.last.Added, ch.Added...)
		l.last.Modified = append(l.last.Modified, ch.Modified...)
		l.last.Removed = append(l.last.Removed, ch.Removed...)
		l.cursor = ch.NextCursor
		if !ch.HasMore {
			return
		}
	}
}

func code(t *testing.T, err error, want provider.Code) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Code != want {
		t.Fatalf("want a provider error %s, got %v", want, err)
	}
	return pe
}

func TestLinkSyncAdvanceRevoke(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		if info := w.adapter.Info(); info.Slug != "sandbox" || info.AuthKind != provider.AuthOAuth2 {
			t.Fatalf("info %+v", info)
		}
		creds := w.link("standard")
		accs, fresh, err := w.adapter.Accounts(ctx, creds)
		if err != nil || !fresh.IsZero() {
			t.Fatalf("accounts: %v (fresh %v)", err, !fresh.IsZero())
		}
		var types []string
		for _, a := range accs {
			types = append(types, a.Type)
			if a.Currency != "USD" || a.ID == "" || a.BalanceDate.IsZero() {
				t.Errorf("account %+v", a)
			}
		}
		if strings.Join(types, ",") != "checking,savings,credit_card,brokerage,roth_ira" {
			t.Fatalf("five accounts of the standard persona, got %v", types)
		}
		if !accs[2].Balance.IsNegative() {
			t.Errorf("a card owing money has a negative balance, got %s", accs[2].Balance)
		}

		var l ledger
		drain(t, w.adapter, creds, &l, 100)
		if len(l.txns) < 300 || l.pages < 4 {
			t.Fatalf("history: %d transactions over %d pages", len(l.txns), l.pages)
		}
		pendingBefore := map[string]provider.Transaction{}
		for id, x := range l.txns {
			if x.Pending {
				pendingBefore[id] = x
			}
		}
		// Balance = sum of its transactions plus an opening balance that does not
		// move: check by how it moves on advance.
		w.control("standard", "advance", `{"days": 2}`)
		drain(t, w.adapter, creds, &l, 100)
		var tips, shifts, posted int
		postedFor := map[string]bool{}
		for _, x := range l.last.Added {
			if x.PendingTransactionID == "" {
				continue
			}
			old, ok := pendingBefore[x.PendingTransactionID]
			if !ok || x.ID == old.ID || x.Pending {
				t.Fatalf("posted %+v does not name an earlier pending id", x)
			}
			posted++
			postedFor[old.ID] = true
			if !x.Amount.Equal(old.Amount) {
				tips++
			}
			if !x.Date.Equal(old.Date) {
				shifts++
			}
		}
		cancelled := 0
		for _, r := range l.last.Removed {
			if _, ok := pendingBefore[r.ID]; !ok {
				t.Errorf("removed %s was not pending", r.ID)
			}
			if !postedFor[r.ID] {
				cancelled++
			}
		}
		if len(l.last.Modified) != 1 || l.last.Modified[0].Pending || !strings.HasSuffix(l.last.Modified[0].Description, "(name corrected)") {
			t.Fatalf("advance should modify one posted transaction: %+v", l.last.Modified)
		}
		if posted < 2 || tips < 1 || shifts < 1 || cancelled != 1 {
			t.Fatalf("after advance: %d posted with new ids, %d tips, %d date shifts, %d cancelled holds", posted, tips, shifts, cancelled)
		}
		after, _, err := w.adapter.Accounts(ctx, creds)
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range after {
			moved := a.Balance.Sub(accs[i].Balance)
			want := money.Zero
			for _, x := range l.last.Added {
				if x.AccountID == a.ID && !x.Pending {
					want = want.Add(x.Amount)
				}
			}
			if !moved.Equal(want) {
				t.Errorf("%s moved by %s; what posted sums to %s", a.ID, moved, want)
			}
		}

		// Revoked consent: the next call is a typed auth error, refreshing too.
		w.control("standard", "revoke", ``)
		_, _, err = w.adapter.Accounts(ctx, creds)
		code(t, err, provider.CodeAuthRevoked)
		_, _, err = w.adapter.Transactions(ctx, creds, provider.TransactionsRequest{Cursor: l.cursor})
		code(t, err, provider.CodeAuthRevoked)
		_, err = w.adapter.Refresh(ctx, creds)
		code(t, err, provider.CodeAuthRevoked)

		// Reauthorizing reaches the same accounts.
		again, _, err := w.adapter.Accounts(ctx, w.link("standard"))
		if err != nil {
			t.Fatal(err)
		}
		for i := range again {
			if again[i].ID != after[i].ID {
				t.Fatalf("reauthorized account %d: %s, was %s", i, again[i].ID, after[i].ID)
			}
		}
	})
}

func TestRefreshRotationAndReuse(t *testing.T) {
	w := newWorld(t, dbtest.NewSQLite(t))
	ctx := context.Background()
	creds := w.link("standard")
	next, err := w.adapter.Refresh(ctx, creds)
	if err != nil {
		t.Fatal(err)
	}
	if next.RefreshToken == creds.RefreshToken || next.AccessToken == creds.AccessToken || !next.Expiry.After(time.Now().Add(50*time.Minute)) {
		t.Fatalf("refresh did not rotate: %+v", next)
	}
	// The spent refresh token: invalid_grant, typed, and the grant is revoked.
	_, err = w.adapter.Refresh(ctx, creds)
	pe := code(t, err, provider.CodeAuthRevoked)
	if !strings.Contains(pe.Error(), "invalid_grant") {
		t.Errorf("reuse error %v does not carry invalid_grant", pe)
	}
	_, _, err = w.adapter.Accounts(ctx, next)
	code(t, err, provider.CodeAuthRevoked)

	// An access token past its expiry is refreshed before the call; the new
	// credentials come back to be stored.
	creds = w.link("standard")
	creds.Expiry = time.Now().Add(-time.Minute)
	accs, fresh, err := w.adapter.Accounts(ctx, creds)
	if err != nil || len(accs) != 5 {
		t.Fatalf("accounts with an expired token: %v", err)
	}
	if fresh.IsZero() || fresh.RefreshToken == creds.RefreshToken {
		t.Fatalf("refreshed credentials not returned: %+v", fresh)
	}
	// Without a refresh token an expired access is auth_expired.
	_, err = w.adapter.Refresh(ctx, provider.Credentials{AccessToken: "x"})
	code(t, err, provider.CodeAuthExpired)
	_, err = w.adapter.Exchange(ctx, "sbx_code_bogus", redirectURI)
	code(t, err, provider.CodeAuthExpired)
}

func TestDeniedConsent(t *testing.T) {
	w := newWorld(t, dbtest.NewSQLite(t))
	q := consent(t, w.browser, w.adapter, "st-deny", "standard", "deny")
	if q.Get("error") != "access_denied" || q.Get("code") != "" {
		t.Fatalf("deny redirect: %v", q)
	}
}

func TestFlakyGivesTypedErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		creds := w.link("flaky")
		var seen []string
		for range 6 {
			_, _, err := w.adapter.Accounts(ctx, creds)
			var pe *provider.Error
			switch {
			case err == nil:
				seen = append(seen, "ok")
			case errors.As(err, &pe) && pe.Code == provider.CodeRateLimited:
				if pe.RetryAfter != time.Second {
					t.Errorf("Retry-After %v, want 1s", pe.RetryAfter)
				}
				seen = append(seen, string(pe.Code))
			case errors.As(err, &pe):
				seen = append(seen, string(pe.Code))
			default:
				t.Fatalf("untyped error %v", err)
			}
		}
		want := "ok,rate_limited,provider_unavailable,ok,ok,provider_unavailable"
		if strings.Join(seen, ",") != want {
			t.Fatalf("flaky: %s, want %s", strings.Join(seen, ","), want)
		}
	})
}

// fake answers every request with status, headers and body.
func fake(t *testing.T, status int, hdr map[string]string, body string) *sandboxbank.Adapter {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	a, err := sandboxbank.New(sandboxbank.Config{BaseURL: srv.URL + "/sandbox", HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestHTTPFailuresAreTyped(t *testing.T) {
	ctx := context.Background()
	creds := provider.Credentials{AccessToken: "a", RefreshToken: "r", Expiry: time.Now().Add(time.Hour)}
	json := map[string]string{"Content-Type": "application/json"}
	for _, c := range []struct {
		name   string
		status int
		hdr    map[string]string
		body   string
		want   provider.Code
	}{
		{"bad JSON", 200, json, `{"accounts": [`, provider.CodeBadData},
		{"no list", 200, json, `{}`, provider.CodeBadData},
		{"bad amount", 200, json, `{"accounts":[{"id":"a","currency":"USD","balance":"12,5"}]}`, provider.CodeBadData},
		{"503", 503, json, `{"error":"temporarily_unavailable"}`, provider.CodeProviderUnavailable},
		{"500 HTML", 500, nil, `<html>oops</html>`, provider.CodeProviderUnavailable},
		{"429", 429, map[string]string{"Retry-After": "7"}, ``, provider.CodeRateLimited},
		{"404", 404, json, `{"error":"not_found"}`, provider.CodeBadData},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := fake(t, c.status, c.hdr, c.body).Accounts(ctx, creds)
			pe := code(t, err, c.want)
			if c.want == provider.CodeRateLimited && pe.RetryAfter != 7*time.Second {
				t.Errorf("RetryAfter %v", pe.RetryAfter)
			}
		})
	}
	// A 401 that says expired is refreshed once; the refresh itself failing with 503
	// is provider_unavailable, with 429 rate_limited.
	_, _, err := fake(t, 401, json, `{"error":"invalid_token","error_description":"the access token has expired"}`).Accounts(ctx, creds)
	code(t, err, provider.CodeAuthRevoked) // the refresh is refused with a 401 too
	_, err = fake(t, 503, json, `{"error":"temporarily_unavailable"}`).Refresh(ctx, creds)
	code(t, err, provider.CodeProviderUnavailable)
	_, err = fake(t, 429, map[string]string{"Retry-After": "3"}, ``).Refresh(ctx, creds)
	if pe := code(t, err, provider.CodeRateLimited); pe.RetryAfter != 3*time.Second {
		t.Errorf("refresh RetryAfter %v", pe.RetryAfter)
	}
	_, _, err = fake(t, 200, json, `{"added":[{"id":"t","account_id":"a","amount":"1.00","date":"20-1-1"}],"modified":[],"removed":[],"next_cursor":"c","has_more":false}`).
		Transactions(ctx, creds, provider.TransactionsRequest{})
	code(t, err, provider.CodeBadData)
	if _, err := sandboxbank.New(sandboxbank.Config{BaseURL: "ftp://x"}); err == nil {
		t.Error("an ftp base URL was accepted")
	}
}

// TestThroughOutboundClient runs the adapter on Kontor's outbound client, as the
// application does: the sandbox bank's own URL is exempt from the private-address
// rule, any other loopback URL is refused.
func TestThroughOutboundClient(t *testing.T) {
	db := dbtest.NewSQLite(t)
	base, _ := serve(t, db)
	client := outbound.New(outbound.Options{Allow: []string{base}})
	a, err := sandboxbank.New(sandboxbank.Config{BaseURL: base, HTTPClient: client.Client})
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := consent(t, browser, a, "st", "standard", "allow")
	creds, err := a.Exchange(context.Background(), q.Get("code"), redirectURI)
	if err != nil {
		t.Fatalf("exchange through the outbound client: %v", err)
	}
	if accs, _, err := a.Accounts(context.Background(), creds); err != nil || len(accs) != 5 {
		t.Fatalf("accounts through the outbound client: %d, %v", len(accs), err)
	}
	strict, err := sandboxbank.New(sandboxbank.Config{BaseURL: base, HTTPClient: outbound.New(outbound.Options{}).Client})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = strict.Accounts(context.Background(), creds)
	if pe := code(t, err, provider.CodeProviderUnavailable); !errors.Is(pe, outbound.ErrForbiddenScheme) && !errors.Is(pe, outbound.ErrForbiddenAddress) {
		t.Fatalf("a loopback bank not exempt: %v", err)
	}
}
