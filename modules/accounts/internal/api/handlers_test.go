package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/api"
	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver/handlertest"
	"github.com/kontor-app/kontor/platform/money"
)

// These tests hold the JSON face alone: the real routes, middleware and error
// handler over a fake service, no database. Each endpoint's parsing (what reaches
// the use case) and mapping (what a use-case error becomes) is checked here; the
// rules themselves are the app tests', the store's and the e2e flows' business.

// fakeService records what reached it and answers err when set. The parsers of the
// two inputs the service decodes itself are the real ones, on a fixed clock.
type fakeService struct {
	*app.Service
	err     error
	sub     authn.Subject
	list    app.ListAccountsQuery
	id      uuid.UUID
	create  app.CreateAccountInput
	upsert  app.UpsertAccountInput
	outcome app.UpsertOutcome
	update  app.UpdateAccountInput
	history app.HistoryInput
	txns    app.ListTransactionsInput
	record  app.RecordTransactionInput
	move    app.TransferInput
}

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }

func newFake() *fakeService {
	return &fakeService{Service: app.NewService(nil, nil, fixedClock{}), outcome: app.Created}
}

var testAccount = domain.Account{
	ID: uuid.MustParse("01900000-0000-7000-8000-0000000000a1"), UserID: handlertest.Subject.UserID,
	Name: "Current", Type: domain.AccountType("checking"), Currency: "EUR", Balance: money.MustParse("12.50"),
	Status: domain.Status("active"), Version: 7,
}

func (f *fakeService) ListAccounts(_ context.Context, sub authn.Subject, in app.ListAccountsQuery) (app.AccountList, error) {
	f.sub, f.list = sub, in
	return app.AccountList{Accounts: []domain.Account{testAccount}, TotalCount: 1, ActiveCount: 1}, f.err
}

func (f *fakeService) GetAccount(_ context.Context, sub authn.Subject, id uuid.UUID) (domain.Account, error) {
	f.sub, f.id = sub, id
	return testAccount, f.err
}

func (f *fakeService) CreateAccount(_ context.Context, sub authn.Subject, in app.CreateAccountInput) (domain.Account, error) {
	f.sub, f.create = sub, in
	return testAccount, f.err
}

func (f *fakeService) UpdateAccount(_ context.Context, sub authn.Subject, in app.UpdateAccountInput) (domain.Account, error) {
	f.sub, f.update = sub, in
	return testAccount, f.err
}

func (f *fakeService) CloseAccount(_ context.Context, sub authn.Subject, id uuid.UUID) (domain.Account, error) {
	f.sub, f.id = sub, id
	return testAccount, f.err
}

func (f *fakeService) UpsertAccount(_ context.Context, sub authn.Subject, in app.UpsertAccountInput) (domain.Account, app.UpsertOutcome, error) {
	f.sub, f.upsert = sub, in
	return testAccount, f.outcome, f.err
}

func (f *fakeService) BalanceHistory(_ context.Context, sub authn.Subject, in app.HistoryInput) (app.Series, error) {
	f.sub, f.history = sub, in
	return app.Series{Currency: "EUR"}, f.err
}

func (f *fakeService) NetWorth(_ context.Context, sub authn.Subject, in app.HistoryInput) ([]app.Series, error) {
	f.sub, f.history = sub, in
	return nil, f.err
}

func (f *fakeService) ListTransactions(_ context.Context, sub authn.Subject, in app.ListTransactionsInput) (app.TransactionList, error) {
	f.sub, f.txns = sub, in
	return app.TransactionList{}, f.err
}

func (f *fakeService) RecordTransaction(_ context.Context, sub authn.Subject, in app.RecordTransactionInput) (app.Recorded, error) {
	f.sub, f.record = sub, in
	return app.Recorded{Transaction: domain.Transaction{ID: uuid.New(), AccountID: in.AccountID, Amount: in.Amount}, Account: testAccount}, f.err
}

func (f *fakeService) Transfer(_ context.Context, sub authn.Subject, in app.TransferInput) (app.TransferResult, error) {
	f.sub, f.move = sub, in
	return app.TransferResult{Transfer: domain.TransferRecord{ID: uuid.New()}}, f.err
}

func (f *fakeService) Reconcile(_ context.Context, sub authn.Subject, id uuid.UUID) (app.Recorded, error) {
	f.sub, f.id = sub, id
	return app.Recorded{Transaction: domain.Transaction{ID: uuid.New(), AccountID: id}}, f.err
}

const accountPath = "/api/v1/accounts/01900000-0000-7000-8000-0000000000a1"

