// Package web serves the accounts module's HTML pages: the list of accounts grouped
// by category, an account with its ledger and balance history, the forms that create
// and edit accounts, record transactions and transfer money, and the archive, restore
// and close actions. Every page works without JavaScript. Handlers parse the request
// into the same input structs the JSON API fills, call the same use cases, and map
// the result to a view; forms that fail render again with inline errors and keep what
// was typed, and errors a form cannot explain (forbidden, not found) go to the one
// error handler as they are.
package web

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
	shell "github.com/kontor-app/kontor/web"
)

// Service is the part of the accounts use cases the pages call; the JSON API calls
// the same methods with the same inputs.
type Service interface {
	ListAccounts(ctx context.Context, sub authn.Subject, in app.ListAccountsQuery) (app.AccountList, error)
	ListAccountsPage(ctx context.Context, sub authn.Subject, in app.ListAccountsQuery) (app.AccountsPage, error)
	GetAccount(ctx context.Context, sub authn.Subject, id uuid.UUID) (domain.Account, error)
	AccountPage(ctx context.Context, sub authn.Subject, id uuid.UUID, list *app.ListTransactionsInput) (app.AccountView, error)
	CreateAccount(ctx context.Context, sub authn.Subject, in app.CreateAccountInput) (domain.Account, error)
	UpdateAccount(ctx context.Context, sub authn.Subject, in app.UpdateAccountInput) (domain.Account, error)
	CloseAccount(ctx context.Context, sub authn.Subject, id uuid.UUID) (domain.Account, error)
	BalanceHistory(ctx context.Context, sub authn.Subject, in app.HistoryInput) (app.Series, error)
	ListTransactions(ctx context.Context, sub authn.Subject, in app.ListTransactionsInput) (app.TransactionList, error)
	ParseRecordTransaction(in app.RecordTransactionText) (app.RecordTransactionInput, error)
	RecordTransaction(ctx context.Context, sub authn.Subject, in app.RecordTransactionInput) (app.Recorded, error)
	ParseTransfer(in app.TransferText) (app.TransferInput, error)
	Transfer(ctx context.Context, sub authn.Subject, in app.TransferInput) (app.TransferResult, error)
	Reconcile(ctx context.Context, sub authn.Subject, id uuid.UUID) (app.Recorded, error)
}

// Routes are the accounts pages.
type Routes struct {
	svc Service
}

// New returns the pages over svc.
func New(svc Service) *Routes { return &Routes{svc: svc} }

// Register adds the pages; all of them need a logged-in user, and the platform
// checks the CSRF token of every POST. /accounts/new comes before /accounts/:id,
// because routes match in the order they are added.
func (r *Routes) Register(rt *httpserver.Router) {
	rt.Page(fiber.MethodGet, "/accounts", httpserver.Authenticated(r.listPage))
	rt.Page(fiber.MethodGet, "/accounts/new", r.newPage)
	rt.Page(fiber.MethodPost, "/accounts", httpserver.Authenticated(r.create))
	rt.Page(fiber.MethodGet, "/accounts/:id", httpserver.Authenticated(r.accountPage))
	rt.Page(fiber.MethodGet, "/accounts/:id/edit", httpserver.Authenticated(r.editPage))
	rt.Page(fiber.MethodPost, "/accounts/:id/edit", httpserver.Authenticated(r.edit))
	rt.Page(fiber.MethodGet, "/accounts/:id/transactions/new", httpserver.Authenticated(r.transactionPage))
	rt.Page(fiber.MethodPost, "/accounts/:id/transactions/new", httpserver.Authenticated(r.recordTransaction))
	rt.Page(fiber.MethodPost, "/accounts/:id/archive", httpserver.Authenticated(r.archive))
	rt.Page(fiber.MethodPost, "/accounts/:id/restore", httpserver.Authenticated(r.restore))
	rt.Page(fiber.MethodPost, "/accounts/:id/reconcile", httpserver.Authenticated(r.reconcile))
	rt.Page(fiber.MethodGet, "/accounts/:id/close", httpserver.Authenticated(r.closePage))
	rt.Page(fiber.MethodPost, "/accounts/:id/close", httpserver.Authenticated(r.close))
	rt.Page(fiber.MethodGet, "/transfers/new", httpserver.Authenticated(r.transferPage))
	rt.Page(fiber.MethodPost, "/transfers/new", httpserver.Authenticated(r.transfer))
}

