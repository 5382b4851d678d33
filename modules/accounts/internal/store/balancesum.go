package store

import (
	"strings"

	"github.com/kontor-app/kontor/platform/money"
)

// fracUnit is one whole in balanceSum's fractional units, 10^-18.
const fracUnit int64 = 1_000_000_000_000_000_000

var pow10 = [...]int64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// balanceSum adds amounts given as the canonical decimal strings SQLite stores,
// exactly, without making a money.Amount of each: SQLite's account summary adds a
// thousand balances per request, and money.Parse (math/big) was a tenth of that
// request's CPU. Values with up to 15 integer and 18 fractional digits, all real
// balances, are added as two fixed-point integers; anything else, and the running
// total before it could overflow, goes through money.
type balanceSum struct {
	whole int64 // the integer parts
	frac  int64 // the fractional parts in units of 10^-18, kept within ±fracUnit
	exact money.Amount
}

// add adds the decimal v; it fails only on what money.Parse refuses.
func (s *balanceSum) add(v string) error {
	digits, neg := strings.CutPrefix(v, "-")
	intPart, fracPart, _ := strings.Cut(digits, ".")
	w, okWhole := digitsValue(intPart)
	f, okFrac := digitsValue(fracPart)
	if !okWhole || !okFrac || intPart == "" || len(intPart) > 15 || len(fracPart) > 18 ||
		(len(intPart) > 1 && intPart[0] == '0') || (strings.Contains(digits, ".") && fracPart == "") {
		a, err := money.Parse(v)
		if err != nil {
			return err
		}
		s.exact = s.exact.Add(a)
		return nil
	}
	f *= pow10[18-len(fracPart)]
	if neg {
		w, f = -w, -f
	}
	s.whole += w
	s.frac += f
	if s.frac >= fracUnit || s.frac <= -fracUnit {
		s.whole += s.frac / fracUnit
		s.frac %= fracUnit
	}
	if s.whole > 1e17 || s.whole < -1e17 {
		s.exact = s.exact.Add(s.fixed())
		s.whole, s.frac = 0, 0
	}
	return nil
}

// total returns the exact sum.
func (s *balanceSum) total() money.Amount { return s.exact.Add(s.fixed()) }

// fixed is the fixed-point part of the sum as an amount.
func (s *balanceSum) fixed() money.Amount {
	f := s.frac
	sign := ""
	if f < 0 {
		f, sign = -f, "-"
	}
	digits := []byte("0.000000000000000000")
	for i := len(digits) - 1; f > 0; i-- {
		digits[i] = byte('0' + f%10)
		f /= 10
	}
	// A fraction below 10^-18 in magnitude cannot occur and 0.xxx parses always.
	frac, _ := money.Parse(sign + string(digits))
	return money.FromInt(s.whole).Add(frac)
}

// digitsValue reads a run of at most 18 ASCII digits ("" is 0).
func digitsValue(s string) (int64, bool) {
	if len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
