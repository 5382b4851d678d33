// Package web serves the rates module's pages: the base-currency choice at
// /settings/currency and the exchange rates at /rates, where a person enters,
// changes and deletes their rates. Both work without JavaScript.
package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/rates/internal/app"
	"github.com/kontor-app/kontor/modules/rates/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/money"
	kweb "github.com/kontor-app/kontor/web"
)

// Routes are the pages.
type Routes struct{ svc *app.Service }

// New returns the pages over svc.
func New(svc *app.Service) *Routes { return &Routes{svc: svc} }

// Register adds the pages.
func (r *Routes) Register(rt *httpserver.Router) {
	rt.Page(fiber.MethodGet, "/settings/currency", httpserver.Authenticated(r.currencyPage))
	rt.Page(fiber.MethodPost, "/settings/currency", httpserver.Authenticated(r.setCurrency))
	rt.Page(fiber.MethodGet, "/rates", httpserver.Authenticated(r.ratesPage))
	rt.Page(fiber.MethodPost, "/rates", httpserver.Authenticated(r.createRate))
	rt.Page(fiber.MethodGet, "/rates/:id", httpserver.Authenticated(r.editPage))
	rt.Page(fiber.MethodPost, "/rates/:id", httpserver.Authenticated(r.updateRate))
	rt.Page(fiber.MethodPost, "/rates/:id/delete", httpserver.Authenticated(r.deleteRate))
}

// formErrors are a form's problems by field and, in the form's order, for the
// summary at its top.
type formErrors struct {
	Fields  map[string]string
	Summary []string
}

func (f formErrors) field(name string) string { return f.Fields[name] }

// fieldOrder and fieldLabels follow the forms, so the summary reads like them.
var (
	fieldOrder  = []string{"base_currency", "currency", "rate", "quote_currency", "date"}
	fieldLabels = map[string]string{
		"base_currency": "Base currency", "currency": "Currency", "quote_currency": "Worth in",
		"rate": "Rate", "date": "Date of the rate",
	}
)

// formErrorsOf explains a validation or conflict error on the form; other
// errors go to the error page.
func formErrorsOf(err error) (formErrors, int, bool) {
	e, ok := apperr.As(err)
	if !ok {
		return formErrors{}, 0, false
	}
	f := formErrors{Fields: map[string]string{}}
	switch e.Code {
	case apperr.ValidationFailed:
		byField := map[string]string{}
		for _, fe := range e.Fields {
			byField[fe.Field] = fe.Message
		}
		for _, name := range fieldOrder {
			msg, ok := byField[name]
			if !ok {
				continue
			}
			label := fieldLabels[name]
			f.Fields[name] = label + " " + msg + "."
			f.Summary = append(f.Summary, label+" "+msg+".")
		}
	case apperr.Conflict:
		f.Fields["date"] = e.Message
		f.Summary = []string{e.Message}
	default:
		return formErrors{}, 0, false
	}
	return f, apperr.Status(e.Code), true
}

// currencyView is the base-currency page.
type currencyView struct {
	Base  money.Currency
	Value string
	Errs  formErrors
}

func (r *Routes) currencyPage(c *fiber.Ctx, s authn.Subject) error {
	base, err := r.svc.BaseCurrency(c.UserContext(), s)
	if err != nil {
		return err
	}
	return kweb.Render(c, fiber.StatusOK, currencyPage(kweb.Meta(c, "Base currency"), currencyView{Base: base, Value: string(base)}))
}

func (r *Routes) setCurrency(c *fiber.Ctx, s authn.Subject) error {
	value := c.FormValue("base_currency")
	cur, err := r.svc.SetBaseCurrency(c.UserContext(), s, value)
	if err != nil {
		f, status, ok := formErrorsOf(err)
		if !ok {
			return err
		}
		base, _ := r.svc.BaseCurrency(c.UserContext(), s)
		return kweb.Render(c, status, currencyPage(kweb.Meta(c, "Base currency"), currencyView{Base: base, Value: value, Errs: f}))
	}
	msg := "Net worth is no longer converted."
	if cur != "" {
		msg = "Your base currency is " + string(cur) + ". Enter rates into it on the rates page."
	}
	kweb.SetFlash(c, kweb.Flash{Kind: kweb.FlashSuccess, Message: msg})
	return c.Redirect("/rates", fiber.StatusSeeOther)
}

// ratesView is the rates page: the base currency, the rates, and the form to
// enter one with what was typed into it.
type ratesView struct {
	Base  money.Currency
	Rates []domain.Rate
	Form  app.RateText
	Errs  formErrors
}

