package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	shell "github.com/kontor-app/kontor/web"
)

// transactionForm is the state of the form that records a transaction.
type transactionForm struct {
	Type         string
	Amount       string
	Description  string
	Counterparty string
	BookedAt     string
	Errors       formErrors
}

func (r *Routes) transactionPage(c *fiber.Ctx, sub authn.Subject) error {
	a, err := r.pathAccount(c, sub)
	if err != nil {
		return err
	}
	// Links may suggest a type and amount, such as the withdrawal that empties an
	// account before it is closed.
	f := transactionForm{Type: c.Query("type", string(domain.Deposit)), Amount: c.Query("amount"), Description: c.Query("description")}
	return shell.Render(c, fiber.StatusOK, transactionPage(shell.Meta(c, "Record a transaction"), a, f))
}

func (r *Routes) recordTransaction(c *fiber.Ctx, sub authn.Subject) error {
	id, err := app.ParseID(c.Params("id"))
	if err != nil {
		return err
	}
	f := transactionForm{
		Type: form(c, "type"), Amount: form(c, "amount"), Description: form(c, "description"),
		Counterparty: form(c, "counterparty"), BookedAt: form(c, "booked_at"),
	}
	// The same input as POST /api/v1/accounts/{id}/transactions.
	in, err := r.svc.ParseRecordTransaction(app.RecordTransactionText{
		AccountID: id, Type: f.Type, Amount: f.Amount, Description: f.Description,
		Counterparty: f.Counterparty, BookedAt: given(f.BookedAt),
	})
	var rec app.Recorded
	if err == nil {
		rec, err = r.svc.RecordTransaction(c.UserContext(), sub, in)
	}
	if err != nil {
		errs, status, ok := formErrorsOf(err)
		if !ok {
			return err
		}
		a, gerr := r.svc.GetAccount(c.UserContext(), sub, id)
		if gerr != nil {
			return gerr
		}
		f.Errors = errs
		return shell.Render(c, status, transactionPage(shell.Meta(c, "Record a transaction"), a, f))
	}
	t, a := rec.Transaction, rec.Account
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "Recorded: " + entryTypeLabel(t.Type) + " of " +
		entryWords(t) + ". The balance is now " + balanceWords(a) + "."})
	return c.Redirect(accountPath(a, ""), fiber.StatusSeeOther)
}

// transferForm is the state of the transfer form.
type transferForm struct {
	Source      string
	Destination string
	Amount      string
	Description string
	BookedAt    string
	Errors      formErrors
}

// transferView is the transfer form with the accounts it offers.
type transferView struct {
	Form     transferForm
	Accounts []domain.Account
	// Truncated says the person has more open accounts than the form lists.
	Truncated bool
}

// transferChoices are the accounts a transfer may use: the person's open manual
// accounts, by name. The use case decides; this only keeps the lists short.
func (r *Routes) transferChoices(c *fiber.Ctx, sub authn.Subject) ([]domain.Account, bool, error) {
	manual := true
	list, err := r.svc.ListAccounts(c.UserContext(), sub, app.ListAccountsQuery{
		AccountFilter: app.AccountFilter{Statuses: []domain.Status{domain.StatusActive, domain.StatusInactive}, Manual: &manual},
		Sort:          app.AccountSort{Field: app.SortName}, Limit: app.MaxLimit,
	})
	if err != nil {
		return nil, false, err
	}
	return list.Accounts, list.HasMore, nil
}

func (r *Routes) transferPage(c *fiber.Ctx, sub authn.Subject) error {
	accounts, truncated, err := r.transferChoices(c, sub)
	if err != nil {
		return err
	}
	// from and to only preselect; an id that is not among the person's accounts
	// selects nothing.
	v := transferView{Accounts: accounts, Truncated: truncated, Form: transferForm{
		Source: c.Query("from"), Destination: c.Query("to"), Amount: c.Query("amount"),
	}}
	return shell.Render(c, fiber.StatusOK, transferPage(shell.Meta(c, "Transfer money"), v))
}

func (r *Routes) transfer(c *fiber.Ctx, sub authn.Subject) error {
	f := transferForm{
		Source: form(c, "source_account_id"), Destination: form(c, "destination_account_id"), Amount: form(c, "amount"),
		Description: form(c, "description"), BookedAt: form(c, "booked_at"),
	}
	// The same input as POST /api/v1/transfers.
	in, err := r.svc.ParseTransfer(app.TransferText{
		SourceAccountID: f.Source, DestinationAccountID: f.Destination, Amount: f.Amount,
		Description: f.Description, BookedAt: given(f.BookedAt),
	})
	var res app.TransferResult
	if err == nil {
		res, err = r.svc.Transfer(c.UserContext(), sub, in)
	}
	if err != nil {
		errs, status, ok := formErrorsOf(err)
		if !ok {
			return err
		}
		accounts, truncated, lerr := r.transferChoices(c, sub)
		if lerr != nil {
			return lerr
		}
		f.Errors = errs
		return shell.Render(c, status, transferPage(shell.Meta(c, "Transfer money"), transferView{Form: f, Accounts: accounts, Truncated: truncated}))
	}
	src, dst := res.Source, res.Destination
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "Moved " + amountText(res.Transfer.Destination.Amount, dst.Currency) +
		" from “" + src.Name + "” to “" + dst.Name + "”. “" + src.Name + "” now holds " + balanceWords(src) + "."})
	return c.Redirect(accountPath(src, ""), fiber.StatusSeeOther)
}

