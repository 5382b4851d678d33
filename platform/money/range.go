package money

import (
	"errors"
	"strings"
)

// The range Kontor holds.
//
// Every amount Kontor stores, whether typed by a person, sent by a provider or computed
// (a balance after a transaction, a transfer's two legs), lies strictly between
// -10^20 and 10^20 with at most 18 fractional digits: MaxIntegerDigits digits before
// the point and MaxFractionDigits after it, from MinAmount to MaxAmount. That is what
// both engines hold exactly: PostgreSQL's NUMERIC(38,18) columns (38 digits, 18 of
// them after the point) and the SQLite encoding, which keeps the canonical string as
// TEXT and orders it through the 39-byte SortKey.
//
// Input past the range fails Parse with ErrOutOfRange; a computed result past it fails
// AddChecked, SubChecked, SumChecked and CheckRange with ErrOutOfRange, and Value
// refuses to store it. Reports over many amounts (a net worth, the total of a list)
// may exceed the range without being stored: Scan reads such totals up to
// MaxTotalIntegerDigits integer digits, and SortKey orders every Amount whatever its
// size.

// MaxTotalIntegerDigits is the most integer digits Scan accepts, for aggregates such as
// PostgreSQL's SUM over NUMERIC(38,18) columns: a sum of 2^63 amounts below 10^20
// stays below 10^39, so 40 digits hold any total a database can return.
const MaxTotalIntegerDigits = 40

// ErrOutOfRange reports an amount whose absolute value is 10^20 or more: an input
// (from Parse, JSON, a form or a file) or a computed result (a balance, a sum). It is
// the same error as ErrTooLarge, so errors.Is matches either name; its text reads after
// a field name ("amount must have at most 20 digits before the decimal point"). The
// API answers it with 422 and the code CodeOutOfRange.
var ErrOutOfRange = ErrTooLarge

// CodeOutOfRange is the problem code the API gives ErrOutOfRange.
const CodeOutOfRange = "amount_out_of_range"

// MaxAmount is the largest amount Kontor holds, 99999999999999999999.999999999999999999,
// and MinAmount the smallest, its negation.
var (
	MaxAmount = MustParse("99999999999999999999.999999999999999999")
	MinAmount = MaxAmount.Neg()
)

// CheckRange returns ErrOutOfRange when a lies outside MinAmount..MaxAmount, and nil
// otherwise.
func (a Amount) CheckRange() error {
	return a.fits()
}

// InRange reports whether a lies inside MinAmount..MaxAmount, so that it can be stored.
func (a Amount) InRange() bool {
	return a.fits() == nil
}

// AddChecked returns a + b, or Zero and ErrOutOfRange when the exact result lies
// outside MinAmount..MaxAmount.
func (a Amount) AddChecked(b Amount) (Amount, error) {
	r := a.Add(b)
	if err := r.fits(); err != nil {
		return Zero, err
	}
	return r, nil
}

// SubChecked returns a - b, or Zero and ErrOutOfRange when the exact result lies
// outside MinAmount..MaxAmount.
func (a Amount) SubChecked(b Amount) (Amount, error) {
	r := a.Sub(b)
	if err := r.fits(); err != nil {
		return Zero, err
	}
	return r, nil
}

// SumChecked returns the exact total of amounts, or Zero and ErrOutOfRange when the
// total lies outside MinAmount..MaxAmount. Partial sums may leave the range on the way:
// only the total counts, exactly as a database sum would.
func SumChecked(amounts ...Amount) (Amount, error) {
	r := Sum(amounts...)
	if err := r.fits(); err != nil {
		return Zero, err
	}
	return r, nil
}

// fits reports whether a lies inside the range Parse accepts. Arithmetic is exact and
// unbounded, so a sum can leave the range; this is checked where an amount is stored.
// The check is on the digits of the canonical form, which is how Parse counts them.
func (a Amount) fits() error {
	s := a.String()
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	if len(intPart) > MaxIntegerDigits {
		return ErrOutOfRange
	}
	if len(strings.TrimRight(frac, "0")) > MaxFractionDigits {
		return ErrTooPrecise
	}
	return nil
}

// The SortKey layouts. Keys of amounts inside the range are sortKeyLen bytes; larger
// magnitudes (totals only: nothing stored has them) get a longer key of their own
// class, whose first byte sorts after (positive) or before (negative) every in-range
// key, so that one byte-wise comparison orders every Amount.
const (
	sortKeyLen      = 1 + MaxIntegerDigits + MaxFractionDigits
	keyNegativeHuge = '/' // sorts before '0'
	keyNegative     = '0'
	keyPositive     = '1'
	keyPositiveHuge = '2' // sorts after '1'
	hugeLenDigits   = 10  // width of the integer-digit count in a huge key
)

