// Package money holds Kontor's exact decimal Amount and its Currency codes.
//
// Amounts never pass through a float: they are parsed from their decimal literal,
// added and compared exactly, and written back out as decimal strings, so a balance
// read from JSON, stored in the database and printed on a statement is the same
// number at every step. The range is what PostgreSQL NUMERIC(38,18) can hold: at most
// 20 integer digits and 18 fractional digits, enough for every fiat currency and for
// crypto assets counted in their smallest unit (ETH has 18 decimals).
package money

import (
	"errors"
	"math/big"
	"strings"

	"github.com/shopspring/decimal"
)

// MaxFractionDigits is the most fractional digits an Amount may carry; it matches the
// scale of the NUMERIC(38,18) columns amounts are stored in, and ETH's 18 decimals.
const MaxFractionDigits = 18

// MaxIntegerDigits is the most integer digits an Amount may carry, so that together
// with MaxFractionDigits every amount fits a NUMERIC(38,18) column.
const MaxIntegerDigits = 20

// The sentinel errors are returned unwrapped by Parse, so that a handler can match them
// with errors.Is and put their text straight after a field name ("amount must be a
// decimal number").
var (
	// ErrInvalid reports input that is not a decimal number in JSON number syntax.
	ErrInvalid = errors.New("must be a decimal number")
	// ErrTooPrecise reports a number with more than MaxFractionDigits significant
	// fractional digits, which could not be stored without rounding.
	ErrTooPrecise = errors.New("must have at most 18 digits after the decimal point")
	// ErrTooLarge reports a number whose absolute value is 10^20 or more, which could
	// not be stored in a NUMERIC(38,18) column.
	ErrTooLarge = errors.New("must have at most 20 digits before the decimal point")
)

// Amount is an exact decimal amount of money. It is a value type: copy it freely and
// compare it with Cmp or Equal. The zero value is 0.
type Amount struct {
	// The internal form holds a pointer and equal amounts may differ in scale (1.5 and
	// 1.50), so == would give wrong answers; the func array makes it a compile error.
	_ [0]func()
	d decimal.Decimal
}

// Zero is the amount 0; it equals the zero value of Amount and exists for readability.
var Zero = Amount{}

// FromInt returns the whole amount n. Every int64 fits the Amount range.
func FromInt(n int64) Amount {
	return Amount{d: decimal.NewFromInt(n)}
}

// MustParse is Parse for constants and tests; it panics on input Parse rejects, so it
// must never see input from a user, a provider or the database.
func MustParse(s string) Amount {
	a, err := Parse(s)
	if err != nil {
		panic("money: MustParse(" + s + "): " + err.Error())
	}
	return a
}

// exponentLimit caps the exponent while it is read. Any exponent beyond it already
// makes a non-zero number too large or too precise, and capping it keeps the
// arithmetic below far from int64 overflow whatever the input length.
const exponentLimit = 1 << 40

// Parse reads a decimal literal exactly. It accepts the JSON number grammar with an
// optional leading '+': "25000.50", "-1", "+3", "1e3", "1.5E-2". It rejects anything
// else, including surrounding spaces, "1.", ".5", leading zeros such as "01",
// thousands separators, hexadecimal, NaN and infinities, with ErrInvalid. Trailing
// fractional zeros do not count against the precision limit, so
// "1.000000000000000000000" is accepted while "0.0000000000000000001" fails with
// ErrTooPrecise; an absolute value of 10^20 or more fails with ErrTooLarge.
func Parse(s string) (Amount, error) {
	return parse(s, MaxIntegerDigits)
}

// parse is Parse with maxInt integer digits allowed instead of MaxIntegerDigits.
func parse(s string, maxInt int64) (Amount, error) {
	i := 0
	negative := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		negative = s[i] == '-'
		i++
	}

	intStart := i
	if i < len(s) && s[i] == '0' {
		// JSON allows a single leading zero only; "01" falls through to the
		// end-of-input check below and is rejected there.
		i++
	} else {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i == intStart {
		return Zero, ErrInvalid
	}
	intDigits := s[intStart:i]

	var fracDigits string
	if i < len(s) && s[i] == '.' {
		i++
		fracStart := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == fracStart {
			return Zero, ErrInvalid
		}
		fracDigits = s[fracStart:i]
	}

	var exponent int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		expNegative := false
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			expNegative = s[i] == '-'
			i++
		}
		expStart := i
		for i < len(s) && isDigit(s[i]) {
			if exponent < exponentLimit {
				exponent = exponent*10 + int64(s[i]-'0')
			}
			i++
		}
		if i == expStart {
			return Zero, ErrInvalid
		}
		if expNegative {
			exponent = -exponent
		}
	}
	if i != len(s) {
		return Zero, ErrInvalid
	}

	// The value is coefficient × 10^exponent. Stripping the coefficient's zeros on both
	// sides makes its length the number of significant digits, which is what the two
	// limits are about: "1.000" is as precise as "1", "0001" as large.
	coefficient := strings.TrimLeft(intDigits+fracDigits, "0")
	exponent -= int64(len(fracDigits))
	if coefficient == "" {
		return Zero, nil
	}
	trimmed := strings.TrimRight(coefficient, "0")
	exponent += int64(len(coefficient) - len(trimmed))
	coefficient = trimmed

	// With n significant digits the value lies in [10^(n-1+e), 10^(n+e)), so it is
	// below 10^maxInt exactly when n+e <= maxInt.
	if int64(len(coefficient))+exponent > maxInt {
		return Zero, ErrTooLarge
	}
	if exponent < -MaxFractionDigits {
		return Zero, ErrTooPrecise
	}

	value, ok := new(big.Int).SetString(coefficient, 10)
	if !ok {
		// The grammar above admits only ASCII digits, so this cannot happen; failing
		// closed is still better than returning a wrong amount.
		return Zero, ErrInvalid
	}
	if negative {
		value.Neg(value)
	}
	return Amount{d: decimal.NewFromBigInt(value, int32(exponent))}, nil
}