// closeView is the close page: the account, and why closing was refused, if it was.
type closeView struct {
	Account domain.Account
	Refused bool
	Errors  formErrors
}

func (r *Routes) closePage(c *fiber.Ctx, sub authn.Subject) error {
	a, err := r.pathAccount(c, sub)
	if err != nil {
		return err
	}
	return shell.Render(c, fiber.StatusOK, closePage(shell.Meta(c, "Close "+a.Name), closeView{Account: a}))
}

func (r *Routes) close(c *fiber.Ctx, sub authn.Subject) error {
	id, err := app.ParseID(c.Params("id"))
	if err != nil {
		return err
	}
	// The same use case as DELETE /api/v1/accounts/{id}.
	a, err := r.svc.CloseAccount(c.UserContext(), sub, id)
	if err != nil {
		errs, status, ok := formErrorsOf(err)
		if !ok {
			return err
		}
		current, gerr := r.svc.GetAccount(c.UserContext(), sub, id)
		if gerr != nil {
			return gerr
		}
		v := closeView{Account: current, Refused: apperr.Is(err, domain.AccountNotEmpty)}
		if !v.Refused {
			v.Errors = errs
		}
		return shell.Render(c, status, closePage(shell.Meta(c, "Close "+current.Name), v))
	}
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "Closed “" + a.Name + "”. It keeps its history and takes no new transactions."})
	return c.Redirect(accountPath(a, ""), fiber.StatusSeeOther)
}

// refusal explains in words why an account with money in it cannot be closed, and
// what to do instead.
func refusal(a domain.Account) string {
	if a.Balance.IsNegative() {
		return "This account still owes " + amountText(a.Balance, a.Currency) + ". Pay it off or move money into it, then close the account."
	}
	return "This account still holds " + amountText(a.Balance, a.Currency) + ". Move or withdraw it, then close the account."
}

// withdrawURL and transferOutURL open the forms that bring the balance to zero,
// prefilled.
func withdrawURL(a domain.Account) string {
	t := domain.Withdrawal
	if a.Balance.IsNegative() {
		t = domain.Deposit
	}
	return accountPath(a, "/transactions/new?type="+string(t)+"&amount="+a.Balance.Abs().String())
}

func transferOutURL(a domain.Account) string {
	if a.Balance.IsNegative() {
		return "/transfers/new?to=" + a.ID.String() + "&amount=" + a.Balance.Abs().String()
	}
	return "/transfers/new?from=" + a.ID.String() + "&amount=" + a.Balance.Abs().String()
}

// balanceWords is a balance as a sentence shows it: "-20.00 EUR" for a debt.
func balanceWords(a domain.Account) string {
	if a.Balance.IsNegative() {
		return "−" + amountText(a.Balance, a.Currency)
	}
	return amountText(a.Balance, a.Currency)
}

// entryWords is a recorded amount as a sentence shows it: the magnitude for types
// that say which way the money went, a signed amount for adjustments and others.
func entryWords(t domain.Transaction) string {
	switch {
	case t.Type.Sign() != 0:
		return amountText(t.Amount, t.Currency)
	case t.Amount.IsNegative():
		return "−" + amountText(t.Amount, t.Currency)
	}
	return "+" + amountText(t.Amount, t.Currency)
}

// accountOptions offer accounts in a select by name and balance.
func accountOptions(accounts []domain.Account) []shell.Option {
	out := make([]shell.Option, len(accounts))
	for i, a := range accounts {
		out[i] = shell.Option{Value: a.ID.String(), Label: a.Name + " · " + balanceWords(a)}
	}
	return out
}

// destinationOptions are the accounts a transfer may go to: with a source
// chosen, only the others kept in its currency (a transfer needs one currency);
// without one, every account.
func destinationOptions(v transferView) []shell.Option {
	var src *domain.Account
	for i := range v.Accounts {
		if v.Accounts[i].ID.String() == v.Form.Source {
			src = &v.Accounts[i]
		}
	}
	if src == nil {
		return accountOptions(v.Accounts)
	}
	var same []domain.Account
	for _, a := range v.Accounts {
		if a.Currency == src.Currency && a.ID != src.ID {
			same = append(same, a)
		}
	}
	return accountOptions(same)
}
