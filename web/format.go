package web

import (
	"strings"
	"time"

	"github.com/kontor-app/kontor/platform/money"
)

// Kontor writes numbers and dates one way on every page:
//
//   - a day as "2 Jan 2006" (Date) and a moment as "2 Jan 2006, 15:04 UTC"
//     (DateTime); files and the API use ISO 8601 instead;
//   - an amount grouped by thousands with the currency's own minor units (Money),
//     a negative one with the minus sign U+2212 ("−318.45"), never "-"; a "+" only
//     where a figure is a movement (Signed: a transaction, a change), so balances
//     carry no plus sign. Files and the API keep ASCII "-" for machines.

// Minus is the sign pages put before a negative figure.
const Minus = "\u2212"

// DateLayout is how pages write a day.
const DateLayout = "2 Jan 2006"

// Date writes t's day in UTC as pages do: "28 Nov 2026".
func Date(t time.Time) string { return t.UTC().Format(DateLayout) }

// DateTime writes a moment as pages do: "28 Nov 2026, 14:05 UTC".
func DateTime(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// Money writes a in currency c for a page: grouped, with c's minor units, and a
// U+2212 minus for a negative figure ("−1,234.50").
func Money(a money.Amount, c money.Currency) string {
	s := money.Format(a, c)
	if strings.HasPrefix(s, "-") {
		return Minus + s[1:]
	}
	return s
}

// Signed writes a movement with its sign either way: "+1,200.00", "−35.10", and
// "0.00" without one.
func Signed(a money.Amount, c money.Currency) string {
	if a.IsPositive() {
		return "+" + Money(a, c)
	}
	return Money(a, c)
}

// Amount writes a bare number (a rate, say) as pages do, grouped, exact, at
// least two decimals.
func Amount(a money.Amount) string { return Money(a, "") }