func isDigit(c byte) bool {
	return '0' <= c && c <= '9'
}

// Add returns a + b, exactly.
func (a Amount) Add(b Amount) Amount {
	return Amount{d: a.d.Add(b.d)}
}

// Sub returns a - b, exactly.
func (a Amount) Sub(b Amount) Amount {
	return Amount{d: a.d.Sub(b.d)}
}

// Neg returns -a; it turns a debit magnitude into its signed amount and back.
func (a Amount) Neg() Amount {
	return Amount{d: a.d.Neg()}
}

// Abs returns the magnitude of a.
func (a Amount) Abs() Amount {
	return Amount{d: a.d.Abs()}
}

// Sum returns the exact total of amounts, and Zero for none, so that totals over
// empty lists need no special case.
func Sum(amounts ...Amount) Amount {
	total := decimal.Zero
	for _, a := range amounts {
		total = total.Add(a.d)
	}
	return Amount{d: total}
}

// Cmp returns -1 if a < b, 0 if a == b and +1 if a > b, ignoring scale: 1.5 and 1.50
// compare equal.
func (a Amount) Cmp(b Amount) int {
	return a.d.Cmp(b.d)
}

// Equal reports whether a and b are the same number, ignoring scale. Use it instead of
// ==, which compares the internal representation.
func (a Amount) Equal(b Amount) bool {
	return a.d.Cmp(b.d) == 0
}

// IsZero reports whether a is 0. Because encoding/json's omitzero option consults
// IsZero, a field tagged omitzero leaves out a 0.00 amount; use NullAmount for an
// amount that may be absent.
func (a Amount) IsZero() bool {
	return a.d.Sign() == 0
}

// IsNegative reports whether a < 0.
func (a Amount) IsNegative() bool {
	return a.d.Sign() < 0
}

// IsPositive reports whether a > 0.
func (a Amount) IsPositive() bool {
	return a.d.Sign() > 0
}

// Sign returns -1, 0 or +1 as a is negative, zero or positive.
func (a Amount) Sign() int {
	return a.d.Sign()
}

// String returns the canonical form used on the wire and in the database: plain
// decimal notation, no exponent, at least two fractional digits and no trailing zeros
// beyond them, with "-" for negatives and never "-0.00". It is exact: 0.1234 prints as
// "0.1234", 1e3 as "1000.00". The formatting is done here rather than by
// decimal.String because that one obeys package-level switches any importer can flip.
func (a Amount) String() string {
	coefficient := a.d.Coefficient()
	exponent := a.d.Exponent()
	negative := coefficient.Sign() < 0
	digits := coefficient.Abs(coefficient).String()

	var intPart, fracPart string
	switch {
	case exponent >= 0:
		intPart = digits + strings.Repeat("0", int(exponent))
	case len(digits) > int(-exponent):
		split := len(digits) + int(exponent)
		intPart, fracPart = digits[:split], digits[split:]
	default:
		intPart = "0"
		fracPart = strings.Repeat("0", int(-exponent)-len(digits)) + digits
	}
	if intPart != "0" {
		intPart = strings.TrimLeft(intPart, "0")
		if intPart == "" {
			intPart = "0"
		}
	}
	fracPart = strings.TrimRight(fracPart, "0")
	if len(fracPart) < 2 {
		fracPart += strings.Repeat("0", 2-len(fracPart))
	}

	var b strings.Builder
	b.Grow(len(intPart) + len(fracPart) + 2)
	if negative {
		// The coefficient of zero has no sign, so this never yields "-0.00".
		b.WriteByte('-')
	}
	b.WriteString(intPart)
	b.WriteByte('.')
	b.WriteString(fracPart)
	return b.String()
}

// StringFixed returns a rounded to exactly places fractional digits for display,
// rounding half to even so that rounding many displayed figures does not drift in
// one direction. A negative places is treated as 0. A value that rounds to zero prints
// without a minus sign. Never parse the result back into an amount: it has lost
// precision.
func (a Amount) StringFixed(places int32) string {
	return a.d.StringFixedBank(max(places, 0))
}

// Factor is one term of a weighted sum for SumProducts: an amount and what it is
// multiplied by (an exchange rate, say).
type Factor struct {
	Amount Amount
	By     Amount
}

// SumProducts returns the sum of every Amount×By, computed exactly (each product
// keeps all of its up to 36 fractional digits) and then rounded once, half to even,
// to places fractional digits. Rounding once at the end keeps the result the
// nearest representable value to the true sum, which rounding every product would
// not. It fails with ErrTooLarge when the rounded sum has more than MaxIntegerDigits
// integer digits; places is clamped to 0..MaxFractionDigits.
func SumProducts(places int32, factors ...Factor) (Amount, error) {
	places = min(max(places, 0), MaxFractionDigits)
	sum := decimal.Zero
	for _, f := range factors {
		sum = sum.Add(f.Amount.d.Mul(f.By.d))
	}
	rounded := sum.RoundBank(places)
	if len(rounded.Abs().Truncate(0).String()) > MaxIntegerDigits {
		return Zero, ErrTooLarge
	}
	return Amount{d: rounded}, nil
}
