// Package api serves the rates module's JSON endpoints under /api/v1: the
// person's preferences (their base currency) and their exchange rates.
package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/rates/internal/app"
	"github.com/kontor-app/kontor/modules/rates/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/openapi"
)

//go:embed openapi.json
var openapiJSON []byte

// Spec returns the rates module's part of the OpenAPI document.
func Spec() openapi.Spec { return openapi.Spec{Name: "rates", JSON: openapiJSON} }

// Routes are the JSON endpoints.
type Routes struct{ svc *app.Service }

// New returns the endpoints over svc.
func New(svc *app.Service) *Routes { return &Routes{svc: svc} }

// Register adds the endpoints.
func (r *Routes) Register(rt *httpserver.Router) {
	rt.APIRead("/me/preferences", httpserver.Authenticated(r.preferences))
	rt.APIWrite(fiber.MethodPut, "/me/preferences", httpserver.Authenticated(r.setPreferences))
	rt.APIRead("/exchange-rates", httpserver.Authenticated(r.list))
	rt.APIWrite(fiber.MethodPost, "/exchange-rates", httpserver.Authenticated(r.create))
	rt.APIRead("/exchange-rates/:id", httpserver.Authenticated(r.get))
	rt.APIWrite(fiber.MethodPatch, "/exchange-rates/:id", httpserver.Authenticated(r.update))
	rt.APIWrite(fiber.MethodDelete, "/exchange-rates/:id", httpserver.Authenticated(r.delete))
}

// text is a JSON value that may be a string or a number, kept as its text, so
// rates are parsed exactly (never through float64).
type text string

// UnmarshalJSON accepts a string or a number literal.
func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(s)
		return nil
	}
	if len(b) > 0 && (b[0] == '-' || ('0' <= b[0] && b[0] <= '9')) {
		*t = text(b)
		return nil
	}
	return errors.New("must be a string or a number")
}

type preferencesJSON struct {
	BaseCurrency *string `json:"base_currency"`
}

func preferencesOf(c string) preferencesJSON {
	if c == "" {
		return preferencesJSON{}
	}
	return preferencesJSON{BaseCurrency: &c}
}

func (r *Routes) preferences(c *fiber.Ctx, sub authn.Subject) error {
	cur, err := r.svc.BaseCurrency(c.UserContext(), sub)
	if err != nil {
		return err
	}
	return c.JSON(preferencesOf(string(cur)))
}

func (r *Routes) setPreferences(c *fiber.Ctx, sub authn.Subject) error {
	var body *struct {
		BaseCurrency json.RawMessage `json:"base_currency"`
	}
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	required := apperr.Validation(apperr.FieldError{Field: "base_currency", Message: "is required: a currency code, or null to clear it"})
	if body == nil || len(body.BaseCurrency) == 0 {
		return required
	}
	in := ""
	if string(body.BaseCurrency) != "null" {
		if err := json.Unmarshal(body.BaseCurrency, &in); err != nil || in == "" {
			return required
		}
	}
	cur, err := r.svc.SetBaseCurrency(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	return c.JSON(preferencesOf(string(cur)))
}

// RateJSON is a rate on the wire.
type RateJSON struct {
	ID            string `json:"id"`
	Currency      string `json:"currency"`
	QuoteCurrency string `json:"quote_currency"`
	Rate          string `json:"rate"`
	Date          string `json:"date"`
	CreatedAt     string `json:"created_at"`
	UpdatedAt     string `json:"updated_at"`
}

const timestamp = time.RFC3339Nano

func rateOf(r domain.Rate) RateJSON {
	return RateJSON{
		ID: r.ID.String(), Currency: string(r.Currency), QuoteCurrency: string(r.Quote), Rate: r.Rate.String(),
		Date: r.Date.Format(domain.DateLayout), CreatedAt: r.CreatedAt.UTC().Format(timestamp), UpdatedAt: r.UpdatedAt.UTC().Format(timestamp),
	}
}

func (r *Routes) list(c *fiber.Ctx, sub authn.Subject) error {
	rs, err := r.svc.Rates(c.UserContext(), sub)
	if err != nil {
		return err
	}
	out := make([]RateJSON, len(rs))
	for i, x := range rs {
		out[i] = rateOf(x)
	}
	return c.JSON(fiber.Map{"exchange_rates": out})
}

type rateBody struct {
	Currency      *string `json:"currency"`
	QuoteCurrency *string `json:"quote_currency"`
	Rate          *text   `json:"rate"`
	Date          *string `json:"date"`
}

func (b rateBody) text() app.RateText {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	t := app.RateText{Currency: s(b.Currency), Quote: s(b.QuoteCurrency), Date: s(b.Date)}
	if b.Rate != nil {
		t.Rate = string(*b.Rate)
	}
	return t
}

func (r *Routes) create(c *fiber.Ctx, sub authn.Subject) error {
	var body rateBody
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	rate, err := r.svc.CreateRate(c.UserContext(), sub, body.text())
	if err != nil {
		return err
	}
	c.Location("/api/v1/exchange-rates/" + rate.ID.String())
	return c.Status(fiber.StatusCreated).JSON(rateOf(rate))
}

func parseID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, apperr.New(apperr.NotFound, "No exchange rate with this id.")
	}
	return id, nil
}

func (r *Routes) get(c *fiber.Ctx, sub authn.Subject) error {
	id, err := parseID(c.Params("id"))
	if err != nil {
		return err
	}
	rate, err := r.svc.Rate(c.UserContext(), sub, id)
	if err != nil {
		return err
	}
	return c.JSON(rateOf(rate))
}

func (r *Routes) update(c *fiber.Ctx, sub authn.Subject) error {
	id, err := parseID(c.Params("id"))
	if err != nil {
		return err
	}
	var body rateBody
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	var errs apperr.Fields
	for name, p := range map[string]*string{"currency": body.Currency, "quote_currency": body.QuoteCurrency, "date": body.Date} {
		if p != nil && *p == "" {
			errs.Add(name, "must not be empty")
		}
	}
	if body.Rate != nil && *body.Rate == "" {
		errs.Add("rate", "must not be empty")
	}
	if err := errs.Err(); err != nil {
		return err
	}
	rate, err := r.svc.UpdateRate(c.UserContext(), sub, id, body.text())
	if err != nil {
		return err
	}
	return c.JSON(rateOf(rate))
}

func (r *Routes) delete(c *fiber.Ctx, sub authn.Subject) error {
	id, err := parseID(c.Params("id"))
	if err != nil {
		return err
	}
	if err := r.svc.DeleteRate(c.UserContext(), sub, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