// serve returns the routes over a fresh fake.
func serve(t *testing.T) (*fakeService, func(method, path string, body any, header ...string) handlertest.Response) {
	t.Helper()
	f := newFake()
	a := handlertest.New(t, api.New(f))
	return f, func(method, path string, body any, header ...string) handlertest.Response {
		t.Helper()
		return handlertest.Do(t, a, method, path, body, header...)
	}
}

func TestHandlersNeedACredential(t *testing.T) {
	t.Parallel()
	f := newFake()
	a := handlertest.New(t, api.New(f))
	req, _ := http.NewRequest(http.MethodGet, "/api/v1/accounts", nil)
	res, err := a.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusUnauthorized || f.sub.UserID != uuid.Nil {
		t.Fatalf("no credential: %d, service reached as %v", res.StatusCode, f.sub.UserID)
	}
}

func TestListAccountsHandler(t *testing.T) {
	t.Parallel()
	f, do := serve(t)
	var body struct {
		Accounts   []map[string]any `json:"accounts"`
		TotalCount int              `json:"total_count"`
	}
	do("GET", "/api/v1/accounts?account_type=checking&account_type=savings&currency=EUR&active_only=true&manual=false&limit=5&sort=name", nil).JSON(t, 200, &body)
	if f.sub.UserID != handlertest.Subject.UserID {
		t.Fatalf("the use case got subject %v", f.sub.UserID)
	}
	q := f.list
	if len(q.Types) != 2 || q.Types[1] != "savings" || q.Currency != "EUR" || !q.ActiveOnly || q.Manual == nil || *q.Manual || q.Limit != 5 {
		t.Fatalf("query reached the use case as %+v", q)
	}
	if body.TotalCount != 1 || len(body.Accounts) != 1 || body.Accounts[0]["balance_amount"] != "12.50" {
		t.Fatalf("body: %+v", body)
	}
	for _, bad := range []struct{ query, field string }{
		{"limit=abc", "limit"}, {"limit=0", "limit"}, {"active_only=maybe", "active_only"},
		{"manual=2", "manual"}, {"include_archived=x", "include_archived"},
	} {
		do("GET", "/api/v1/accounts?"+bad.query, nil).ExpectProblem(t, 422, apperr.ValidationFailed, bad.field)
	}
	f.err = apperr.New(apperr.Forbidden, "no")
	do("GET", "/api/v1/accounts", nil).ExpectProblem(t, 403, apperr.Forbidden)
}

func TestGetAccountHandler(t *testing.T) {
	t.Parallel()
	f, do := serve(t)
	res := do("GET", accountPath, nil)
	res.JSON(t, 200, nil)
	if f.id != testAccount.ID || res.Header.Get("ETag") != `W/"7"` {
		t.Fatalf("id %v, ETag %q", f.id, res.Header.Get("ETag"))
	}
	f.id = uuid.Nil
	do("GET", "/api/v1/accounts/not-a-uuid", nil).ExpectProblem(t, 404, apperr.NotFound)
	if f.id != uuid.Nil {
		t.Fatal("a malformed id reached the use case")
	}
	f.err = apperr.New(apperr.NotFound, "gone")
	do("GET", accountPath, nil).ExpectProblem(t, 404, apperr.NotFound)
}

func TestCreateAccountHandler(t *testing.T) {
	t.Parallel()
	f, do := serve(t)
	res := do("POST", "/api/v1/accounts", `{"name":"Current","account_type":"checking","currency":"EUR","opening_balance":"10.05"}`)
	res.JSON(t, 201, nil)
	if res.Header.Get("Location") != accountPath || res.Header.Get("ETag") != `W/"7"` {
		t.Fatalf("Location %q, ETag %q", res.Header.Get("Location"), res.Header.Get("ETag"))
	}
	in := f.create
	if in.Fields.Name.Value != "Current" || in.Fields.Currency.Value != "EUR" || in.OpeningBalance == nil || in.OpeningBalance.String() != "10.05" {
		t.Fatalf("input: %+v", in)
	}
	do("POST", "/api/v1/accounts", `{"name":`).ExpectProblem(t, 400, apperr.MalformedJSON)
	do("POST", "/api/v1/accounts", `{"name":"x","unknown":1}`).ExpectProblem(t, 400, apperr.UnknownField)
	do("POST", "/api/v1/accounts", `{}`).ExpectProblem(t, 422, apperr.ValidationFailed, "name", "account_type", "currency")
	do("POST", "/api/v1/accounts", `{"name":"x","account_type":"checking","currency":"EUR","opening_balance":"ten"}`).
		ExpectProblem(t, 422, apperr.ValidationFailed, "opening_balance")
	f.err = apperr.New(domain.DuplicateExternalID, "taken")
	do("POST", "/api/v1/accounts", `{"name":"x","account_type":"checking","currency":"EUR"}`).ExpectProblem(t, apperr.Status(domain.DuplicateExternalID), domain.DuplicateExternalID)
}