// formErrors are a form's problems, as the shared kit maps them.
type formErrors struct{ shell.FormProblems }

func (f formErrors) field(name string) string { return f.Field(name) }

// present reports whether there is anything to show.
func (f formErrors) present() bool { return f.Present() }

// accountForms are the labels of the accounts' forms and the codes they explain,
// each with the field its message belongs to.
var accountForms = shell.Form{
	Labels: map[string]string{
		"name":                   "Name",
		"account_type":           "Type",
		"currency":               "Currency",
		"opening_balance":        "Opening balance",
		"account_number":         "Account number",
		"subtype":                "Subtype",
		"overdraft_limit":        "Overdraft limit",
		"interest_rate":          "Interest rate",
		"notes":                  "Notes",
		"color":                  "Colour",
		"icon":                   "Icon",
		"status":                 "Status",
		"balance_amount":         "Balance",
		"type":                   "Type",
		"amount":                 "Amount",
		"description":            "Description",
		"counterparty":           "Counterparty",
		"booked_at":              "Date",
		"source_account_id":      "From",
		"destination_account_id": "To",
		"start_date":             "From",
		"end_date":               "To",
		"transaction_type":       "Type",
		"q":                      "Search",
		"limit":                  "Page size",
	},
	Codes: map[apperr.Code]string{
		domain.InsufficientFunds: "amount", domain.CurrencyMismatch: "destination_account_id",
		domain.AccountClosed: "", domain.ProviderManaged: "", apperr.Conflict: "", domain.DuplicateExternalID: "",
		domain.AccountNotEmpty: "", domain.NothingToReconcile: "", apperr.PreconditionFailed: "",
	},
}

// formErrorsOf turns a use-case error into what a form shows, with the status to
// answer. It reports false for errors a form cannot explain, such as forbidden and
// not_found, which go to the error handler and its error page.
func formErrorsOf(err error) (formErrors, int, bool) {
	f, status, ok := accountForms.ErrorsOf(err)
	if e, _ := apperr.As(err); ok && e.Code == apperr.PreconditionFailed {
		f.Summary = []string{"Someone changed this account while you were editing it. Check the values below and save again to apply them."}
	}
	return formErrors{f}, status, ok
}

// pathAccount returns the account the path's id names, as sub may see it.
func (r *Routes) pathAccount(c *fiber.Ctx, sub authn.Subject) (domain.Account, error) {
	id, err := app.ParseID(c.Params("id"))
	if err != nil {
		return domain.Account{}, err
	}
	return r.svc.GetAccount(c.UserContext(), sub, id)
}

// form reads a form field with surrounding white space removed; forms keep what
// was typed otherwise.
func form(c *fiber.Ctx, name string) string { return strings.TrimSpace(c.FormValue(name)) }

// optional sets a text field when the person filled it and leaves it out otherwise,
// so an empty optional input means "not given", as an absent JSON field does.
func optional(v string) app.Patch[string] {
	if v == "" {
		return app.Patch[string]{}
	}
	return app.Set(v)
}

// given is an optional input as the use case's decoder takes it: an empty input
// was left out.
func given(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// clearable sets a field, or clears it when the input was emptied: an edit form
// shows every field, so an empty one means "none".
func clearable(v string) app.Patch[string] {
	if v == "" {
		return app.Clear[string]()
	}
	return app.Set(v)
}

// currencyCode reads a currency as people type it: "eur" means EUR.
func currencyCode(v string) string { return strings.ToUpper(strings.TrimSpace(v)) }

// accountURL is the address of the account page with id; accountPath is the
// address of one of an account's pages.
func accountURL(id string) string { return "/accounts/" + id }

func accountPath(a domain.Account, rest string) string { return accountURL(a.ID.String()) + rest }

// crumb is one link of a breadcrumb trail.
type crumb struct {
	Label string
	URL   string
}

// describedBy lists the ids of the error and hint shown for a field, as the
// shell's fields do.
func describedBy(name, hint, err string) string {
	var ids []string
	if err != "" {
		ids = append(ids, "field-"+name+"-error")
	}
	if hint != "" {
		ids = append(ids, "field-"+name+"-hint")
	}
	return strings.Join(ids, " ")
}

// linkedLabel names who keeps a linked account.
func linkedLabel(a domain.Account) string {
	if a.Provider != "" {
		return "Linked · " + a.Provider
	}
	return "Linked"
}
