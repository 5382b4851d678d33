package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/modules/accounts/internal/store"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// linkedAccount creates a provider-linked account for u through the ProviderSync
// use case, as the sync module will, since no provider runs in these tests.
func (k *kontor) linkedAccount(t *testing.T, u *user, providerID, typ, balance string) domain.Account {
	t.Helper()
	az, err := authz.New(k.inst.DB)
	if err != nil {
		t.Fatal(err)
	}
	svc := app.NewService(store.New(k.inst.DB), az, nil)
	a, _, err := svc.UpsertProviderAccount(context.Background(), authn.Subject{UserID: uuid.MustParse(u.id)}, app.ProviderAccountInput{
		Link: app.ProviderLink{ConnectionID: uuid.MustParse("123e4567-e89b-12d3-a456-426614174000"), Provider: "sandbox", ProviderAccountID: providerID},
		Name: "Linked " + providerID, AccountType: domain.AccountType(typ), Currency: "USD", AccountNumber: "000" + providerID, Balance: money.MustParse(balance),
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// reportBalance runs a transaction sync of a linked account that only reports the
// provider's balance, as the sync module would.
func (k *kontor) reportBalance(t *testing.T, u *user, id uuid.UUID, balance string) {
	t.Helper()
	az, err := authz.New(k.inst.DB)
	if err != nil {
		t.Fatal(err)
	}
	svc := app.NewService(store.New(k.inst.DB), az, nil)
	_, err = svc.SyncProviderTransactions(context.Background(), authn.Subject{UserID: uuid.MustParse(u.id)}, app.ProviderTransactionsInput{
		AccountID: id, ReportedBalance: money.NullAmount{Amount: money.MustParse(balance), Valid: true},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCreateAndGet(t *testing.T) {
	k := start(t, harness.Auto)
	u := k.newUser(t, "ada")
	res := u.raw(t, http.MethodPost, "/accounts", `{"name":"Everyday","account_type":"checking","currency":"USD","opening_balance":1000.10,
		"subtype":"personal","metadata":{"branch_code":"BR-001"},"custom_fields":[{"label":"IBAN","value":"DE89 3704"}],
		"overdraft_limit":"250","interest_rate":2.5,"color":"#336699","icon":"bank","notes":"main","sort_order":3,"is_favourite":true}`,
		"Content-Type: application/json").Expect(t, http.StatusCreated)
	var a account
	res.JSON(t, &a)
	if res.Header.Get("Location") != "/api/v1/accounts/"+a.ID || res.Header.Get("ETag") != `W/"1"` {
		t.Fatalf("headers %v", res.Header)
	}
	if a.BalanceAmount != "1000.10" || a.BalanceCurrency != "USD" || !a.IsBank || a.IsCredit || a.OverdraftLimit != "250.00" ||
		*a.InterestRate != "2.50" || a.Metadata["branch_code"] != "BR-001" || !strings.HasPrefix(a.AccountNumber, "ACC-") ||
		a.AccountNumberMasked != "****"+a.AccountNumber[len(a.AccountNumber)-4:] || a.Status != "active" || !a.IsActive {
		t.Fatalf("created %+v", a)
	}
	got := u.get(t, "/accounts/"+a.ID).Expect(t, http.StatusOK)
	if got.Header.Get("ETag") != `W/"1"` {
		t.Fatalf("ETag %q", got.Header.Get("ETag"))
	}
	var txs transactionList
	u.get(t, "/accounts/"+a.ID+"/transactions").Expect(t, http.StatusOK).JSON(t, &txs)
	if len(txs.Transactions) != 1 || txs.Transactions[0].Type != "deposit" || txs.Transactions[0].Description != "Opening balance" || txs.Transactions[0].Amount != "1000.10" {
		t.Fatalf("opening transaction %+v", txs)
	}
	card := u.createAccount(t, `{"name":"Visa","account_type":"credit_card","currency":"USD","opening_balance":"-500","account_number":"4111111111111111"}`)
	if card.BalanceAmount != "-500.00" || !card.IsCredit || !card.IsLiability || card.AccountNumberMasked != "****1111" {
		t.Fatalf("card %+v", card)
	}

	problem(t, u.get(t, "/accounts/"+uuid.NewString()), http.StatusNotFound, "not_found")
	problem(t, u.get(t, "/accounts/not-a-uuid"), http.StatusNotFound, "not_found")
	problem(t, u.raw(t, http.MethodPost, "/accounts", `{"name":`, "Content-Type: application/json"), http.StatusBadRequest, "malformed_json")
	p := problem(t, u.raw(t, http.MethodPost, "/accounts", `{"name":"x","account_type":"cash","currency":"USD","user_id":"u"}`, "Content-Type: application/json"), http.StatusBadRequest, "unknown_field")
	if fieldsOf(p) != "user_id" {
		t.Fatalf("unknown field %+v", p)
	}
	problem(t, u.raw(t, http.MethodPost, "/accounts", `name=x`, "Content-Type: application/x-www-form-urlencoded"), http.StatusUnsupportedMediaType, "unsupported_media_type")
	p = problem(t, u.raw(t, http.MethodPost, "/accounts", `{"account_type":"vault","currency":"usd","opening_balance":"1.0000000000000000001"}`, "Content-Type: application/json"), http.StatusUnprocessableEntity, "validation_failed")
	if fieldsOf(p) != "name,account_type,currency,opening_balance" {
		t.Fatalf("validation fields %q", fieldsOf(p))
	}
	p = problem(t, u.raw(t, http.MethodPost, "/accounts", `{"name":"x","account_type":"cash","currency":"USD","opening_balance":true}`, "Content-Type: application/json"), http.StatusUnprocessableEntity, "validation_failed")
	if fieldsOf(p) != "opening_balance" {
		t.Fatalf("bad amount fields %q", fieldsOf(p))
	}
	problem(t, u.raw(t, http.MethodPost, "/accounts", `{"name":"Dup","account_type":"cash","currency":"USD","account_number":"4111111111111111"}`, "Content-Type: application/json"), http.StatusConflict, "conflict")
	u.createAccount(t, `{"name":"Ext","account_type":"cash","currency":"USD","external_id":"wallet-1"}`)
	problem(t, u.raw(t, http.MethodPost, "/accounts", `{"name":"Ext 2","account_type":"cash","currency":"USD","external_id":"wallet-1"}`, "Content-Type: application/json"), http.StatusConflict, "duplicate_external_id")
	big := `{"name":"` + strings.Repeat("x", 1<<20) + `","account_type":"cash","currency":"USD"}`
	problem(t, u.raw(t, http.MethodPost, "/accounts", big, "Content-Type: application/json"), http.StatusRequestEntityTooLarge, "payload_too_large")
	anon := k.inst.Client()
	problem(t, anon.Get(t, "/api/v1/accounts"), http.StatusUnauthorized, "unauthenticated")
	k.validate(t, http.MethodGet, "/accounts", anon.Get(t, "/api/v1/accounts"))
}

func TestListAccounts(t *testing.T) {
	k := start(t, harness.Auto)
	u := k.newUser(t, "lin")
	k.linkedAccount(t, u, "12345678", "brokerage", "25000.50")
	u.createAccount(t, `{"name":"Alpha savings","account_type":"savings","currency":"EUR","opening_balance":"10","sort_order":2}`)
	u.createAccount(t, `{"name":"beta wallet","account_type":"ewallet","currency":"USD","opening_balance":"75.25","sort_order":1}`)
	old := u.createAccount(t, `{"name":"Gamma IRA","account_type":"roth_ira","currency":"USD","opening_balance":"50000","sort_order":3}`)
	u.do(t, http.MethodPatch, "/accounts/"+old.ID, map[string]any{"status": "inactive"}).Expect(t, http.StatusOK)
	arch := u.createAccount(t, `{"name":"Old","account_type":"cash","currency":"USD","sort_order":0}`)
	u.do(t, http.MethodPatch, "/accounts/"+arch.ID, map[string]any{"is_archived": true}).Expect(t, http.StatusOK)

	list := func(query string) accountList {
		t.Helper()
		var l accountList
		u.get(t, "/accounts?"+query).Expect(t, http.StatusOK).JSON(t, &l)
		return l
	}
	names := func(l accountList) string {
		var n []string
		for _, a := range l.Accounts {
			n = append(n, a.Name)
		}
		return strings.Join(n, "|")
	}
	all := list("")
	if all.TotalCount != 4 || all.ActiveCount != 3 || all.TotalBalanceByCurrency["USD"] != "75075.75" || all.TotalBalanceByCurrency["EUR"] != "10.00" || all.HasMore || all.NextCursor != nil {
		t.Fatalf("default list %+v", all)
	}
	if got := names(list("include_archived=true&sort=name")); got != "Alpha savings|beta wallet|Gamma IRA|Linked 12345678|Old" {
		t.Fatalf("by name %s", got)
	}
	if got := names(list("sort=-balance")); got != "Gamma IRA|Linked 12345678|beta wallet|Alpha savings" {
		t.Fatalf("by balance desc %s", got)
	}
	if l := list("active_only=true&account_type=brokerage&account_type=roth_ira"); names(l) != "Linked 12345678" || l.TotalCount != 1 {
		t.Fatalf("active brokerage %+v", l)
	}
	if got := names(list("account_type=savings,ewallet&currency=USD")); got != "beta wallet" {
		t.Fatalf("types+currency %s", got)
	}
	if got := names(list("manual=false")); got != "Linked 12345678" {
		t.Fatalf("linked only %s", got)
	}
	if got := names(list("connection_id=123e4567-e89b-12d3-a456-426614174000")); got != "Linked 12345678" {
		t.Fatalf("by connection %s", got)
	}
	if got := names(list("min_balance=10&max_balance=75.25&sort=balance")); got != "Alpha savings|beta wallet" {
		t.Fatalf("balance range %s", got)
	}
	if got := names(list("status=inactive")); got != "Gamma IRA" {
		t.Fatalf("status %s", got)
	}
	if got := names(list("q=WALL")); got != "beta wallet" {
		t.Fatalf("q %s", got)
	}
	if l := list("created_after=2000-01-01&created_before=2999-01-01T00:00:00Z"); l.TotalCount != 4 {
		t.Fatalf("created range %d", l.TotalCount)
	}
	// Keyset paging with a concurrent insert between pages neither repeats nor skips.
	first := list("limit=2&sort=created_at")
	if len(first.Accounts) != 2 || !first.HasMore || first.NextCursor == nil || first.TotalCount != 4 {
		t.Fatalf("first page %+v", first)
	}
	u.createAccount(t, `{"name":"Newest","account_type":"cash","currency":"USD"}`)
	second := list("limit=2&sort=created_at&cursor=" + url.QueryEscape(*first.NextCursor))
	third := list("limit=2&sort=created_at&cursor=" + url.QueryEscape(*second.NextCursor))
	if got := names(first) + "|" + names(second) + "|" + names(third); got != "Linked 12345678|Alpha savings|beta wallet|Gamma IRA|Newest" || third.HasMore {
		t.Fatalf("pages %s", got)
	}
	problem(t, u.get(t, "/accounts?cursor=garbage"), http.StatusBadRequest, "invalid_cursor")
	problem(t, u.get(t, "/accounts?sort=name&cursor="+url.QueryEscape(*first.NextCursor)), http.StatusBadRequest, "invalid_cursor")
	p := problem(t, u.get(t, "/accounts?active_only=maybe&limit=x"), http.StatusUnprocessableEntity, "validation_failed")
	if fieldsOf(p) != "active_only,limit" && fieldsOf(p) != "limit,active_only" {
		t.Fatalf("fields %q", fieldsOf(p))
	}
	p = problem(t, u.get(t, "/accounts?limit=500&sort=color&min_balance=lots&account_type=vault&created_after=yesterday"), http.StatusUnprocessableEntity, "validation_failed")
	if fieldsOf(p) != "account_type,min_balance,created_after,sort,limit" {
		t.Fatalf("fields %q", fieldsOf(p))
	}
}

func TestPatchAccount(t *testing.T) {
	k := start(t, harness.Auto)
	u := k.newUser(t, "pat")
	a := u.createAccount(t, `{"name":"Checking","account_type":"checking","currency":"USD","opening_balance":"100","notes":"n","metadata":{"a":"1","b":"2"}}`)
	patch := func(body string, headers ...string) *harness.Response {
		t.Helper()
		return u.raw(t, http.MethodPatch, "/accounts/"+a.ID, body, append([]string{"Content-Type: application/merge-patch+json"}, headers...)...)
	}
	res := patch(`{"name":"Main checking","notes":null,"metadata":{"a":null,"c":"3"},"balance_amount":"120.5"}`, `If-Match: W/"1"`).Expect(t, http.StatusOK)
	var got account
	res.JSON(t, &got)
	if got.Name != "Main checking" || got.Notes != nil || fmt.Sprint(got.Metadata) != "map[b:2 c:3]" || got.BalanceAmount != "120.50" || got.Version != 2 || res.Header.Get("ETag") != `W/"2"` {
		t.Fatalf("patched %+v", got)
	}
	var txs transactionList
	u.get(t, "/accounts/"+a.ID+"/transactions?transaction_type=adjustment").Expect(t, http.StatusOK).JSON(t, &txs)
	if len(txs.Transactions) != 1 || txs.Transactions[0].Amount != "20.50" || txs.Transactions[0].Description != "Balance adjustment" {
		t.Fatalf("adjustment %+v", txs)
	}
	problem(t, patch(`{"name":"x"}`, `If-Match: W/"1"`), http.StatusPreconditionFailed, "precondition_failed")
	patch(`{"sort_order":5}`, `If-Match: "2"`).Expect(t, http.StatusOK)
	p := problem(t, patch(`{"nickname":"x"}`), http.StatusBadRequest, "unknown_field")
	if fieldsOf(p) != "nickname" {
		t.Fatalf("unknown %+v", p)
	}
	p = problem(t, patch(`{"id":"x","balance_currency":"EUR"}`), http.StatusUnprocessableEntity, "validation_failed")
	if !strings.Contains(fieldsOf(p), "balance_currency") {
		t.Fatalf("read-only %+v", p)
	}
	problem(t, patch(`{"name":null}`), http.StatusUnprocessableEntity, "validation_failed")
	problem(t, patch(`{"is_hidden":"yes"}`), http.StatusUnprocessableEntity, "validation_failed")
	problem(t, patch(`{"currency":"EUR"}`), http.StatusUnprocessableEntity, "validation_failed")
	problem(t, patch(`[1]`), http.StatusBadRequest, "malformed_json")
	u.raw(t, http.MethodPatch, "/accounts/"+a.ID, `{"is_archived":true}`, "Content-Type: application/json").Expect(t, http.StatusOK)
	var l accountList
	u.get(t, "/accounts").Expect(t, http.StatusOK).JSON(t, &l)
	if l.TotalCount != 0 {
		t.Fatalf("archived account still listed: %+v", l)
	}
	patch(`{"is_archived":false,"status":"inactive"}`).Expect(t, http.StatusOK)
	problem(t, patch(`{"status":"closed"}`), http.StatusConflict, "account_not_empty")

	linked := k.linkedAccount(t, u, "87654321", "roth_ira", "50000")
	p = problem(t, u.raw(t, http.MethodPatch, "/accounts/"+linked.ID.String(), `{"balance_amount":"1","account_type":"ira"}`, "Content-Type: application/json"), http.StatusConflict, "provider_managed")
	if !strings.Contains(p.Detail, "balance_amount") {
		t.Fatalf("provider managed detail %q", p.Detail)
	}
	// The provider owns the name too (API.md); the display fields stay the owner's,
	// and naming a provider-owned field with its current value changes nothing.
	p = problem(t, u.raw(t, http.MethodPatch, "/accounts/"+linked.ID.String(), `{"name":"My Roth"}`, "Content-Type: application/json"), http.StatusConflict, "provider_managed")
	if fields, _ := p.Details["fields"].([]any); len(fields) != 1 || fields[0] != "name" {
		t.Fatalf("provider managed details %+v", p.Details)
	}
	u.raw(t, http.MethodPatch, "/accounts/"+linked.ID.String(), `{"color":"teal","icon":"piggy","notes":"Retirement","sort_order":3,"is_hidden":false,"is_favourite":true,"show_in_dashboard":false,"account_type":"roth_ira"}`, "Content-Type: application/json").Expect(t, http.StatusOK)
	problem(t, u.post(t, "/accounts/"+linked.ID.String()+"/transactions", map[string]any{"type": "deposit", "amount": "1"}), http.StatusConflict, "provider_managed")
}

// TestReconcileLinkedAccount shows a linked account's drift as the provider reports
// it, and reconciling it: one adjustment, once.
func TestReconcileLinkedAccount(t *testing.T) {
	k := start(t, harness.Auto)
	u := k.newUser(t, "rc")
	other := k.newUser(t, "rc-other")
	linked := k.linkedAccount(t, u, "55554444", "checking", "100")
	path := "/accounts/" + linked.ID.String()
	var a struct {
		BalanceAmount string  `json:"balance_amount"`
		Provider      *string `json:"provider_balance_amount"`
		Drift         *string `json:"balance_drift"`
		Status        string  `json:"status"`
	}
	u.get(t, path).Expect(t, http.StatusOK).JSON(t, &a)
	if a.BalanceAmount != "100.00" || a.Provider == nil || *a.Provider != "100.00" || a.Drift != nil {
		t.Fatalf("linked account %+v", a)
	}
	problem(t, u.post(t, path+"/reconcile", nil), http.StatusConflict, "nothing_to_reconcile")

	k.reportBalance(t, u, linked.ID, "112.34")
	u.get(t, path).Expect(t, http.StatusOK).JSON(t, &a)
	if a.BalanceAmount != "100.00" || a.Drift == nil || *a.Drift != "12.34" {
		t.Fatalf("drift not shown: %+v", a)
	}
	problem(t, other.post(t, path+"/reconcile", nil), http.StatusForbidden, "forbidden")
	problem(t, u.post(t, "/accounts/not-a-uuid/reconcile", nil), http.StatusNotFound, "not_found")
	var tx struct {
		Type        string `json:"type"`
		Amount      string `json:"amount"`
		Description string `json:"description"`
	}
	u.post(t, path+"/reconcile", nil).Expect(t, http.StatusCreated).JSON(t, &tx)
	if tx.Type != "adjustment" || tx.Amount != "12.34" || tx.Description != "Balance reconciliation" {
		t.Fatalf("reconciliation entry %+v", tx)
	}
	u.get(t, path).Expect(t, http.StatusOK).JSON(t, &a)
	if a.BalanceAmount != "112.34" || a.Drift != nil {
		t.Fatalf("after reconcile %+v", a)
	}
	problem(t, u.post(t, path+"/reconcile", nil), http.StatusConflict, "nothing_to_reconcile")
	manual := u.createAccount(t, `{"name":"Cash","account_type":"cash","currency":"USD","opening_balance":"5"}`)
	problem(t, u.post(t, "/accounts/"+manual.ID+"/reconcile", nil), http.StatusConflict, "nothing_to_reconcile")
}

func TestCloseAccount(t *testing.T) {
	k := start(t, harness.Auto)
	u := k.newUser(t, "cl")
	a := u.createAccount(t, `{"name":"Savings","account_type":"savings","currency":"RWF","opening_balance":"500"}`)
	p := problem(t, u.do(t, http.MethodDelete, "/accounts/"+a.ID, nil), http.StatusConflict, "account_not_empty")
	if p.Details["account_id"] != a.ID || p.Details["current_balance"] != "500" {
		t.Fatalf("details %v", p.Details)
	}
	u.record(t, a.ID, "withdrawal", "500")
	var closed struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		ClosedAt string `json:"closed_at"`
	}
	u.do(t, http.MethodDelete, "/accounts/"+a.ID, nil).Expect(t, http.StatusOK).JSON(t, &closed)
	if closed.ID != a.ID || closed.Status != "closed" || closed.ClosedAt == "" {
		t.Fatalf("closed %+v", closed)
	}
	u.do(t, http.MethodDelete, "/accounts/"+a.ID, nil).Expect(t, http.StatusOK)
	problem(t, u.post(t, "/accounts/"+a.ID+"/transactions", map[string]any{"type": "deposit", "amount": "1"}), http.StatusConflict, "account_closed")
	problem(t, u.do(t, http.MethodPatch, "/accounts/"+a.ID, map[string]any{"status": "active"}), http.StatusConflict, "account_closed")
	problem(t, u.do(t, http.MethodDelete, "/accounts/"+uuid.NewString(), nil), http.StatusNotFound, "not_found")
}

func TestUpsert(t *testing.T) {
	k := start(t, harness.Auto)
	u := k.newUser(t, "up")
	var r struct {
		Operation string  `json:"operation"`
		Account   account `json:"account"`
	}
	res := u.post(t, "/accounts/upsert", map[string]any{"external_id": "bca-1", "name": "BCA", "account_type": "checking", "currency": "IDR", "balance_amount": 1500000}).Expect(t, http.StatusCreated)
	res.JSON(t, &r)
	if r.Operation != "created" || r.Account.BalanceAmount != "1500000.00" || *r.Account.ExternalID != "bca-1" {
		t.Fatalf("created %+v", r)
	}
	id := r.Account.ID
	u.post(t, "/accounts/upsert", map[string]any{"external_id": "bca-1", "name": "BCA Tahapan", "account_type": "checking", "currency": "IDR", "balance_amount": "1400000"}).Expect(t, http.StatusOK).JSON(t, &r)
	if r.Operation != "updated" || r.Account.ID != id || r.Account.Name != "BCA Tahapan" || r.Account.BalanceAmount != "1400000.00" {
		t.Fatalf("updated %+v", r)
	}
	problem(t, u.post(t, "/accounts/upsert", map[string]any{"name": "x", "account_type": "cash", "currency": "IDR"}), http.StatusUnprocessableEntity, "validation_failed")
	problem(t, u.post(t, "/accounts/upsert", map[string]any{"external_id": "e", "isLiability": true}), http.StatusBadRequest, "unknown_field")
	problem(t, u.post(t, "/accounts/upsert", map[string]any{"external_id": "bca-1", "currency": "USD", "name": "BCA", "account_type": "checking"}), http.StatusUnprocessableEntity, "validation_failed")
}

func TestTransactionsAndTransfers(t *testing.T) {
	k := start(t, harness.Auto)
	u := k.newUser(t, "tx")
	chk := u.createAccount(t, `{"name":"Checking","account_type":"checking","currency":"USD","opening_balance":"100","overdraft_limit":"50"}`)
	sav := u.createAccount(t, `{"name":"Savings","account_type":"savings","currency":"USD"}`)
	eur := u.createAccount(t, `{"name":"Euro","account_type":"savings","currency":"EUR"}`)
	cash := u.createAccount(t, `{"name":"Cash","account_type":"cash","currency":"USD"}`)

	res := u.post(t, "/accounts/"+chk.ID+"/transactions", map[string]any{"type": "purchase", "amount": 30.25, "description": "Groceries", "counterparty": "Market", "booked_at": "2025-01-05T10:00:00Z", "external_id": "r-1"}).Expect(t, http.StatusCreated)
	var tx transaction
	res.JSON(t, &tx)
	if tx.Amount != "-30.25" || tx.Type != "purchase" || tx.BookedAt != "2025-01-05T10:00:00Z" || tx.Status != "posted" || tx.Currency != "USD" {
		t.Fatalf("recorded %+v", tx)
	}
	problem(t, u.post(t, "/accounts/"+chk.ID+"/transactions", map[string]any{"type": "purchase", "amount": "1", "external_id": "r-1"}), http.StatusConflict, "duplicate_external_id")
	p := problem(t, u.post(t, "/accounts/"+chk.ID+"/transactions", map[string]any{"type": "withdrawal", "amount": "119.76"}), http.StatusUnprocessableEntity, "insufficient_funds")
	if p.Details["available"] != "119.75" {
		t.Fatalf("insufficient details %v", p.Details)
	}
	u.record(t, chk.ID, "withdrawal", "119.75")
	// A cash account has no overdraft rule.
	u.record(t, cash.ID, "payment", "5")
	p = problem(t, u.post(t, "/accounts/"+chk.ID+"/transactions", map[string]any{"type": "transfer_in", "amount": "-1", "booked_at": "soon", "status": "done"}), http.StatusUnprocessableEntity, "validation_failed")
	if fieldsOf(p) != "type,amount,status,booked_at" {
		t.Fatalf("fields %q", fieldsOf(p))
	}
	p = problem(t, u.post(t, "/accounts/"+chk.ID+"/transactions", map[string]any{"type": "deposit", "amount": "-1"}), http.StatusUnprocessableEntity, "validation_failed")
	if fieldsOf(p) != "amount" {
		t.Fatalf("fields %q", fieldsOf(p))
	}
	u.post(t, "/accounts/"+chk.ID+"/transactions", map[string]any{"type": "adjustment", "amount": "-0.5"}).Expect(t, http.StatusCreated)
	u.record(t, chk.ID, "deposit", "200.5")
	problem(t, u.post(t, "/accounts/"+uuid.NewString()+"/transactions", map[string]any{"type": "deposit", "amount": "1"}), http.StatusNotFound, "not_found")

	var tr struct {
		ID     string      `json:"id"`
		Source transaction `json:"source_transaction"`
		Dest   transaction `json:"destination_transaction"`
	}
	u.post(t, "/transfers", map[string]any{"source_account_id": chk.ID, "destination_account_id": sav.ID, "amount": "100", "description": "Save"}).Expect(t, http.StatusCreated).JSON(t, &tr)
	if tr.Source.Amount != "-100.00" || tr.Dest.Amount != "100.00" || *tr.Source.TransferID != tr.ID || *tr.Dest.TransferID != tr.ID || tr.Source.Type != "transfer_out" || tr.Dest.AccountID != sav.ID {
		t.Fatalf("transfer %+v", tr)
	}
	if got := u.account(t, chk.ID).BalanceAmount; got != "50.00" {
		t.Fatalf("checking balance %s", got)
	}
	problem(t, u.post(t, "/transfers", map[string]any{"source_account_id": chk.ID, "destination_account_id": eur.ID, "amount": "1"}), http.StatusUnprocessableEntity, "currency_mismatch")
	problem(t, u.post(t, "/transfers", map[string]any{"source_account_id": chk.ID, "destination_account_id": chk.ID, "amount": "1"}), http.StatusUnprocessableEntity, "validation_failed")
	problem(t, u.post(t, "/transfers", map[string]any{"source_account_id": chk.ID, "destination_account_id": sav.ID, "amount": "100.01"}), http.StatusUnprocessableEntity, "insufficient_funds")
	problem(t, u.post(t, "/transfers", map[string]any{"source_account_id": chk.ID, "destination_account_id": uuid.NewString(), "amount": "1"}), http.StatusNotFound, "not_found")
	problem(t, u.post(t, "/transfers", map[string]any{"source_account_id": "x", "amount": "0"}), http.StatusUnprocessableEntity, "validation_failed")
	if got := u.account(t, sav.ID).BalanceAmount; got != "100.00" {
		t.Fatalf("a refused transfer moved money: savings %s", got)
	}
	u.record(t, sav.ID, "withdrawal", "100")
	u.do(t, http.MethodDelete, "/accounts/"+sav.ID, nil).Expect(t, http.StatusOK)
	problem(t, u.post(t, "/transfers", map[string]any{"source_account_id": chk.ID, "destination_account_id": sav.ID, "amount": "1"}), http.StatusConflict, "account_closed")

	// Lists: per account newest first with filters and paging, and across accounts.
	var l transactionList
	u.get(t, "/accounts/"+chk.ID+"/transactions?limit=2").Expect(t, http.StatusOK).JSON(t, &l)
	if len(l.Transactions) != 2 || !l.HasMore || l.Transactions[0].Type != "transfer_out" {
		t.Fatalf("first page %+v", l)
	}
	var count int
	cursor := ""
	for {
		var page transactionList
		u.get(t, "/accounts/"+chk.ID+"/transactions?limit=2&cursor="+url.QueryEscape(cursor)).Expect(t, http.StatusOK).JSON(t, &page)
		count += len(page.Transactions)
		if !page.HasMore {
			break
		}
		cursor = *page.NextCursor
	}
	if count != 6 {
		t.Fatalf("paged %d transactions of checking, want 6", count)
	}
	u.get(t, "/accounts/"+chk.ID+"/transactions?start_date=2025-01-01&end_date=2025-01-31&transaction_type=purchase&status=posted&min_amount=30&max_amount=31&q=grocer").Expect(t, http.StatusOK).JSON(t, &l)
	if len(l.Transactions) != 1 || l.Transactions[0].ID != tx.ID {
		t.Fatalf("filtered %+v", l)
	}
	u.get(t, "/transactions?account_id="+sav.ID+","+cash.ID).Expect(t, http.StatusOK).JSON(t, &l)
	if len(l.Transactions) != 3 {
		t.Fatalf("across two accounts %+v", l)
	}
	u.get(t, "/transactions?limit=200").Expect(t, http.StatusOK).JSON(t, &l)
	if len(l.Transactions) != 9 {
		t.Fatalf("across all accounts %d", len(l.Transactions))
	}
	problem(t, u.get(t, "/transactions?cursor=eyJrIjoiYWNjb3VudHMifQ"), http.StatusBadRequest, "invalid_cursor")
	problem(t, u.get(t, "/accounts/"+chk.ID+"/transactions?start_date=2025-02-01&end_date=2025-01-01"), http.StatusUnprocessableEntity, "validation_failed")
	problem(t, u.get(t, "/transactions?account_id=nope&limit=x"), http.StatusUnprocessableEntity, "validation_failed")
	problem(t, u.get(t, "/transactions?account_id="+uuid.NewString()), http.StatusNotFound, "not_found")
}

func TestHistoryAndNetWorth(t *testing.T) {
	k := start(t, harness.Auto)
	u := k.newUser(t, "hist")
	a := u.createAccount(t, `{"name":"Wallet","account_type":"cash","currency":"USD"}`)
	card := u.createAccount(t, `{"name":"Card","account_type":"credit_card","currency":"USD"}`)
	for _, e := range []struct{ acc, typ, amount, at string }{
		{a.ID, "deposit", "100", "2025-01-01T08:00:00Z"}, {a.ID, "purchase", "40", "2025-01-08T08:00:00Z"},
		{card.ID, "purchase", "25", "2025-01-09T08:00:00Z"}, {a.ID, "interest", "0.01", "2025-02-01T00:00:00Z"},
	} {
		u.post(t, "/accounts/"+e.acc+"/transactions", map[string]any{"type": e.typ, "amount": e.amount, "booked_at": e.at}).Expect(t, http.StatusCreated)
	}
	var h struct {
		Currency string `json:"currency"`
		Points   []struct {
			Date    string `json:"date"`
			Balance string `json:"balance"`
		} `json:"points"`
	}
	u.get(t, "/accounts/"+a.ID+"/balance-history?start_date=2024-12-31&end_date=2025-01-09&interval=week").Expect(t, http.StatusOK).JSON(t, &h)
	if fmt.Sprint(h.Points) != "[{2025-01-05 100.00} {2025-01-09 60.00}]" && fmt.Sprint(h.Points) != "[{2025-01-05 100.00} {2025-01-09 60.00}]" || h.Currency != "USD" {
		t.Fatalf("weekly %+v", h)
	}
	u.get(t, "/accounts/"+a.ID+"/balance-history?start_date=2025-01-01&end_date=2025-02-28&interval=month").Expect(t, http.StatusOK).JSON(t, &h)
	if fmt.Sprint(h.Points) != "[{2025-01-31 60.00} {2025-02-28 60.01}]" {
		t.Fatalf("monthly %+v", h.Points)
	}
	u.get(t, "/accounts/"+a.ID+"/balance-history").Expect(t, http.StatusOK).JSON(t, &h)
	if len(h.Points) != 30 || h.Points[29].Balance != "60.01" {
		t.Fatalf("default range %d points", len(h.Points))
	}
	var nw struct {
		Series []struct {
			Currency string `json:"currency"`
			Points   []struct {
				Date    string `json:"date"`
				Balance string `json:"balance"`
			} `json:"points"`
		} `json:"series"`
	}
	u.get(t, "/net-worth?start_date=2025-01-07&end_date=2025-01-10").Expect(t, http.StatusOK).JSON(t, &nw)
	if len(nw.Series) != 1 || fmt.Sprint(nw.Series[0].Points) != "[{2025-01-07 100.00} {2025-01-08 60.00} {2025-01-09 35.00} {2025-01-10 35.00}]" {
		t.Fatalf("net worth %+v", nw)
	}
	problem(t, u.get(t, "/accounts/"+a.ID+"/balance-history?interval=year"), http.StatusUnprocessableEntity, "validation_failed")
	problem(t, u.get(t, "/net-worth?start_date=2025-02-01&end_date=2025-01-01"), http.StatusUnprocessableEntity, "validation_failed")
	problem(t, u.get(t, "/net-worth?start_date=2000-01-01&end_date=2025-01-01"), http.StatusUnprocessableEntity, "validation_failed")
	problem(t, u.get(t, "/accounts/"+uuid.NewString()+"/balance-history"), http.StatusNotFound, "not_found")
}

// TestIdempotentPosts replays POSTs by Idempotency-Key, including identical
// requests sent at the same moment: exactly one account is created.
func TestIdempotentPosts(t *testing.T) {
	k := start(t, harness.Auto)
	u := k.newUser(t, "idem")
	body := map[string]any{"name": "Once", "account_type": "cash", "currency": "USD", "opening_balance": "10"}
	first := u.post(t, "/accounts", body, "Idempotency-Key: create-1").Expect(t, http.StatusCreated)
	again := u.post(t, "/accounts", body, "Idempotency-Key: create-1").Expect(t, http.StatusCreated)
	if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(first.Body) || again.Header.Get("Location") != first.Header.Get("Location") {
		t.Fatalf("replay differs: %s vs %s", again.Body, first.Body)
	}
	body["name"] = "Other"
	problem(t, u.post(t, "/accounts", body, "Idempotency-Key: create-1"), http.StatusUnprocessableEntity, "idempotency_key_reused")

	var a account
	first.JSON(t, &a)
	dep := map[string]any{"type": "deposit", "amount": "5"}
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res := u.c.Do(t, http.MethodPost, "/api/v1/accounts/"+a.ID+"/transactions", dep, "Idempotency-Key: deposit-1")
			statuses[i] = res.Status
			if res.Status == http.StatusConflict && !strings.Contains(string(res.Body), "idempotency_request_in_progress") {
				t.Errorf("unexpected conflict %s", res.Body)
			}
		}(i)
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		if s == http.StatusCreated {
			created++
		} else if s != http.StatusConflict {
			t.Fatalf("status %d among %v", s, statuses)
		}
	}
	if created == 0 {
		t.Fatalf("no request succeeded: %v", statuses)
	}
	if got := u.account(t, a.ID).BalanceAmount; got != "15.00" {
		t.Fatalf("balance %s after concurrent identical deposits, want 15.00 (one deposit)", got)
	}
	var tr map[string]any
	two := u.createAccount(t, `{"name":"Two","account_type":"cash","currency":"USD"}`)
	tb := map[string]any{"source_account_id": a.ID, "destination_account_id": two.ID, "amount": "1"}
	u.post(t, "/transfers", tb, "Idempotency-Key: tr-1").Expect(t, http.StatusCreated).JSON(t, &tr)
	u.post(t, "/transfers", tb, "Idempotency-Key: tr-1").Expect(t, http.StatusCreated)
	u.do(t, http.MethodPatch, "/accounts/"+a.ID, map[string]any{"balance_amount": "20"}, "Idempotency-Key: p-1").Expect(t, http.StatusOK)
	u.do(t, http.MethodPatch, "/accounts/"+a.ID, map[string]any{"balance_amount": "20"}, "Idempotency-Key: p-1").Expect(t, http.StatusOK)
	if got := u.account(t, two.ID).BalanceAmount; got != "1.00" {
		t.Fatalf("replayed transfer moved money twice: %s", got)
	}
	var l transactionList
	u.get(t, "/accounts/"+a.ID+"/transactions").Expect(t, http.StatusOK).JSON(t, &l)
	if len(l.Transactions) != 4 {
		t.Fatalf("%d entries, want opening, deposit, transfer and one adjustment", len(l.Transactions))
	}
}

func TestRateLimited(t *testing.T) {
	inst := harness.Start(t, harness.Options{Engine: harness.SQLite, RateLimits: true})
	c := inst.Register(t, "rl").Client
	for i := 0; i < 200; i++ {
		res := c.Get(t, "/api/v1/accounts")
		if res.Header.Get("X-RateLimit-Limit") == "" {
			t.Fatal("no rate-limit headers")
		}
		if res.Status == http.StatusTooManyRequests {
			res.ExpectProblem(t, http.StatusTooManyRequests, "rate_limited")
			if res.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			return
		}
	}
	t.Fatal("200 reads were never rate limited")
}

// TestEmptyAndAbsurdValues holds the hardening audit's items 12 and 13: an empty
// string is a mistake, not "the default"; booking dates lie between 1900 and a year
// ahead; and PATCH refuses an unknown nested field as POST does.
func TestEmptyAndAbsurdValues(t *testing.T) {
	k := start(t, harness.Auto)
	u := k.newUser(t, "hard")
	a := u.createAccount(t, `{"name":"Everyday","account_type":"checking","currency":"USD","opening_balance":"100"}`)
	b := u.createAccount(t, `{"name":"Savings","account_type":"savings","currency":"USD"}`)
	tx := "/accounts/" + a.ID + "/transactions"
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"type": "deposit", "amount": "1", "booked_at": ""}, "booked_at"},
		{map[string]any{"type": "deposit", "amount": "1", "booked_at": "  "}, "booked_at"},
		{map[string]any{"type": "deposit", "amount": "1", "status": ""}, "status"},
		{map[string]any{"type": "deposit", "amount": "1", "booked_at": "1899-12-31"}, "booked_at"},
		{map[string]any{"type": "deposit", "amount": "1", "booked_at": "0000-01-01"}, "booked_at"},
		{map[string]any{"type": "deposit", "amount": "1", "booked_at": time.Now().AddDate(1, 1, 0).Format(time.DateOnly)}, "booked_at"},
		{map[string]any{"type": "deposit", "amount": "1", "booked_at": "9999-12-31T00:00:00Z"}, "booked_at"},
	} {
		p := problem(t, u.post(t, tx, c.body), http.StatusUnprocessableEntity, "validation_failed")
		if fieldsOf(p) != c.field {
			t.Errorf("%v: fields %q, want %s", c.body, fieldsOf(p), c.field)
		}
	}
	u.post(t, tx, map[string]any{"type": "deposit", "amount": "1", "booked_at": "1900-01-01"}).Expect(t, http.StatusCreated)
	u.post(t, tx, map[string]any{"type": "deposit", "amount": "1", "booked_at": time.Now().AddDate(0, 11, 0).Format(time.DateOnly)}).Expect(t, http.StatusCreated)
	u.post(t, tx, map[string]any{"type": "deposit", "amount": "1", "status": "pending"}).Expect(t, http.StatusCreated)

	p := problem(t, u.post(t, "/transfers", map[string]any{"source_account_id": a.ID, "destination_account_id": b.ID, "amount": "1", "booked_at": ""}),
		http.StatusUnprocessableEntity, "validation_failed")
	if fieldsOf(p) != "booked_at" {
		t.Errorf("transfer with an empty booked_at: fields %q", fieldsOf(p))
	}
	p = problem(t, u.post(t, "/accounts/upsert", map[string]any{"external_id": "e-1", "name": "X", "account_type": "cash", "currency": "USD", "opening_balance": ""}),
		http.StatusUnprocessableEntity, "validation_failed")
	if fieldsOf(p) != "opening_balance" {
		t.Errorf("upsert with an empty opening_balance: fields %q", fieldsOf(p))
	}

	// An unknown field inside custom_fields: 400 unknown_field from POST and PATCH alike.
	nested := `{"custom_fields":[{"label":"IBAN","value":"DE00","colour":"red"}]}`
	problem(t, u.raw(t, http.MethodPost, "/accounts", `{"name":"N","account_type":"cash","currency":"USD","custom_fields":[{"label":"IBAN","value":"DE00","colour":"red"}]}`, "Content-Type: application/json"), http.StatusBadRequest, "unknown_field")
	problem(t, u.raw(t, http.MethodPatch, "/accounts/"+a.ID, nested, "Content-Type: application/merge-patch+json"), http.StatusBadRequest, "unknown_field")
	u.raw(t, http.MethodPatch, "/accounts/"+a.ID, `{"custom_fields":[{"label":"IBAN","value":"DE00"}]}`, "Content-Type: application/merge-patch+json").Expect(t, http.StatusOK)
}