func TestUpsertAccountHandler(t *testing.T) {
	t.Parallel()
	f, do := serve(t)
	res := do("POST", "/api/v1/accounts/upsert", `{"external_id":"ext-1","name":"Current","account_type":"checking","currency":"EUR","balance_amount":"3.00"}`)
	var body struct {
		Operation string `json:"operation"`
	}
	res.JSON(t, 201, &body)
	if body.Operation != "created" || f.upsert.ExternalID != "ext-1" || res.Header.Get("Location") == "" {
		t.Fatalf("created: %+v, input %+v", body, f.upsert)
	}
	f.outcome = app.Unchanged
	do("POST", "/api/v1/accounts/upsert", `{"external_id":"ext-1"}`).JSON(t, 200, &body)
	if body.Operation != "updated" {
		t.Fatalf("an unchanged upsert reads %q, want updated", body.Operation)
	}
	do("POST", "/api/v1/accounts/upsert", `{"name":"x"}`).ExpectProblem(t, 422, apperr.ValidationFailed, "external_id")
	do("POST", "/api/v1/accounts/upsert", `{"external_id":"e","opening_balance":"1","balance_amount":"2"}`).
		ExpectProblem(t, 422, apperr.ValidationFailed, "balance_amount")
}

func TestUpdateAccountHandler(t *testing.T) {
	t.Parallel()
	f, do := serve(t)
	do("PATCH", accountPath, `{"name":"Renamed","notes":null}`, "Content-Type", "application/merge-patch+json", "If-Match", `W/"7"`).JSON(t, 200, nil)
	in := f.update
	if in.ID != testAccount.ID || len(in.ExpectedVersions) != 1 || in.ExpectedVersions[0] != 7 || in.Fields.Name.Value != "Renamed" || !in.Fields.Notes.Set {
		t.Fatalf("input: %+v", in)
	}
	do("PATCH", accountPath, `{"currency":"1"}`, "Content-Type", "application/merge-patch+json").ExpectProblem(t, 422, apperr.ValidationFailed, "currency")
	do("PATCH", "/api/v1/accounts/x", `{}`, "Content-Type", "application/merge-patch+json").ExpectProblem(t, 404, apperr.NotFound)
	f.err = apperr.New(apperr.PreconditionFailed, "changed")
	do("PATCH", accountPath, `{"name":"a"}`, "Content-Type", "application/merge-patch+json", "If-Match", `W/"6"`).ExpectProblem(t, 412, apperr.PreconditionFailed)
	f.err = apperr.New(domain.ProviderManaged, "linked")
	do("PATCH", accountPath, `{"name":"a"}`, "Content-Type", "application/merge-patch+json").ExpectProblem(t, 409, domain.ProviderManaged)
}

func TestCloseAccountHandler(t *testing.T) {
	t.Parallel()
	f, do := serve(t)
	var body map[string]any
	do("DELETE", accountPath, nil).JSON(t, 200, &body)
	if f.id != testAccount.ID || body["id"] != testAccount.ID.String() {
		t.Fatalf("id %v, body %v", f.id, body)
	}
	f.err = apperr.New(domain.AccountNotEmpty, "empty it first").WithDetails(map[string]any{"current_balance": "12.50"})
	p := do("DELETE", accountPath, nil).ExpectProblem(t, 409, domain.AccountNotEmpty)
	if p.Details["current_balance"] != "12.50" {
		t.Fatalf("details: %v", p.Details)
	}
}

func TestHistoryHandlers(t *testing.T) {
	t.Parallel()
	f, do := serve(t)
	do("GET", accountPath+"/balance-history?start_date=2026-01-01&end_date=2026-02-01&interval=week", nil).JSON(t, 200, nil)
	if f.history.AccountID != testAccount.ID || f.history.Start == nil || f.history.Start.Format("2006-01-02") != "2026-01-01" || f.history.Interval != "week" {
		t.Fatalf("input: %+v", f.history)
	}
	do("GET", accountPath+"/balance-history?start_date=yesterday", nil).ExpectProblem(t, 422, apperr.ValidationFailed, "start_date")
	do("GET", "/api/v1/net-worth?interval=fortnight", nil).ExpectProblem(t, 422, apperr.ValidationFailed, "interval")
	do("GET", "/api/v1/net-worth?end_date=2026-03-01", nil).JSON(t, 200, nil)
	if f.history.End == nil || f.history.AccountID != uuid.Nil {
		t.Fatalf("net worth input: %+v", f.history)
	}
}

