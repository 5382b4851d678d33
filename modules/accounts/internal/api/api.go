// Package api serves the accounts module's JSON endpoints under /api/v1: accounts,
// their transactions, transfers, balance history and net worth. Handlers parse the
// request into the use case's input, call it, and map the result to the contract in
// openapi.json; every error goes to the one error handler as it is.
package api

import (
	"context"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/money"
)

// Service is the part of the accounts use cases the JSON API calls.
type Service interface {
	ListAccounts(ctx context.Context, sub authn.Subject, in app.ListAccountsQuery) (app.AccountList, error)
	GetAccount(ctx context.Context, sub authn.Subject, id uuid.UUID) (domain.Account, error)
	CreateAccount(ctx context.Context, sub authn.Subject, in app.CreateAccountInput) (domain.Account, error)
	UpdateAccount(ctx context.Context, sub authn.Subject, in app.UpdateAccountInput) (domain.Account, error)
	CloseAccount(ctx context.Context, sub authn.Subject, id uuid.UUID) (domain.Account, error)
	UpsertAccount(ctx context.Context, sub authn.Subject, in app.UpsertAccountInput) (domain.Account, app.UpsertOutcome, error)
	BalanceHistory(ctx context.Context, sub authn.Subject, in app.HistoryInput) (app.Series, error)
	NetWorth(ctx context.Context, sub authn.Subject, in app.HistoryInput) ([]app.Series, error)
	ListTransactions(ctx context.Context, sub authn.Subject, in app.ListTransactionsInput) (app.TransactionList, error)
	ParseRecordTransaction(in app.RecordTransactionText) (app.RecordTransactionInput, error)
	RecordTransaction(ctx context.Context, sub authn.Subject, in app.RecordTransactionInput) (app.Recorded, error)
	ParseTransfer(in app.TransferText) (app.TransferInput, error)
	Transfer(ctx context.Context, sub authn.Subject, in app.TransferInput) (app.TransferResult, error)
	Reconcile(ctx context.Context, sub authn.Subject, id uuid.UUID) (app.Recorded, error)
}

// Routes are the accounts module's JSON endpoints.
type Routes struct {
	svc Service
}

// New returns the JSON endpoints over svc.
func New(svc Service) *Routes { return &Routes{svc: svc} }

// Register adds the endpoints of API.md's Accounts and Transactions sections.
func (r *Routes) Register(rt *httpserver.Router) {
	rt.APIRead("/accounts", httpserver.Authenticated(r.listAccounts))
	rt.APIWrite(fiber.MethodPost, "/accounts", httpserver.Authenticated(r.createAccount))
	rt.APIWrite(fiber.MethodPost, "/accounts/upsert", httpserver.Authenticated(r.upsertAccount))
	rt.APIRead("/accounts/:id", httpserver.Authenticated(r.getAccount))
	rt.APIWrite(fiber.MethodPatch, "/accounts/:id", httpserver.Authenticated(r.updateAccount))
	rt.APIWrite(fiber.MethodDelete, "/accounts/:id", httpserver.Authenticated(r.closeAccount))
	rt.APIRead("/accounts/:id/balance-history", httpserver.Authenticated(r.balanceHistory))
	rt.APIRead("/accounts/:id/transactions", httpserver.Authenticated(r.listAccountTransactions))
	rt.APIWrite(fiber.MethodPost, "/accounts/:id/transactions", httpserver.Authenticated(r.recordTransaction))
	rt.APIWrite(fiber.MethodPost, "/accounts/:id/reconcile", httpserver.Authenticated(r.reconcile))
	rt.APIRead("/transactions", httpserver.Authenticated(r.listTransactions))
	rt.APIWrite(fiber.MethodPost, "/transfers", httpserver.Authenticated(r.transfer))
	rt.APIRead("/net-worth", httpserver.Authenticated(r.netWorth))
}

// query reads query parameters, collecting problems with their values.
type query struct {
	v    url.Values
	errs apperr.Fields
}

func (q *query) str(name string) string { return q.v.Get(name) }

// list returns every value of a repeatable parameter.
func (q *query) list(name string) []string { return q.v[name] }

func (q *query) boolean(name string) (bool, bool) {
	v := q.v.Get(name)
	if v == "" {
		return false, false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		q.errs.Add(name, "must be true or false")
		return false, false
	}
	return b, true
}

