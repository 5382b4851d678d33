package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/money"
	shell "github.com/kontor-app/kontor/web"
)

// accountForm is the state of the create and edit forms: what was typed and what
// is wrong with it. Version is the account version the edit form was filled from,
// sent back so that a change made meanwhile is not silently overwritten.
type accountForm struct {
	Name            string
	AccountType     string
	Currency        string
	OpeningBalance  string
	AccountNumber   string
	Subtype         string
	OverdraftLimit  string
	InterestRate    string
	Notes           string
	Color           string
	Icon            string
	Status          string
	Balance         string
	Favourite       bool
	ShowInDashboard bool
	Version         string
	Errors          formErrors
}

// readAccountForm reads the fields the create and edit forms post.
func readAccountForm(c *fiber.Ctx) accountForm {
	checked := func(name string) bool {
		b, _ := strconv.ParseBool(c.FormValue(name))
		return b
	}
	return accountForm{
		Name: form(c, "name"), AccountType: form(c, "account_type"), Currency: currencyCode(c.FormValue("currency")),
		OpeningBalance: form(c, "opening_balance"), AccountNumber: form(c, "account_number"), Subtype: form(c, "subtype"),
		OverdraftLimit: form(c, "overdraft_limit"), InterestRate: form(c, "interest_rate"), Notes: form(c, "notes"),
		Color: form(c, "color"), Icon: form(c, "icon"), Status: form(c, "status"), Balance: form(c, "balance_amount"),
		Favourite: checked("is_favourite"), ShowInDashboard: checked("show_in_dashboard"), Version: form(c, "version"),
	}
}

// accountFormOf fills the edit form from the account as stored. Amounts are shown
// exactly, so that saving an unchanged form changes nothing.
func accountFormOf(a domain.Account) accountForm {
	f := accountForm{
		Name: a.Name, AccountType: string(a.Type), Currency: string(a.Currency), AccountNumber: a.AccountNumber,
		Subtype: a.Subtype, OverdraftLimit: money.Plain(a.OverdraftLimit, a.Currency), Notes: a.Notes, Color: a.Color, Icon: a.Icon,
		Status: string(a.Status), Balance: money.Plain(a.Balance, a.Currency), Favourite: a.IsFavourite, ShowInDashboard: a.ShowInDashboard,
		Version: strconv.FormatInt(a.Version, 10),
	}
	if a.InterestRate.Valid {
		f.InterestRate = a.InterestRate.Amount.String()
	}
	return f
}

func (r *Routes) newPage(c *fiber.Ctx) error {
	return shell.Render(c, fiber.StatusOK, newAccountPage(shell.Meta(c, "Add an account"), accountForm{}))
}

func (r *Routes) create(c *fiber.Ctx, sub authn.Subject) error {
	f := readAccountForm(c)
	// The same input as POST /api/v1/accounts; an empty input is a field not given.
	in, err := app.ParseCreateAccount(app.CreateAccountText{
		Fields: app.AccountFieldsText{
			Name: optional(f.Name), AccountType: optional(f.AccountType), Currency: optional(f.Currency),
			AccountNumber: optional(f.AccountNumber), Subtype: optional(f.Subtype), OverdraftLimit: optional(f.OverdraftLimit),
			InterestRate: optional(f.InterestRate), Notes: optional(f.Notes), Color: optional(f.Color), Icon: optional(f.Icon),
		},
		OpeningBalance: given(f.OpeningBalance),
	})
	var a domain.Account
	if err == nil {
		a, err = r.svc.CreateAccount(c.UserContext(), sub, in)
	}
	if err != nil {
		errs, status, ok := formErrorsOf(err)
		if !ok {
			return err
		}
		f.Errors = errs
		return shell.Render(c, status, newAccountPage(shell.Meta(c, "Add an account"), f))
	}
	msg := "Added “" + a.Name + "”."
	if !a.Balance.IsZero() {
		msg = "Added “" + a.Name + "” with an opening balance of " + balanceWords(a) + "."
	}
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: msg})
	return c.Redirect(accountPath(a, ""), fiber.StatusSeeOther)
}

func (r *Routes) editPage(c *fiber.Ctx, sub authn.Subject) error {
	a, err := r.pathAccount(c, sub)
	if err != nil {
		return err
	}
	return shell.Render(c, fiber.StatusOK, editAccountPage(shell.Meta(c, "Edit "+a.Name), a, accountFormOf(a)))
}

