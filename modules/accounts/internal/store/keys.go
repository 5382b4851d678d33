package store

import (
	"strings"

	"github.com/kontor-app/kontor/platform/money"
)

// amountKey encodes an amount as a fixed-width string whose byte order is the
// numeric order, so SQLite (and PostgreSQL, through a COLLATE "C" column) can sort
// and range-filter exact amounts as text. The layout is a sign byte ('0' negative,
// '1' zero or positive), then the magnitude as 20 integer and 18 fractional digits;
// for negatives every digit is replaced by 9 minus itself, so that a larger
// magnitude sorts lower.
func amountKey(a money.Amount) string {
	s := a.Abs().String()
	intPart, fracPart, _ := strings.Cut(s, ".")
	var b strings.Builder
	b.Grow(1 + money.MaxIntegerDigits + money.MaxFractionDigits)
	digits := strings.Repeat("0", money.MaxIntegerDigits-len(intPart)) + intPart +
		fracPart + strings.Repeat("0", money.MaxFractionDigits-len(fracPart))
	if a.IsNegative() {
		b.WriteByte('0')
		for i := 0; i < len(digits); i++ {
			b.WriteByte('9' - digits[i] + '0')
		}
		return b.String()
	}
	b.WriteByte('1')
	b.WriteString(digits)
	return b.String()
}

// nameKey is the case-folded name the account list sorts and searches by.
func nameKey(name string) string { return strings.ToLower(name) }

// likePattern returns a LIKE pattern matching s anywhere, with LIKE's wildcards in
// s escaped by a backslash.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}