func TestListTransactionsHandlers(t *testing.T) {
	t.Parallel()
	f, do := serve(t)
	do("GET", accountPath+"/transactions?transaction_type=withdrawal&min_amount=1.5&limit=10&q=rent", nil).JSON(t, 200, nil)
	in := f.txns
	if !in.AccountID.Valid || in.AccountID.UUID != testAccount.ID || len(in.Types) != 1 || in.MinAmount == nil || in.Limit != 10 || in.Q != "rent" {
		t.Fatalf("input: %+v", in)
	}
	other := uuid.New()
	do("GET", "/api/v1/transactions?account_id="+testAccount.ID.String()+"&account_id="+other.String(), nil).JSON(t, 200, nil)
	if f.txns.AccountID.Valid || len(f.txns.AccountIDs) != 2 || f.txns.AccountIDs[1] != other {
		t.Fatalf("input: %+v", f.txns)
	}
	do("GET", "/api/v1/transactions?limit=x", nil).ExpectProblem(t, 422, apperr.ValidationFailed, "limit")
	do("GET", "/api/v1/transactions?account_id=nope", nil).ExpectProblem(t, 422, apperr.ValidationFailed, "account_id")
	do("GET", accountPath+"/transactions?min_amount=lots", nil).ExpectProblem(t, 422, apperr.ValidationFailed, "min_amount")
	do("GET", accountPath+"/transactions?start_date=2026-13-01", nil).ExpectProblem(t, 422, apperr.ValidationFailed, "start_date")
}

func TestRecordTransactionHandler(t *testing.T) {
	t.Parallel()
	f, do := serve(t)
	do("POST", accountPath+"/transactions", `{"type":"withdrawal","amount":"4.20","description":"Coffee","booked_at":"2026-11-27T08:00:00Z"}`).JSON(t, 201, nil)
	in := f.record
	if in.AccountID != testAccount.ID || in.Amount.String() != "4.20" || in.Description != "Coffee" || in.BookedAt.Day() != 27 {
		t.Fatalf("input: %+v", in)
	}
	f.record = app.RecordTransactionInput{}
	do("POST", accountPath+"/transactions", `{"type":"gift","amount":"abc"}`).ExpectProblem(t, 422, apperr.ValidationFailed, "type", "amount")
	if f.record.AccountID != uuid.Nil {
		t.Fatal("an invalid entry reached the use case")
	}
	f.err = apperr.New(domain.InsufficientFunds, "not enough")
	do("POST", accountPath+"/transactions", `{"type":"withdrawal","amount":"4.20"}`).ExpectProblem(t, 422, domain.InsufficientFunds)
}

func TestTransferHandler(t *testing.T) {
	t.Parallel()
	f, do := serve(t)
	dst := uuid.New()
	do("POST", "/api/v1/transfers", map[string]string{"source_account_id": testAccount.ID.String(), "destination_account_id": dst.String(), "amount": "5.00"}).JSON(t, 201, nil)
	if f.move.SourceAccountID != testAccount.ID || f.move.DestinationAccountID != dst || f.move.Amount.String() != "5.00" {
		t.Fatalf("input: %+v", f.move)
	}
	do("POST", "/api/v1/transfers", `{"source_account_id":"x","amount":"0"}`).
		ExpectProblem(t, 422, apperr.ValidationFailed, "source_account_id", "destination_account_id", "amount")
	f.err = apperr.New(domain.CurrencyMismatch, "EUR to GBP")
	do("POST", "/api/v1/transfers", map[string]string{"source_account_id": testAccount.ID.String(), "destination_account_id": dst.String(), "amount": "5.00"}).
		ExpectProblem(t, 422, domain.CurrencyMismatch)
}

func TestReconcileHandler(t *testing.T) {
	t.Parallel()
	f, do := serve(t)
	do("POST", accountPath+"/reconcile", nil).JSON(t, 201, nil)
	if f.id != testAccount.ID {
		t.Fatalf("id %v", f.id)
	}
	f.err = apperr.New(domain.NothingToReconcile, "in step")
	do("POST", accountPath+"/reconcile", nil).ExpectProblem(t, 409, domain.NothingToReconcile)
	f.err = apperr.Wrap(errorString("disk on fire"), "reconcile")
	p := do("POST", accountPath+"/reconcile", nil).ExpectProblem(t, 500, apperr.Internal)
	if strings.Contains(p.Detail, "disk on fire") {
		t.Fatalf("an internal error's text reached the client: %q", p.Detail)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
