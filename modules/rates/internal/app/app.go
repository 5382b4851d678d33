// Package app holds the rates module's use cases: reading and choosing a
// person's base currency, entering, changing, listing and deleting their
// exchange rates, and converting balances into the base currency.
package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/rates/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// ErrNotFound is what a Store returns for a rate that does not exist.
var ErrNotFound = errors.New("rates: not found")

// ErrDuplicate is what a Store returns when the person already has a rate for
// the same pair and day.
var ErrDuplicate = errors.New("rates: duplicate")

// Store keeps base currencies and rates.
type Store interface {
	// BaseCurrency returns the user's base currency, "" when none is chosen.
	BaseCurrency(ctx context.Context, userID uuid.UUID) (money.Currency, error)
	// SetBaseCurrency stores it; "" clears it.
	SetBaseCurrency(ctx context.Context, userID uuid.UUID, c money.Currency, at time.Time) error
	// Rates returns the user's rates, newest day first.
	Rates(ctx context.Context, userID uuid.UUID) ([]domain.Rate, error)
	// Rate returns one rate of any user, or ErrNotFound.
	Rate(ctx context.Context, id uuid.UUID) (domain.Rate, error)
	// InsertRate adds r, or returns ErrDuplicate.
	InsertRate(ctx context.Context, r domain.Rate) error
	// UpdateRate stores r over its row, or returns ErrDuplicate.
	UpdateRate(ctx context.Context, r domain.Rate) error
	// DeleteRate removes the rate.
	DeleteRate(ctx context.Context, id uuid.UUID) error
}

// Authorizer decides whether a subject may act on a resource.
type Authorizer interface {
	Authorize(ctx context.Context, s authn.Subject, r authz.Resource, action string) error
}

// Service runs the use cases.
type Service struct {
	store Store
	authz Authorizer
	now   func() time.Time
}

// New returns the service.
func New(store Store, a Authorizer, now func() time.Time) *Service {
	return &Service{store: store, authz: a, now: now}
}

// RateText is a rate as typed into a form or sent as JSON, before parsing.
// Quote "" means the person's base currency.
type RateText struct {
	Currency string
	Quote    string
	Rate     string
	Date     string
}

// BaseCurrency returns s's base currency, "" when none is chosen.
func (s *Service) BaseCurrency(ctx context.Context, sub authn.Subject) (money.Currency, error) {
	c, err := s.store.BaseCurrency(ctx, sub.UserID)
	if err != nil {
		return "", apperr.Wrap(err, "read base currency")
	}
	return c, nil
}

// SetBaseCurrency chooses s's base currency from text; "" clears it.
func (s *Service) SetBaseCurrency(ctx context.Context, sub authn.Subject, text string) (money.Currency, error) {
	var c money.Currency
	if text != "" {
		parsed, err := money.ParseCurrency(text)
		if err != nil {
			return "", apperr.Validation(apperr.FieldError{Field: "base_currency", Message: err.Error()})
		}
		c = parsed
	}
	if err := s.store.SetBaseCurrency(ctx, sub.UserID, c, s.now().UTC()); err != nil {
		return "", apperr.Wrap(err, "store base currency")
	}
	return c, nil
}

// Rates lists s's rates, newest day first.
func (s *Service) Rates(ctx context.Context, sub authn.Subject) ([]domain.Rate, error) {
	rs, err := s.store.Rates(ctx, sub.UserID)
	if err != nil {
		return nil, apperr.Wrap(err, "list rates")
	}
	return rs, nil
}

// Rate returns one of s's rates.
func (s *Service) Rate(ctx context.Context, sub authn.Subject, id uuid.UUID) (domain.Rate, error) {
	return s.owned(ctx, sub, id, authz.ActionRead)
}

func (s *Service) owned(ctx context.Context, sub authn.Subject, id uuid.UUID, action string) (domain.Rate, error) {
	r, err := s.store.Rate(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return domain.Rate{}, apperr.New(apperr.NotFound, "No exchange rate with this id.")
	}
	if err != nil {
		return domain.Rate{}, apperr.Wrap(err, "read rate")
	}
	res := authz.Resource{Type: "exchange rate", ID: id.String(), Owner: r.UserID.String()}
	if err := s.authz.Authorize(ctx, sub, res, action); err != nil {
		return domain.Rate{}, err
	}
	return r, nil
}

