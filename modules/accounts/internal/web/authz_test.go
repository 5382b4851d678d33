package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/e2e/harness"
)

// TestSessionAuthorization is the browser-session third of the authorization
// matrix: user B, logged in through the login form, against every account page and
// form action of user A is forbidden (the 403 error page), a missing account is not
// found (the 404 page), and nothing is ever a server error. The JWT and API key
// thirds live with the JSON API's tests.
func TestSessionAuthorization(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	ada := newPerson(t, inst, "Ada")
	bob := newPerson(t, inst, "Bob")
	mine := ada.createAccount(t, map[string]any{"name": "Ada's account", "account_type": "checking", "currency": "EUR", "opening_balance": "100.00"})
	other := ada.createAccount(t, map[string]any{"name": "Ada's savings", "account_type": "savings", "currency": "EUR"})
	archived := ada.createAccount(t, map[string]any{"name": "Ada's archive", "account_type": "savings", "currency": "EUR"})
	ada.api.Do(t, http.MethodPatch, "/api/v1/accounts/"+archived.ID, map[string]any{"is_archived": true}).Expect(t, http.StatusOK)
	bobs := bob.createAccount(t, map[string]any{"name": "Bob's account", "account_type": "checking", "currency": "EUR", "opening_balance": "100.00"})

	validEdit := url.Values{"name": {"Taken over"}, "account_type": {"checking"}, "currency": {"EUR"}, "balance_amount": {"0"}, "status": {"inactive"}, "notes": {"mine now"}}
	type request struct {
		method, path string
		form         url.Values
	}
	pages := func(id string) []request {
		return []request{
			{http.MethodGet, "/accounts/" + id, nil},
			{http.MethodGet, "/accounts/" + id + "?transaction_type=deposit&q=x", nil},
			{http.MethodGet, "/accounts/" + id + "/edit", nil},
			{http.MethodGet, "/accounts/" + id + "/transactions/new", nil},
			{http.MethodGet, "/accounts/" + id + "/close", nil},
			{http.MethodPost, "/accounts/" + id + "/edit", validEdit},
			{http.MethodPost, "/accounts/" + id + "/edit", url.Values{"name": {""}, "interest_rate": {"lots"}}},
			{http.MethodPost, "/accounts/" + id + "/edit", url.Values{"is_favourite": {"true"}}},
			{http.MethodPost, "/accounts/" + id + "/transactions/new", url.Values{"type": {"withdrawal"}, "amount": {"100"}}},
			{http.MethodPost, "/accounts/" + id + "/transactions/new", url.Values{"type": {"bribe"}}},
			{http.MethodPost, "/accounts/" + id + "/archive", nil},
			{http.MethodPost, "/accounts/" + id + "/restore", nil},
			{http.MethodPost, "/accounts/" + id + "/close", nil},
		}
	}
	send := func(t *testing.T, p *person, r request) *harness.Response {
		t.Helper()
		if r.method == http.MethodGet {
			return p.get(t, r.path)
		}
		v := url.Values{}
		for k, val := range r.form {
			v[k] = val
		}
		return p.post(t, r.path, v)
	}
	expect := func(t *testing.T, res *harness.Response, status int, words string) {
		t.Helper()
		if res.Status != status {
			t.Fatalf("status %d, want %d:\n%s", res.Status, status, res.Body)
		}
		res.ExpectPage(t)
		page := res.Text()
		if !strings.Contains(page, "Error ") || !strings.Contains(page, words) {
			t.Errorf("not the %d error page:\n%s", status, page)
		}
		if strings.Contains(page, "Ada's") {
			t.Error("the error page shows something of Ada's")
		}
	}

	for _, id := range []string{mine.ID, archived.ID} {
		for _, r := range pages(id) {
			t.Run("another user's "+r.method+" "+strings.Replace(r.path, id, "{id}", 1), func(t *testing.T) {
				expect(t, send(t, bob, r), http.StatusForbidden, "Forbidden")
			})
		}
	}
	for _, r := range []request{
		{http.MethodPost, "/transfers/new", url.Values{"source_account_id": {mine.ID}, "destination_account_id": {bobs.ID}, "amount": {"50"}}},
		{http.MethodPost, "/transfers/new", url.Values{"source_account_id": {bobs.ID}, "destination_account_id": {mine.ID}, "amount": {"50"}}},
		{http.MethodPost, "/transfers/new", url.Values{"source_account_id": {mine.ID}, "destination_account_id": {other.ID}, "amount": {"50"}}},
	} {
		t.Run("another user's transfer", func(t *testing.T) {
			expect(t, send(t, bob, r), http.StatusForbidden, "Forbidden")
		})
	}
	// Preselecting another user's account in the transfer form selects nothing and
	// shows nothing of it.
	page := bob.page(t, "/transfers/new?from="+mine.ID+"&to="+other.ID)
	lacks(t, page, "Ada's", mine.ID+`" selected`)

	missing := uuid.NewString()
	for _, id := range []string{missing, "not-an-id"} {
		for _, r := range pages(id) {
			t.Run("missing "+r.method+" "+strings.Replace(r.path, id, "{id}", 1), func(t *testing.T) {
				expect(t, send(t, bob, r), http.StatusNotFound, "Not Found")
			})
		}
	}
	t.Run("missing transfer account", func(t *testing.T) {
		r := request{http.MethodPost, "/transfers/new", url.Values{"source_account_id": {bobs.ID}, "destination_account_id": {missing}, "amount": {"5"}}}
		expect(t, send(t, bob, r), http.StatusNotFound, "Not Found")
	})

	// Nothing of Ada's changed, and her own session still works.
	if got := ada.account(t, mine.ID); got.Name != "Ada's account" || got.Balance != "100.00" || got.Status != "active" || got.Archived {
		t.Errorf("Ada's account changed: %+v", got)
	}
	if got := ada.account(t, archived.ID); !got.Archived {
		t.Error("Ada's archived account was restored")
	}
	if got := ada.account(t, other.ID); got.Balance != "0.00" {
		t.Errorf("Ada's savings changed: %+v", got)
	}
	contains(t, ada.page(t, "/accounts/"+mine.ID), "Ada's account")
	lacks(t, bob.page(t, "/accounts?include_archived=true"), "Ada's")

	t.Run("without a session", func(t *testing.T) {
		anon := inst.Client()
		res := anon.Get(t, "/accounts/"+mine.ID)
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Faccounts%2F"+mine.ID {
			t.Errorf("GET without a session: %d to %q", res.Status, res.Header.Get("Location"))
		}
		tok := anon.CSRFToken(t, "/login")
		res = anon.PostForm(t, "/accounts/"+mine.ID+"/close", url.Values{"_csrf": {tok}})
		if res.Status != http.StatusUnauthorized {
			t.Errorf("POST without a session: %d", res.Status)
		}
	})
}