func (q *query) integer(name string) int {
	v := q.v.Get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n == 0 {
		q.errs.Add(name, "must be a whole number between 1 and %d", app.MaxLimit)
		return -1
	}
	return n
}

func (r *Routes) listAccounts(c *fiber.Ctx, sub authn.Subject) error {
	in, err := ParseListAccounts(httpserver.QueryValues(c))
	if err != nil {
		return err
	}
	list, err := r.svc.ListAccounts(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	return c.JSON(AccountListBody(list))
}

// ParseListAccounts reads the query parameters of GET /accounts, so that another
// module serving a list of accounts reads them exactly alike.
func ParseListAccounts(v url.Values) (app.ListAccountsQuery, error) {
	q := query{v: v}
	in := app.ListAccountsText{
		AccountTypes: q.list("account_type"), Status: q.str("status"), Currency: q.str("currency"),
		ConnectionID: q.str("connection_id"), MinBalance: q.str("min_balance"), MaxBalance: q.str("max_balance"),
		CreatedAfter: q.str("created_after"), CreatedBefore: q.str("created_before"), Q: q.str("q"),
		Sort: q.str("sort"), Limit: q.integer("limit"), Cursor: q.str("cursor"),
	}
	in.ActiveOnly, _ = q.boolean("active_only")
	in.IncludeArchived, _ = q.boolean("include_archived")
	if manual, ok := q.boolean("manual"); ok {
		in.Manual = &manual
	}
	if err := q.errs.Err(); err != nil {
		return app.ListAccountsQuery{}, err
	}
	return app.ParseListAccounts(in)
}

// AccountListBody is the body of GET /accounts for list.
func AccountListBody(list app.AccountList) any {
	accounts := make([]accountJSON, len(list.Accounts))
	for i, a := range list.Accounts {
		accounts[i] = accountOf(a)
	}
	totals := make(map[string]string, len(list.TotalBalanceByCurrency))
	for cur, amount := range list.TotalBalanceByCurrency {
		totals[string(cur)] = money.Plain(amount, cur)
	}
	return fiber.Map{
		"accounts": accounts, "total_count": list.TotalCount, "active_count": list.ActiveCount,
		"total_balance_by_currency": totals, "next_cursor": cursorOf(list.NextCursor), "has_more": list.HasMore,
	}
}

func (r *Routes) getAccount(c *fiber.Ctx, sub authn.Subject) error {
	id, err := app.ParseID(c.Params("id"))
	if err != nil {
		return err
	}
	a, err := r.svc.GetAccount(c.UserContext(), sub, id)
	if err != nil {
		return err
	}
	return sendAccount(c, fiber.StatusOK, a)
}

func sendAccount(c *fiber.Ctx, status int, a domain.Account) error {
	c.Set(fiber.HeaderETag, app.ETag(a.Version))
	return c.Status(status).JSON(accountOf(a))
}

// createBody is the body of POST /accounts; upsertBody adds balance_amount.
type createBody struct {
	Name            *string            `json:"name"`
	AccountType     *string            `json:"account_type"`
	Currency        *string            `json:"currency"`
	OpeningBalance  *decimal           `json:"opening_balance"`
	ExternalID      *string            `json:"external_id"`
	AccountNumber   *string            `json:"account_number"`
	Subtype         *string            `json:"subtype"`
	OverdraftLimit  *decimal           `json:"overdraft_limit"`
	InterestRate    *decimal           `json:"interest_rate"`
	Color           *string            `json:"color"`
	Icon            *string            `json:"icon"`
	Notes           *string            `json:"notes"`
	SortOrder       *int               `json:"sort_order"`
	IsHidden        *bool              `json:"is_hidden"`
	IsFavourite     *bool              `json:"is_favourite"`
	ShowInDashboard *bool              `json:"show_in_dashboard"`
	Metadata        map[string]*string `json:"metadata"`
	CustomFields    []customFieldJSON  `json:"custom_fields"`
	LinkedAccountID *string            `json:"linked_account_id"`
}

func set[T any](p *T) app.Patch[T] {
	if p == nil {
		return app.Patch[T]{}
	}
	return app.Set(*p)
}

func setDecimal(d *decimal) app.Patch[string] {
	if d == nil {
		return app.Patch[string]{}
	}
	return app.Set(string(*d))
}

func (b *createBody) fields() app.AccountFieldsText {
	f := app.AccountFieldsText{
		Name: set(b.Name), AccountType: set(b.AccountType), Currency: set(b.Currency), ExternalID: set(b.ExternalID),
		AccountNumber: set(b.AccountNumber), Subtype: set(b.Subtype), OverdraftLimit: setDecimal(b.OverdraftLimit),
		InterestRate: setDecimal(b.InterestRate), Color: set(b.Color), Icon: set(b.Icon), Notes: set(b.Notes),
		SortOrder: set(b.SortOrder), IsHidden: set(b.IsHidden), IsFavourite: set(b.IsFavourite),
		ShowInDashboard: set(b.ShowInDashboard), LinkedAccountID: set(b.LinkedAccountID),
	}
	if b.Metadata != nil {
		f.Metadata = app.Set(b.Metadata)
	}
	if b.CustomFields != nil {
		f.CustomFields = app.Set(customFields(b.CustomFields))
	}
	return f
}

func customFields(in []customFieldJSON) []domain.CustomField {
	out := make([]domain.CustomField, len(in))
	for i, f := range in {
		out[i] = domain.CustomField(f)
	}
	return out
}

// decimalText is an optional decimal field as text: nil when the field was left out.
func decimalText(d *decimal) *string {
	if d == nil {
		return nil
	}
	s := string(*d)
	return &s
}

func opening(d *decimal) string {
	if d == nil {
		return ""
	}
	return string(*d)
}

func (r *Routes) createAccount(c *fiber.Ctx, sub authn.Subject) error {
	var body createBody
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	in, err := app.ParseCreateAccount(app.CreateAccountText{Fields: body.fields(), OpeningBalance: decimalText(body.OpeningBalance)})
	if err != nil {
		return err
	}
	a, err := r.svc.CreateAccount(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/accounts/" + a.ID.String())
	return sendAccount(c, fiber.StatusCreated, a)
}

type upsertBody struct {
	createBody
	BalanceAmount *decimal `json:"balance_amount"`
}

func (r *Routes) upsertAccount(c *fiber.Ctx, sub authn.Subject) error {
	var body upsertBody
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	ext := ""
	if body.ExternalID != nil {
		ext = *body.ExternalID
	}
	f := body.fields()
	f.BalanceAmount = setDecimal(body.BalanceAmount)
	in, err := app.ParseUpsertAccount(app.UpsertAccountText{ExternalID: ext, Fields: f, OpeningBalance: decimalText(body.OpeningBalance)})
	if err != nil {
		return err
	}
	a, op, err := r.svc.UpsertAccount(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if op == app.Created {
		status = fiber.StatusCreated
		c.Location("/api/v1/accounts/" + a.ID.String())
	} else {
		op = app.Updated
	}
	c.Set(fiber.HeaderETag, app.ETag(a.Version))
	return c.Status(status).JSON(fiber.Map{"operation": op, "account": accountOf(a)})
}

func (r *Routes) updateAccount(c *fiber.Ctx, sub authn.Subject) error {
	id, err := app.ParseID(c.Params("id"))
	if err != nil {
		return err
	}
	f, err := decodeMergePatch(c)
	if err != nil {
		return err
	}
	in, err := app.ParseUpdateAccount(app.UpdateAccountText{ID: id, IfMatch: c.Get(fiber.HeaderIfMatch), Fields: f})
	if err != nil {
		return err
	}
	a, err := r.svc.UpdateAccount(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	return sendAccount(c, fiber.StatusOK, a)
}

func (r *Routes) closeAccount(c *fiber.Ctx, sub authn.Subject) error {
	id, err := app.ParseID(c.Params("id"))
	if err != nil {
		return err
	}
	a, err := r.svc.CloseAccount(c.UserContext(), sub, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": a.ID.String(), "status": string(a.Status), "closed_at": optTimestamp(a.ClosedAt)})
}

func historyInput(c *fiber.Ctx) (app.HistoryInput, error) {
	return app.ParseHistory(app.HistoryText{StartDate: c.Query("start_date"), EndDate: c.Query("end_date"), Interval: c.Query("interval")})
}

func (r *Routes) balanceHistory(c *fiber.Ctx, sub authn.Subject) error {
	id, err := app.ParseID(c.Params("id"))
	if err != nil {
		return err
	}
	in, err := historyInput(c)
	if err != nil {
		return err
	}
	in.AccountID = id
	s, err := r.svc.BalanceHistory(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	out := seriesOf(s)
	return c.JSON(fiber.Map{"account_id": c.Params("id"), "interval": intervalOf(in), "currency": out.Currency, "points": out.Points})
}

func intervalOf(in app.HistoryInput) string {
	if in.Interval == "" {
		return app.IntervalDay
	}
	return in.Interval
}

func (r *Routes) netWorth(c *fiber.Ctx, sub authn.Subject) error {
	in, err := historyInput(c)
	if err != nil {
		return err
	}
	series, err := r.svc.NetWorth(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	out := make([]seriesJSON, len(series))
	for i, s := range series {
		out[i] = seriesOf(s)
	}
	return c.JSON(fiber.Map{"interval": intervalOf(in), "series": out})
}

func transactionQuery(c *fiber.Ctx, accountIDs []string) (app.ListTransactionsInput, error) {
	q := query{v: httpserver.QueryValues(c)}
	in := app.ListTransactionsText{
		AccountIDs: accountIDs, StartDate: q.str("start_date"), EndDate: q.str("end_date"), Types: q.list("transaction_type"),
		Status: q.str("status"), MinAmount: q.str("min_amount"), MaxAmount: q.str("max_amount"), Q: q.str("q"),
		Limit: q.integer("limit"), Cursor: q.str("cursor"),
	}
	if err := q.errs.Err(); err != nil {
		return app.ListTransactionsInput{}, err
	}
	return app.ParseListTransactions(in)
}

func (r *Routes) listAccountTransactions(c *fiber.Ctx, sub authn.Subject) error {
	id, err := app.ParseID(c.Params("id"))
	if err != nil {
		return err
	}
	in, err := transactionQuery(c, nil)
	if err != nil {
		return err
	}
	in.AccountID = uuid.NullUUID{UUID: id, Valid: true}
	return r.sendTransactions(c, sub, in)
}

func (r *Routes) listTransactions(c *fiber.Ctx, sub authn.Subject) error {
	in, err := transactionQuery(c, httpserver.QueryValues(c)["account_id"])
	if err != nil {
		return err
	}
	return r.sendTransactions(c, sub, in)
}

func (r *Routes) sendTransactions(c *fiber.Ctx, sub authn.Subject, in app.ListTransactionsInput) error {
	list, err := r.svc.ListTransactions(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"transactions": transactionsOf(list.Transactions), "next_cursor": cursorOf(list.NextCursor), "has_more": list.HasMore})
}

func (r *Routes) recordTransaction(c *fiber.Ctx, sub authn.Subject) error {
	var body struct {
		Type         string   `json:"type"`
		Amount       *decimal `json:"amount"`
		Description  string   `json:"description"`
		Counterparty string   `json:"counterparty"`
		Status       *string  `json:"status"`
		BookedAt     *string  `json:"booked_at"`
		ExternalID   string   `json:"external_id"`
	}
	id, err := app.ParseID(c.Params("id"))
	if err != nil {
		return err
	}
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	in, err := r.svc.ParseRecordTransaction(app.RecordTransactionText{
		AccountID: id, Type: body.Type, Amount: opening(body.Amount), Description: body.Description,
		Counterparty: body.Counterparty, Status: body.Status, BookedAt: body.BookedAt, ExternalID: body.ExternalID,
	})
	if err != nil {
		return err
	}
	rec, err := r.svc.RecordTransaction(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(transactionOf(rec.Transaction))
}

func (r *Routes) transfer(c *fiber.Ctx, sub authn.Subject) error {
	var body struct {
		SourceAccountID      string   `json:"source_account_id"`
		DestinationAccountID string   `json:"destination_account_id"`
		Amount               *decimal `json:"amount"`
		Description          string   `json:"description"`
		BookedAt             *string  `json:"booked_at"`
	}
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	in, err := r.svc.ParseTransfer(app.TransferText{
		SourceAccountID: body.SourceAccountID, DestinationAccountID: body.DestinationAccountID,
		Amount: opening(body.Amount), Description: body.Description, BookedAt: body.BookedAt,
	})
	if err != nil {
		return err
	}
	res, err := r.svc.Transfer(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{
		"id":                      res.Transfer.ID.String(),
		"source_transaction":      transactionOf(res.Transfer.Source),
		"destination_transaction": transactionOf(res.Transfer.Destination),
	})
}

func (r *Routes) reconcile(c *fiber.Ctx, sub authn.Subject) error {
	id, err := app.ParseID(c.Params("id"))
	if err != nil {
		return err
	}
	rec, err := r.svc.Reconcile(c.UserContext(), sub, id)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(transactionOf(rec.Transaction))
}