// edit applies the edit form as a merge patch: a field the form posted is set, as a
// field named in PATCH /api/v1/accounts/{id} is. The form leaves out what cannot be
// changed here (the provider's fields of a linked account, the status of a closed
// one), and an emptied optional amount clears it.
func (r *Routes) edit(c *fiber.Ctx, sub authn.Subject) error {
	id, err := app.ParseID(c.Params("id"))
	if err != nil {
		return err
	}
	f := readAccountForm(c)
	posted := c.Request().PostArgs()
	fields := app.AccountFieldsText{IsFavourite: app.Set(f.Favourite), ShowInDashboard: app.Set(f.ShowInDashboard)}
	text := func(name, value string, dst *app.Patch[string]) {
		if posted.Has(name) {
			*dst = app.Set(value)
		}
	}
	text("name", f.Name, &fields.Name)
	text("account_type", f.AccountType, &fields.AccountType)
	text("subtype", f.Subtype, &fields.Subtype)
	text("currency", f.Currency, &fields.Currency)
	text("account_number", f.AccountNumber, &fields.AccountNumber)
	text("balance_amount", f.Balance, &fields.BalanceAmount)
	text("status", f.Status, &fields.Status)
	text("notes", f.Notes, &fields.Notes)
	text("color", f.Color, &fields.Color)
	text("icon", f.Icon, &fields.Icon)
	if posted.Has("overdraft_limit") {
		fields.OverdraftLimit = clearable(f.OverdraftLimit)
	}
	if posted.Has("interest_rate") {
		fields.InterestRate = clearable(f.InterestRate)
	}
	in, err := app.ParseUpdateAccount(app.UpdateAccountText{ID: id, IfMatch: f.Version, Fields: fields})
	var a domain.Account
	if err == nil {
		a, err = r.svc.UpdateAccount(c.UserContext(), sub, in)
	}
	if err != nil {
		errs, status, ok := formErrorsOf(err)
		if !ok {
			return err
		}
		current, gerr := r.svc.GetAccount(c.UserContext(), sub, id)
		if gerr != nil {
			return gerr
		}
		if apperr.Is(err, apperr.PreconditionFailed) {
			// Saving again applies the person's values over what changed.
			f.Version = strconv.FormatInt(current.Version, 10)
		}
		f.Errors = errs
		return shell.Render(c, status, editAccountPage(shell.Meta(c, "Edit "+current.Name), current, f))
	}
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "Saved the changes to “" + a.Name + "”."})
	return c.Redirect(accountPath(a, ""), fiber.StatusSeeOther)
}

// archive and restore set the archive flag, as PATCH {"is_archived": …} does.
func (r *Routes) archive(c *fiber.Ctx, sub authn.Subject) error {
	return r.setArchived(c, sub, true)
}

func (r *Routes) restore(c *fiber.Ctx, sub authn.Subject) error {
	return r.setArchived(c, sub, false)
}

func (r *Routes) setArchived(c *fiber.Ctx, sub authn.Subject, archived bool) error {
	id, err := app.ParseID(c.Params("id"))
	if err != nil {
		return err
	}
	a, err := r.svc.UpdateAccount(c.UserContext(), sub, app.UpdateAccountInput{ID: id, Fields: app.AccountFields{IsArchived: app.Set(archived)}})
	if err != nil {
		errs, _, ok := formErrorsOf(err)
		if !ok {
			return err
		}
		for _, msg := range errs.Summary {
			shell.SetFlash(c, shell.Flash{Kind: shell.FlashError, Message: msg})
		}
		return c.Redirect(accountURL(c.Params("id")), fiber.StatusSeeOther)
	}
	msg := "Archived “" + a.Name + "”. It keeps its history and no longer appears in your account list unless you ask for archived accounts."
	if !archived {
		msg = "Restored “" + a.Name + "”. It appears in your account list again."
	}
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: msg})
	return c.Redirect(accountPath(a, ""), fiber.StatusSeeOther)
}

// openStatusOptions are the statuses the edit form offers; closing has its own page.
func openStatusOptions() []shell.Option {
	return []shell.Option{
		{Value: string(domain.StatusActive), Label: "Active"},
		{Value: string(domain.StatusInactive), Label: "Inactive"},
	}
}

func providerName(a domain.Account) string {
	if a.Provider != "" {
		return a.Provider
	}
	return "a provider"
}

// providerFieldsExplanation says why part of a linked account cannot be edited.
func providerFieldsExplanation(a domain.Account) string {
	return "These come from " + providerName(a) + " and change when it reports new values: the type, currency, account number, balance, interest rate and overdraft limit cannot be edited here. The name and display settings are yours."
}