func (r *Routes) renderRates(c *fiber.Ctx, s authn.Subject, status int, v ratesView) error {
	base, err := r.svc.BaseCurrency(c.UserContext(), s)
	if err != nil {
		return err
	}
	rs, err := r.svc.Rates(c.UserContext(), s)
	if err != nil {
		return err
	}
	v.Base, v.Rates = base, rs
	if v.Form.Quote == "" {
		v.Form.Quote = string(base)
	}
	return kweb.Render(c, status, ratesPage(kweb.Meta(c, "Exchange rates"), v))
}

func (r *Routes) ratesPage(c *fiber.Ctx, s authn.Subject) error {
	return r.renderRates(c, s, fiber.StatusOK, ratesView{})
}

func formRate(c *fiber.Ctx) app.RateText {
	return app.RateText{Currency: c.FormValue("currency"), Quote: c.FormValue("quote_currency"), Rate: c.FormValue("rate"), Date: c.FormValue("date")}
}

func (r *Routes) createRate(c *fiber.Ctx, s authn.Subject) error {
	in := formRate(c)
	rate, err := r.svc.CreateRate(c.UserContext(), s, in)
	if err != nil {
		f, status, ok := formErrorsOf(err)
		if !ok {
			return err
		}
		return r.renderRates(c, s, status, ratesView{Form: in, Errs: f})
	}
	kweb.SetFlash(c, kweb.Flash{Kind: kweb.FlashSuccess, Message: "Rate saved: 1 " + string(rate.Currency) + " = " + kweb.Amount(rate.Rate) + " " + string(rate.Quote) + " on " + kweb.Date(rate.Date) + "."})
	return c.Redirect("/rates", fiber.StatusSeeOther)
}

// editView is the page that changes one rate.
type editView struct {
	Rate domain.Rate
	Form app.RateText
	Errs formErrors
}

func (r *Routes) rate(c *fiber.Ctx, s authn.Subject) (domain.Rate, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return domain.Rate{}, apperr.New(apperr.NotFound, "No exchange rate with this id.")
	}
	return r.svc.Rate(c.UserContext(), s, id)
}

func (r *Routes) editPage(c *fiber.Ctx, s authn.Subject) error {
	rate, err := r.rate(c, s)
	if err != nil {
		return err
	}
	form := app.RateText{Currency: string(rate.Currency), Quote: string(rate.Quote), Rate: rate.Rate.String(), Date: rate.Date.Format(domain.DateLayout)}
	return kweb.Render(c, fiber.StatusOK, editPage(kweb.Meta(c, "Change a rate"), editView{Rate: rate, Form: form}))
}

func (r *Routes) updateRate(c *fiber.Ctx, s authn.Subject) error {
	rate, err := r.rate(c, s)
	if err != nil {
		return err
	}
	in := formRate(c)
	var errs apperr.Fields
	for name, v := range map[string]string{"currency": in.Currency, "quote_currency": in.Quote, "rate": in.Rate, "date": in.Date} {
		if v == "" {
			errs.Add(name, "is required")
		}
	}
	err = errs.Err()
	if err == nil {
		_, err = r.svc.UpdateRate(c.UserContext(), s, rate.ID, in)
	}
	if err != nil {
		f, status, ok := formErrorsOf(err)
		if !ok {
			return err
		}
		return kweb.Render(c, status, editPage(kweb.Meta(c, "Change a rate"), editView{Rate: rate, Form: in, Errs: f}))
	}
	kweb.SetFlash(c, kweb.Flash{Kind: kweb.FlashSuccess, Message: "Rate changed."})
	return c.Redirect("/rates", fiber.StatusSeeOther)
}

func (r *Routes) deleteRate(c *fiber.Ctx, s authn.Subject) error {
	rate, err := r.rate(c, s)
	if err != nil {
		return err
	}
	if err := r.svc.DeleteRate(c.UserContext(), s, rate.ID); err != nil {
		if errors.Is(err, app.ErrNotFound) {
			return c.Redirect("/rates", fiber.StatusSeeOther)
		}
		return err
	}
	kweb.SetFlash(c, kweb.Flash{Kind: kweb.FlashSuccess, Message: "Rate deleted: " + string(rate.Currency) + " on " + kweb.Date(rate.Date) + "."})
	return c.Redirect("/rates", fiber.StatusSeeOther)
}

// rateForm is the state of a rate's fields.
type rateForm struct {
	Form app.RateText
	Errs formErrors
}
