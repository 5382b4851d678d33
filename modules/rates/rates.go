// Package rates is Kontor's exchange-rates module: a person's base currency
// (GET/PUT /api/v1/me/preferences, the page /settings/currency) and the rates
// they enter, each for one day (/api/v1/exchange-rates, the page /rates). Its
// contract converts a person's balances into their base currency for the
// dashboard: exactly, with the latest direct rate of each currency, and with
// every currency lacking a rate named rather than guessed.
package rates

import (
	"context"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/rates/internal/domain"
	"github.com/kontor-app/kontor/platform/money"
)

// Conversion is balances converted into a base currency: the total of those
// with a rate (the sum of balance × rate, exact, rounded once half to even to
// the base currency's minor units), the rates used with their days, and the
// currencies left out for want of a rate. Base is "" when the person chose no
// base currency.
type Conversion = domain.Conversion

// UsedRate is one rate a Conversion used.
type UsedRate = domain.UsedRate

// Converter converts a person's balances into their base currency.
type Converter interface {
	Convert(ctx context.Context, userID uuid.UUID, balances map[money.Currency]money.Amount) (Conversion, error)
}