// TestFavouritesComeFirstAcrossPages makes the last of seven accounts a
// favourite and walks GET /accounts two at a time: the favourite is the first
// account of the first page, and every account comes exactly once, the others in
// sort order; the same holds for a descending sort.
func TestFavouritesComeFirstAcrossPages(t *testing.T) {
	k := start(t, harness.Auto)
	u := k.newUser(t, "fav")
	var ids []string
	for i := range 7 {
		a := u.createAccount(t, fmt.Sprintf(`{"name":"Account %d","account_type":"checking","currency":"JPY","sort_order":%d}`, i, i))
		ids = append(ids, a.ID)
	}
	last := ids[len(ids)-1]
	var fav account
	u.do(t, http.MethodPatch, "/accounts/"+last, map[string]any{"is_favourite": true}).Expect(t, http.StatusOK).JSON(t, &fav)
	if !fav.IsFavourite {
		t.Fatalf("PATCH is_favourite: %+v", fav)
	}
	for _, sortBy := range []string{"sort_order", "-sort_order", "name", "-created_at"} {
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			path := "/accounts?limit=2&sort=" + sortBy
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			var l accountList
			u.get(t, path).Expect(t, http.StatusOK).JSON(t, &l)
			for _, a := range l.Accounts {
				got = append(got, a.ID)
				if a.IsFavourite != (a.ID == last) {
					t.Fatalf("%s: account %s is_favourite %v", sortBy, a.Name, a.IsFavourite)
				}
			}
			if !l.HasMore || l.NextCursor == nil {
				break
			}
			cursor = *l.NextCursor
			if pages > 7 {
				t.Fatalf("%s: paging does not end", sortBy)
			}
		}
		want := []string{last}
		others := ids[:len(ids)-1]
		if strings.HasPrefix(sortBy, "-") {
			for i := len(others) - 1; i >= 0; i-- {
				want = append(want, others[i])
			}
		} else {
			want = append(want, others...)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: pages serve\n%v\nwant\n%v", sortBy, got, want)
		}
	}
}
