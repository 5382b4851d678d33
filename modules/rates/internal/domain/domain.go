// Package domain holds the rates module's rules: a person's base currency, the
// exchange rates they enter (each with the day it is of), and how a set of
// balances converts into the base currency with them, exactly and never with a
// guess: a currency without a rate stays out of the converted figure and is
// listed as missing.
package domain

import (
	"errors"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/money"
)

// DateLayout is how a rate's day is written, in the API and the database.
const DateLayout = "2006-01-02"

// Rate says that on Date one unit of Currency was worth Rate units of Quote
// (1 ETH = 3012.50 EUR). It is the person's own figure; Kontor fetches none.
type Rate struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	Currency  money.Currency
	Quote     money.Currency
	Rate      money.Amount
	Date      time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validation messages, worded to follow the field's label.
var (
	ErrRateNotPositive = errors.New("must be greater than zero")
	ErrSameCurrency    = errors.New("must differ from the currency it converts into")
)

// CheckRate validates the parts of a rate that do not need the database.
func CheckRate(r Rate) map[string]error {
	errs := map[string]error{}
	if !r.Rate.IsPositive() {
		errs["rate"] = ErrRateNotPositive
	}
	if r.Currency != "" && r.Currency == r.Quote {
		errs["quote_currency"] = ErrSameCurrency
	}
	return errs
}

// UsedRate is a rate a conversion used.
type UsedRate struct {
	Currency money.Currency
	Rate     money.Amount
	Date     time.Time
}

// Conversion is a set of balances converted into a base currency. Total holds
// the base currency's own balance plus every other currency that has a rate,
// each at its latest rate, summed exactly and rounded once, half to even, to
// the base currency's minor units. Missing lists the currencies with a balance
// but no rate into the base currency; they are not in Total. Oldest and Newest
// are the days of the rates used (zero when none was needed).
type Conversion struct {
	Base    money.Currency
	Total   money.Amount
	Rates   []UsedRate
	Missing []money.Currency
	Oldest  time.Time
	Newest  time.Time
}

// Complete reports whether every balance was converted.
func (c Conversion) Complete() bool { return len(c.Missing) == 0 }

// Convert converts balances into base with rates: for each currency the
// latest-dated rate quoting it in base. Only direct rates are used; inverting
// a rate (1/x) or chaining two would not be exact.
func Convert(base money.Currency, balances map[money.Currency]money.Amount, rates []Rate) (Conversion, error) {
	latest := map[money.Currency]Rate{}
	for _, r := range rates {
		if r.Quote != base {
			continue
		}
		if cur, ok := latest[r.Currency]; !ok || r.Date.After(cur.Date) {
			latest[r.Currency] = r
		}
	}
	currencies := make([]money.Currency, 0, len(balances))
	for c := range balances {
		currencies = append(currencies, c)
	}
	sort.Slice(currencies, func(i, j int) bool { return currencies[i] < currencies[j] })
	out := Conversion{Base: base}
	var factors []money.Factor
	for _, c := range currencies {
		bal := balances[c]
		if c == base {
			factors = append(factors, money.Factor{Amount: bal, By: money.FromInt(1)})
			continue
		}
		r, ok := latest[c]
		if !ok {
			out.Missing = append(out.Missing, c)
			continue
		}
		factors = append(factors, money.Factor{Amount: bal, By: r.Rate})
		out.Rates = append(out.Rates, UsedRate{Currency: c, Rate: r.Rate, Date: r.Date})
		if out.Oldest.IsZero() || r.Date.Before(out.Oldest) {
			out.Oldest = r.Date
		}
		if r.Date.After(out.Newest) {
			out.Newest = r.Date
		}
	}
	total, err := money.SumProducts(base.MinorUnits(), factors...)
	if err != nil {
		return Conversion{}, err
	}
	out.Total = total
	return out, nil
}
