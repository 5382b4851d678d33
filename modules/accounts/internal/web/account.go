package web

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
	shell "github.com/kontor-app/kontor/web"
)

// ledgerFilter is the filter form of an account's transactions, as typed.
type ledgerFilter struct {
	StartDate string
	EndDate   string
	Type      string
	Status    string
	Q         string
}

func (f ledgerFilter) active() bool {
	return f.StartDate != "" || f.EndDate != "" || f.Type != "" || f.Status != "" || f.Q != ""
}

// accountView is everything an account's page shows.
type accountView struct {
	Account      domain.Account
	Filter       ledgerFilter
	Errors       formErrors
	Transactions []domain.Transaction
	Pager        shell.PagerProps
	// History is the balance at the end of each of the last 30 days, oldest first.
	History []shell.ChartPoint
}

func (r *Routes) accountPage(c *fiber.Ctx, sub authn.Subject) error {
	id, err := app.ParseID(c.Params("id"))
	if err != nil {
		return err
	}
	q := httpserver.QueryValues(c)
	v := accountView{Filter: ledgerFilter{
		StartDate: strings.TrimSpace(q.Get("start_date")), EndDate: strings.TrimSpace(q.Get("end_date")),
		Type: q.Get("transaction_type"), Status: q.Get("status"), Q: strings.TrimSpace(q.Get("q")),
	}}
	status := fiber.StatusOK
	// The same input as GET /api/v1/accounts/{id}/transactions.
	text := app.ListTransactionsText{
		StartDate: v.Filter.StartDate, EndDate: v.Filter.EndDate, Status: v.Filter.Status,
		Q: v.Filter.Q, Cursor: q.Get(cursorParam),
	}
	if v.Filter.Type != "" {
		text.Types = []string{v.Filter.Type}
	}
	in, listErr := app.ParseListTransactions(text)
	list := &in
	if listErr != nil {
		list = nil
	}
	page, err := r.svc.AccountPage(c.UserContext(), sub, id, list)
	if err != nil {
		return err
	}
	a := page.Account
	v.Account = a
	if listErr == nil {
		listErr = page.TransactionsErr
	}
	if listErr != nil {
		errs, st, ok := formErrorsOf(listErr)
		if !ok {
			return listErr
		}
		v.Errors, status = errs, st
	} else {
		v.Transactions = page.Transactions.Transactions
		p := pagingOf(accountPath(a, ""), q)
		summary := ""
		if n := p.number(); n > 1 {
			summary = "Page " + itoa(n)
		}
		v.Pager = p.pager(page.Transactions.NextCursor, summary)
	}
	v.History = make([]shell.ChartPoint, len(page.History.Points))
	for i, p := range page.History.Points {
		v.History[i] = shell.ChartPoint{Date: p.Date, Value: p.Balance}
	}
	return shell.Render(c, status, accountPage(shell.Meta(c, a.Name), v))
}

// canPost reports whether people may record transactions on the account here:
// linked accounts get theirs from the provider, and closed ones take none.
func canPost(a domain.Account) bool { return a.IsManual() && !a.IsClosed() }

// linkedExplanation says why a linked account cannot be changed by hand.
func linkedExplanation(a domain.Account) string {
	who := a.Provider
	if who == "" {
		who = "a provider"
	}
	return "This account is kept by " + who + ": its balance and transactions come from the provider, and the details it reports cannot be changed here."
}

// providerLabel names who keeps a linked account.
func providerLabel(a domain.Account) string {
	if a.Provider == "" {
		return "A provider"
	}
	return a.Provider
}

// isoTime is an instant as a <time> element's datetime.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// driftExplanation says what a drift is and what reconciling does.
func driftExplanation(a domain.Account) string {
	return providerLabel(a) + " last reported " + amountText(a.ProviderBalance.Amount, a.Currency) +
		", but the transactions here add up to " + amountText(a.Balance, a.Currency) +
		". Reconciling records one adjustment of " + amountText(a.Drift().Amount, a.Currency) +
		" so that the two agree; nothing is changed until you do."
}

func (r *Routes) reconcile(c *fiber.Ctx, sub authn.Subject) error {
	id, err := app.ParseID(c.Params("id"))
	if err != nil {
		return err
	}
	rec, err := r.svc.Reconcile(c.UserContext(), sub, id)
	if err != nil {
		errs, _, ok := formErrorsOf(err)
		if !ok {
			return err
		}
		for _, msg := range errs.Summary {
			shell.SetFlash(c, shell.Flash{Kind: shell.FlashError, Message: msg})
		}
		return c.Redirect(accountURL(id.String()), fiber.StatusSeeOther)
	}
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "Reconciled: recorded an adjustment of " +
		entryWords(rec.Transaction) + ". The balance is now " + balanceWords(rec.Account) + "."})
	return c.Redirect(accountPath(rec.Account, ""), fiber.StatusSeeOther)
}