// errBadSortKey is returned by ParseSortKey for text SortKey cannot have produced.
var errBadSortKey = errors.New("money: not a sort key")

// SortKey encodes a as a string whose byte order is the numeric order, so a database
// can sort and range-filter exact amounts as text (SQLite has no exact decimal type;
// PostgreSQL compares the same keys under COLLATE "C"). For every amount inside the
// range the key is 39 bytes: a sign byte ('0' negative, '1' zero or positive), then
// the magnitude as MaxIntegerDigits integer and MaxFractionDigits fractional digits;
// for negatives every digit is replaced by 9 minus itself, so that a larger magnitude
// sorts lower.
//
// SortKey is total: an amount past the range (a total of many balances) gets a longer
// key that still sorts in numeric order against every other key: '2' (or '/' for a
// negative) then its count of integer digits in 10 digits, the integer digits and 18
// fractional digits, complemented for negatives as above. ParseSortKey reverses it.
func (a Amount) SortKey() string {
	intPart, fracPart, _ := strings.Cut(a.Abs().String(), ".")
	// No constructor or arithmetic yields more than MaxFractionDigits fractional
	// digits; cutting keeps the key total even if that ever changed.
	if len(fracPart) > MaxFractionDigits {
		fracPart = fracPart[:MaxFractionDigits]
	}
	negative := a.IsNegative()
	var b strings.Builder
	if len(intPart) <= MaxIntegerDigits {
		b.Grow(sortKeyLen)
		if negative {
			b.WriteByte(keyNegative)
		} else {
			b.WriteByte(keyPositive)
		}
		writeDigits(&b, strings.Repeat("0", MaxIntegerDigits-len(intPart)), negative)
	} else {
		b.Grow(1 + hugeLenDigits + len(intPart) + MaxFractionDigits)
		if negative {
			b.WriteByte(keyNegativeHuge)
		} else {
			b.WriteByte(keyPositiveHuge)
		}
		n := itoaPadded(len(intPart), hugeLenDigits)
		writeDigits(&b, n, negative)
	}
	writeDigits(&b, intPart, negative)
	writeDigits(&b, fracPart, negative)
	writeDigits(&b, strings.Repeat("0", MaxFractionDigits-len(fracPart)), negative)
	return b.String()
}

// writeDigits writes digits, each replaced by 9 minus itself when complement is set.
func writeDigits(b *strings.Builder, digits string, complement bool) {
	if !complement {
		b.WriteString(digits)
		return
	}
	for i := 0; i < len(digits); i++ {
		b.WriteByte('9' - digits[i] + '0')
	}
}

// itoaPadded writes n in decimal, left-padded with zeros to width digits.
func itoaPadded(n, width int) string {
	buf := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf)
}

// ParseSortKey returns the amount whose SortKey is key, so that a key read back from
// the database or a cursor can be checked and turned into an amount. It refuses text
// SortKey cannot have produced.
func ParseSortKey(key string) (Amount, error) {
	if len(key) < sortKeyLen {
		return Zero, errBadSortKey
	}
	for i := 1; i < len(key); i++ {
		if !isDigit(key[i]) {
			return Zero, errBadSortKey
		}
	}
	negative := key[0] == keyNegative || key[0] == keyNegativeHuge
	body := key[1:]
	if negative {
		flipped := make([]byte, len(body))
		for i := 0; i < len(body); i++ {
			flipped[i] = '9' - body[i] + '0'
		}
		body = string(flipped)
	}
	var intPart, fracPart string
	switch key[0] {
	case keyNegative, keyPositive:
		if len(body) != MaxIntegerDigits+MaxFractionDigits {
			return Zero, errBadSortKey
		}
		intPart, fracPart = body[:MaxIntegerDigits], body[MaxIntegerDigits:]
	case keyNegativeHuge, keyPositiveHuge:
		n := 0
		for i := 0; i < hugeLenDigits; i++ {
			n = n*10 + int(body[i]-'0')
		}
		// A huge key carries more digits than the fixed layout and none of them
		// leading zeros.
		if n <= MaxIntegerDigits || len(body) != hugeLenDigits+n+MaxFractionDigits || body[hugeLenDigits] == '0' {
			return Zero, errBadSortKey
		}
		intPart, fracPart = body[hugeLenDigits:hugeLenDigits+n], body[hugeLenDigits+n:]
	default:
		return Zero, errBadSortKey
	}
	t := strings.TrimLeft(intPart, "0")
	if t == "" {
		t = "0"
	}
	s := t + "." + fracPart
	if negative {
		s = "-" + s
	}
	a, err := parse(s, int64(max(len(t), MaxIntegerDigits)))
	if err != nil {
		return Zero, errBadSortKey
	}
	// A negative key of zero ("0" followed by all nines) is not what SortKey writes.
	if negative && a.IsZero() {
		return Zero, errBadSortKey
	}
	return a, nil
}