// parse turns text into a rate, with every field problem at once. A missing
// quote currency falls back to the base currency.
func (s *Service) parse(ctx context.Context, sub authn.Subject, in RateText, partial bool, r domain.Rate) (domain.Rate, error) {
	var errs apperr.Fields
	if !partial || in.Currency != "" {
		c, err := money.ParseCurrency(strings.TrimSpace(in.Currency))
		if err != nil {
			errs.Add("currency", "%s", err.Error())
		}
		r.Currency = c
	}
	if !partial || in.Quote != "" {
		q := strings.TrimSpace(in.Quote)
		if q == "" {
			base, err := s.BaseCurrency(ctx, sub)
			if err != nil {
				return domain.Rate{}, err
			}
			if base == "" {
				errs.Add("quote_currency", "is required until you choose a base currency")
			}
			r.Quote = base
		} else {
			c, err := money.ParseCurrency(q)
			if err != nil {
				errs.Add("quote_currency", "%s", err.Error())
			}
			r.Quote = c
		}
	}
	if !partial || in.Rate != "" {
		a, err := money.Parse(strings.TrimSpace(in.Rate))
		switch {
		case strings.TrimSpace(in.Rate) == "":
			errs.Add("rate", "is required")
		case err != nil:
			errs.Add("rate", "%s", err.Error())
		default:
			r.Rate = a
			if !a.IsPositive() {
				errs.Add("rate", "%s", domain.ErrRateNotPositive.Error())
			}
		}
	}
	if !partial || in.Date != "" {
		d, err := time.Parse(domain.DateLayout, strings.TrimSpace(in.Date))
		switch {
		case strings.TrimSpace(in.Date) == "":
			errs.Add("date", "is required")
		case err != nil:
			errs.Add("date", "must be a date written YYYY-MM-DD")
		case d.After(s.now().UTC()):
			errs.Add("date", "must not be in the future")
		default:
			r.Date = d
		}
	}
	if r.Currency != "" && r.Currency == r.Quote {
		errs.Add("quote_currency", "%s", domain.ErrSameCurrency.Error())
	}
	return r, errs.Err()
}

func duplicate() error {
	return apperr.New(apperr.Conflict, "You already have a rate for this pair of currencies on this day; change that one instead.")
}

// CreateRate enters a rate for s.
func (s *Service) CreateRate(ctx context.Context, sub authn.Subject, in RateText) (domain.Rate, error) {
	r, err := s.parse(ctx, sub, in, false, domain.Rate{})
	if err != nil {
		return domain.Rate{}, err
	}
	now := s.now().UTC()
	id, err := uuid.NewV7()
	if err != nil {
		return domain.Rate{}, apperr.Wrap(err, "new id")
	}
	r.ID, r.UserID, r.CreatedAt, r.UpdatedAt = id, sub.UserID, now, now
	if err := s.store.InsertRate(ctx, r); errors.Is(err, ErrDuplicate) {
		return domain.Rate{}, duplicate()
	} else if err != nil {
		return domain.Rate{}, apperr.Wrap(err, "insert rate")
	}
	return r, nil
}

// UpdateRate changes the fields of one of s's rates that in sets.
func (s *Service) UpdateRate(ctx context.Context, sub authn.Subject, id uuid.UUID, in RateText) (domain.Rate, error) {
	r, err := s.owned(ctx, sub, id, authz.ActionWrite)
	if err != nil {
		return domain.Rate{}, err
	}
	r, err = s.parse(ctx, sub, in, true, r)
	if err != nil {
		return domain.Rate{}, err
	}
	r.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateRate(ctx, r); errors.Is(err, ErrDuplicate) {
		return domain.Rate{}, duplicate()
	} else if err != nil {
		return domain.Rate{}, apperr.Wrap(err, "update rate")
	}
	return r, nil
}

// DeleteRate deletes one of s's rates.
func (s *Service) DeleteRate(ctx context.Context, sub authn.Subject, id uuid.UUID) error {
	if _, err := s.owned(ctx, sub, id, authz.ActionDelete); err != nil {
		return err
	}
	if err := s.store.DeleteRate(ctx, id); err != nil {
		return apperr.Wrap(err, "delete rate")
	}
	return nil
}

// Convert converts balances into userID's base currency with their rates. With
// no base currency chosen it returns a zero Conversion (Base "").
func (s *Service) Convert(ctx context.Context, userID uuid.UUID, balances map[money.Currency]money.Amount) (domain.Conversion, error) {
	base, err := s.store.BaseCurrency(ctx, userID)
	if err != nil {
		return domain.Conversion{}, apperr.Wrap(err, "read base currency")
	}
	if base == "" {
		return domain.Conversion{}, nil
	}
	rs, err := s.store.Rates(ctx, userID)
	if err != nil {
		return domain.Conversion{}, apperr.Wrap(err, "list rates")
	}
	c, err := domain.Convert(base, balances, rs)
	if err != nil {
		return domain.Conversion{}, apperr.Wrap(err, "convert")
	}
	return c, nil
}
