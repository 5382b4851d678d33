package money_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/platform/money"
	"github.com/shopspring/decimal"
)

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // canonical String() of the result
	}{
		{"25000.50", "25000.50"},
		{"25000.5", "25000.50"},
		{"-1", "-1.00"},
		{"+3", "3.00"},
		{"0", "0.00"},
		{"-0", "0.00"},
		{"+0", "0.00"},
		{"0.0", "0.00"},
		{"-0.00", "0.00"},
		{"0.000000000000000001", "0.000000000000000001"},
		{"-0.000000000000000001", "-0.000000000000000001"},
		{"0.123456789012345678", "0.123456789012345678"},
		{"1e3", "1000.00"},
		{"1E3", "1000.00"},
		{"1e+3", "1000.00"},
		{"1.5E-2", "0.015"},
		{"1.5e-17", "0.000000000000000015"},
		{"1e-18", "0.000000000000000001"},
		{"0.1e-17", "0.000000000000000001"},
		{"-0.10", "-0.10"},
		{"0.1", "0.10"},
		{"123.456", "123.456"},
		// Trailing zeros carry no precision, however many there are.
		{"1.000000000000000000000000", "1.00"},
		{"2.5000000000000000000000", "2.50"},
		{"100000000000000000000e-1", "10000000000000000000.00"},
		{"100000000000000000000000000000000000000e-19", "10000000000000000000.00"},
		// Leading zeros in the coefficient carry no magnitude.
		{"0.00000000000000000000000000000012e32", "12.00"},
		// The largest magnitudes a NUMERIC(38,18) column holds.
		{"99999999999999999999", "99999999999999999999.00"},
		{"99999999999999999999.999999999999999999", "99999999999999999999.999999999999999999"},
		{"-99999999999999999999.999999999999999999", "-99999999999999999999.999999999999999999"},
		{"9.9999999999999999999e19", "99999999999999999999.00"},
		{"9.9999999999999999999999999999999999999e19", "99999999999999999999.999999999999999999"},
		// Zero is zero at any scale or exponent.
		{"0e999999999999999999999999", "0.00"},
		{"0e-999999999999999999999999", "0.00"},
		{"0.0000000000000000000000000000", "0.00"},
		{"1e0", "1.00"},
		{"1e-0", "1.00"},
		{"1e0000000000000000000000000000000000", "1.00"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := money.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) error = %v, want nil", tt.in, err)
			}
			if s := got.String(); s != tt.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.in, s, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want error
	}{
		{"", money.ErrInvalid},
		{" ", money.ErrInvalid},
		{" 1", money.ErrInvalid},
		{"1 ", money.ErrInvalid},
		{"1\n", money.ErrInvalid},
		{"- 1", money.ErrInvalid},
		{"NaN", money.ErrInvalid},
		{"nan", money.ErrInvalid},
		{"Inf", money.ErrInvalid},
		{"-Inf", money.ErrInvalid},
		{"+Inf", money.ErrInvalid},
		{"Infinity", money.ErrInvalid},
		{"0x10", money.ErrInvalid},
		{"0X1A", money.ErrInvalid},
		{"0x1p-2", money.ErrInvalid},
		{"0b101", money.ErrInvalid},
		{"0o17", money.ErrInvalid},
		{"1.", money.ErrInvalid},
		{"-1.", money.ErrInvalid},
		{".5", money.ErrInvalid},
		{"-.5", money.ErrInvalid},
		{"+.5", money.ErrInvalid},
		{"01", money.ErrInvalid},
		{"00", money.ErrInvalid},
		{"-01", money.ErrInvalid},
		{"00.5", money.ErrInvalid},
		{"-", money.ErrInvalid},
		{"+", money.ErrInvalid},
		{"+-1", money.ErrInvalid},
		{"-+1", money.ErrInvalid},
		{"--1", money.ErrInvalid},
		{"++1", money.ErrInvalid},
		{"e3", money.ErrInvalid},
		{"1e", money.ErrInvalid},
		{"1e+", money.ErrInvalid},
		{"1e-", money.ErrInvalid},
		{"1.5e", money.ErrInvalid},
		{"1e3.5", money.ErrInvalid},
		{"1e1e1", money.ErrInvalid},
		{"1.2.3", money.ErrInvalid},
		{"1,000", money.ErrInvalid},
		{"1,5", money.ErrInvalid},
		{"1_000", money.ErrInvalid},
		{"1'000", money.ErrInvalid},
		{"$1", money.ErrInvalid},
		{"1USD", money.ErrInvalid},
		{`"1"`, money.ErrInvalid},
		{"null", money.ErrInvalid},
		{"true", money.ErrInvalid},
		{"١", money.ErrInvalid}, // ARABIC-INDIC DIGIT ONE
		{"１", money.ErrInvalid}, // FULLWIDTH DIGIT ONE
		{"1\x00", money.ErrInvalid},
		{"0.0000000000000000001", money.ErrTooPrecise},
		{"-0.0000000000000000001", money.ErrTooPrecise},
		{"0.1234567890123456789", money.ErrTooPrecise},
		{"1e-19", money.ErrTooPrecise},
		{"15e-20", money.ErrTooPrecise},
		{"15e-19", money.ErrTooPrecise},
		{"1.5e-18", money.ErrTooPrecise},
		{"1e-999999999999999999999999999", money.ErrTooPrecise},
		{"99999999999999999999.9999999999999999999", money.ErrTooPrecise},
		{"100000000000000000000", money.ErrTooLarge},
		{"-100000000000000000000", money.ErrTooLarge},
		{"100000000000000000000.00", money.ErrTooLarge},
		{"1e20", money.ErrTooLarge},
		{"-1e20", money.ErrTooLarge},
		{"0.1e21", money.ErrTooLarge},
		{"1e999999999999999999999999999", money.ErrTooLarge},
		{"123456789012345678901", money.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := money.Parse(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse(%q) = %v, %v; want error %v", tt.in, got, err, tt.want)
			}
			if !got.IsZero() {
				t.Errorf("Parse(%q) returned %v with its error, want Zero", tt.in, got)
			}
		})
	}
}

// Every spelling of a number parses to the same value and the same canonical string.
func TestParseEquivalentForms(t *testing.T) {
	t.Parallel()
	forms := [][]string{
		{"1500", "1.5e3", "1.5E+3", "15e2", "150000e-2", "1500.000", "+1500"},
		{"-0.015", "-1.5e-2", "-15E-3", "-0.0150"},
		{"0.000000000000000015", "1.5e-17", "15e-18"},
	}
	for _, group := range forms {
		want := money.MustParse(group[0])
		for _, s := range group[1:] {
			got, err := money.Parse(s)
			if err != nil || !got.Equal(want) || got.String() != want.String() {
				t.Errorf("Parse(%q) = %v, %v; want %v", s, got, err, want)
			}
		}
	}
}

func TestErrorMessagesReadAfterAFieldName(t *testing.T) {
	t.Parallel()
	for _, err := range []error{money.ErrInvalid, money.ErrTooPrecise, money.ErrTooLarge, money.ErrInvalidCurrency} {
		if msg := err.Error(); !strings.HasPrefix(msg, "must ") {
			t.Errorf("error message %q should read after a field name (\"amount must ...\")", msg)
		}
	}
}

func TestMustParse(t *testing.T) {
	t.Parallel()
	if got := money.MustParse("12.30").String(); got != "12.30" {
		t.Errorf("MustParse(12.30) = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustParse(\"abc\") did not panic")
		}
	}()
	money.MustParse("abc")
}

func TestZeroValues(t *testing.T) {
	t.Parallel()
	var a money.Amount
	if !a.IsZero() || !a.Equal(money.Zero) || a.String() != "0.00" || a.Sign() != 0 {
		t.Errorf("zero value = %q (sign %d), want 0.00", a.String(), a.Sign())
	}
	if got := a.Add(money.MustParse("1.5")).String(); got != "1.50" {
		t.Errorf("zero value + 1.5 = %q", got)
	}
	if got := money.Zero.Neg().String(); got != "0.00" {
		t.Errorf("-Zero = %q, want 0.00", got)
	}
}

func TestFromInt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0.00"},
		{42, "42.00"},
		{-7, "-7.00"},
		{9223372036854775807, "9223372036854775807.00"},
		{-9223372036854775808, "-9223372036854775808.00"},
	}
	for _, tt := range tests {
		if got := money.FromInt(tt.in).String(); got != tt.want {
			t.Errorf("FromInt(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   money.Amount
		want string
	}{
		{money.MustParse("25000.5"), "25000.50"},
		{money.Zero, "0.00"},
		{money.MustParse("1e3"), "1000.00"},
		{money.MustParse("0.123456789012345678"), "0.123456789012345678"},
		{money.MustParse("-0.10"), "-0.10"},
		{money.MustParse("-0.1"), "-0.10"},
		{money.MustParse("0.001"), "0.001"},
		{money.MustParse("-5"), "-5.00"},
		{money.MustParse("1.230"), "1.23"},
		{money.MustParse("1.2340"), "1.234"},
		{money.MustParse("1e19"), "10000000000000000000.00"},
		// Results of arithmetic whose internal scale differs from a parsed value's.
		{money.MustParse("1e3").Sub(money.MustParse("1e3")), "0.00"},
		{money.MustParse("0.10").Sub(money.MustParse("0.1")), "0.00"},
		{money.MustParse("-0.5").Add(money.MustParse("0.50")), "0.00"},
		{money.MustParse("1e3").Add(money.MustParse("0.000000000000000001")), "1000.000000000000000001"},
		{money.MustParse("1e3").Neg(), "-1000.00"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// String must not depend on shopspring/decimal's package-level switches, which any
// importer can flip.
func TestStringIgnoresDecimalGlobals(t *testing.T) {
	// Not parallel: it flips package-level switches the other tests read.
	trim, sci := decimal.TrimTrailingZeros, decimal.UseScientificNotation
	t.Cleanup(func() { decimal.TrimTrailingZeros, decimal.UseScientificNotation = trim, sci })
	decimal.TrimTrailingZeros, decimal.UseScientificNotation = false, true

	for in, want := range map[string]string{"1e3": "1000.00", "1.500": "1.50", "0.000000000000000001": "0.000000000000000001"} {
		if got := money.MustParse(in).String(); got != want {
			t.Errorf("String(%s) with decimal globals flipped = %q, want %q", in, got, want)
		}
	}
}

func TestStringFixed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		places int32
		want   string
	}{
		{"25000.5", 2, "25000.50"},
		{"1.005", 2, "1.00"}, // half to even
		{"1.015", 2, "1.02"}, // half to even
		{"1.0151", 2, "1.02"},
		{"-1.005", 2, "-1.00"},
		{"-1.015", 2, "-1.02"},
		{"2.5", 0, "2"},
		{"3.5", 0, "4"},
		{"1234.5678", 0, "1235"},
		{"0.123456789012345678", 18, "0.123456789012345678"},
		{"1", 18, "1.000000000000000000"},
		{"1e3", 2, "1000.00"},
		{"-0.001", 2, "0.00"}, // never "-0.00"
		{"-0.005", 2, "0.00"},
		{"-0.4", 0, "0"},
		{"1234", -2, "1234"}, // negative places are 0
		{"0", 3, "0.000"},
	}
	for _, tt := range tests {
		if got := money.MustParse(tt.in).StringFixed(tt.places); got != tt.want {
			t.Errorf("MustParse(%q).StringFixed(%d) = %q, want %q", tt.in, tt.places, got, tt.want)
		}
	}
}

func TestArithmetic(t *testing.T) {
	t.Parallel()
	m := money.MustParse
	tests := []struct {
		name string
		got  money.Amount
		want string
	}{
		{"add", m("0.1").Add(m("0.2")), "0.30"},
		{"add tiny", m("25000.50").Add(m("0.000000000000000001")), "25000.500000000000000001"},
		{"add negative", m("10").Add(m("-12.5")), "-2.50"},
		{"sub", m("0.3").Sub(m("0.1")), "0.20"},
		{"sub to negative", m("100").Sub(m("100.01")), "-0.01"},
		{"neg", m("12.34").Neg(), "-12.34"},
		{"neg negative", m("-12.34").Neg(), "12.34"},
		{"abs negative", m("-500").Abs(), "500.00"},
		{"abs positive", m("500").Abs(), "500.00"},
		{"sum none", money.Sum(), "0.00"},
		{"sum one", money.Sum(m("7")), "7.00"},
		{"sum many", money.Sum(m("0.1"), m("0.2"), m("-0.05"), m("1e2")), "100.25"},
		{"sum tenths", money.Sum(m("0.1"), m("0.1"), m("0.1"), m("0.1"), m("0.1"), m("0.1"), m("0.1"), m("0.1"), m("0.1"), m("0.1")), "1.00"},
	}
	for _, tt := range tests {
		if s := tt.got.String(); s != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, s, tt.want)
		}
	}
}

func TestArithmeticDoesNotAlias(t *testing.T) {
	t.Parallel()
	a := money.MustParse("1.5")
	b := money.MustParse("2.5")
	_ = a.Add(b)
	_ = a.Sub(b)
	_ = a.Neg()
	_ = a.Abs()
	_ = money.Sum(a, b)
	if a.String() != "1.50" || b.String() != "2.50" {
		t.Errorf("operands changed: a = %s, b = %s", a, b)
	}
}

func TestComparisons(t *testing.T) {
	t.Parallel()
	m := money.MustParse
	tests := []struct {
		a, b  money.Amount
		cmp   int
		equal bool
	}{
		{m("1.5"), m("1.50"), 0, true},
		{m("1e3"), m("1000"), 0, true},
		{m("0"), money.Zero, 0, true},
		{m("-0"), money.Zero, 0, true},
		{m("1"), m("2"), -1, false},
		{m("2"), m("1"), 1, false},
		{m("-1"), m("1"), -1, false},
		{m("0.000000000000000001"), money.Zero, 1, false},
		{m("99999999999999999999.999999999999999999"), m("99999999999999999999.999999999999999998"), 1, false},
	}
	for _, tt := range tests {
		if got := tt.a.Cmp(tt.b); got != tt.cmp {
			t.Errorf("%s.Cmp(%s) = %d, want %d", tt.a, tt.b, got, tt.cmp)
		}
		if got := tt.a.Equal(tt.b); got != tt.equal {
			t.Errorf("%s.Equal(%s) = %v, want %v", tt.a, tt.b, got, tt.equal)
		}
	}
}

func TestSignPredicates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in                       string
		sign                     int
		zero, negative, positive bool
	}{
		{"0", 0, true, false, false},
		{"-0.00", 0, true, false, false},
		{"0.000000000000000001", 1, false, false, true},
		{"-0.000000000000000001", -1, false, true, false},
		{"500", 1, false, false, true},
		{"-500", -1, false, true, false},
	}
	for _, tt := range tests {
		a := money.MustParse(tt.in)
		if a.Sign() != tt.sign || a.IsZero() != tt.zero || a.IsNegative() != tt.negative || a.IsPositive() != tt.positive {
			t.Errorf("%s: Sign %d IsZero %v IsNegative %v IsPositive %v; want %d %v %v %v",
				tt.in, a.Sign(), a.IsZero(), a.IsNegative(), a.IsPositive(), tt.sign, tt.zero, tt.negative, tt.positive)
		}
	}
}

// FuzzParse checks that every accepted input survives a trip through its canonical
// form, that the canonical form is a fixed point, and that the value agrees with an
// independent parser.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"25000.50", "-1", "+3", "0.000000000000000001", "1e3", "1.5E-2", "0", "-0",
		"99999999999999999999.999999999999999999", "1e20", "1e-19", "01", ".5", "1.",
		"NaN", "0x10", "", "1.000000000000000000000", "0e99999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := money.Parse(s)
		if err != nil {
			if !errors.Is(err, money.ErrInvalid) && !errors.Is(err, money.ErrTooPrecise) && !errors.Is(err, money.ErrTooLarge) {
				t.Fatalf("Parse(%q) returned an unexpected error %v", s, err)
			}
			return
		}
		canonical := a.String()
		b, err := money.Parse(canonical)
		if err != nil {
			t.Fatalf("Parse(%q) = %s, but Parse(%q) failed: %v", s, canonical, canonical, err)
		}
		if !b.Equal(a) {
			t.Fatalf("Parse(String(Parse(%q))) = %s, want %s", s, b, a)
		}
		if b.String() != canonical {
			t.Fatalf("String is not canonical: %q reparses to %q", canonical, b.String())
		}
		if strings.ContainsAny(canonical, "eE+") || canonical == "-0.00" {
			t.Fatalf("String() = %q is not in canonical form", canonical)
		}
		// Everything Parse accepts is in range and has a fixed-width key that
		// ParseSortKey turns back into the same amount.
		if key := a.SortKey(); !a.InRange() || len(key) != 39 {
			t.Fatalf("Parse(%q) = %s, InRange %v, key %q", s, a, a.InRange(), key)
		} else if back, err := money.ParseSortKey(key); err != nil || !back.Equal(a) {
			t.Fatalf("ParseSortKey(SortKey(%s)) = %s, %v", a, back, err)
		}
		// decimal accepts a superset of our grammar; on what we accept it must agree.
		// Its exponent is an int32, so only compare where it can represent the input.
		if len(s) < 1000 {
			if want, err := decimal.NewFromString(s); err == nil && !want.Equal(decimal.RequireFromString(canonical)) {
				t.Fatalf("Parse(%q) = %s, decimal says %s", s, canonical, want)
			}
		}
	})
}

// TestSortKeyOrder holds the text order of keys to the numeric order of amounts,
// across signs, magnitudes and the finest fraction.
func TestSortKeyOrder(t *testing.T) {
	t.Parallel()
	values := []string{"-99999999999999999999.999999999999999999", "-1000", "-1.5", "-1.4999", "-0.000000000000000001", "0", "0.000000000000000001", "0.1", "1", "1.01", "10", "99999999999999999999.999999999999999999"}
	var prev string
	for i, v := range values {
		k := money.MustParse(v).SortKey()
		if len(k) != 39 {
			t.Fatalf("key of %s has length %d", v, len(k))
		}
		if i > 0 && !(prev < k) {
			t.Fatalf("key of %s does not sort after the previous one", v)
		}
		prev = k
	}
}

func TestSumProductsIsExactAndRoundsOnceHalfToEven(t *testing.T) {
	cases := []struct {
		places  int32
		factors []money.Factor
		want    string
	}{
		// 1.123456789012345677 ETH at 3012.50 EUR = 3384.41108...; rounded to cents.
		{2, []money.Factor{{money.MustParse("1.123456789012345677"), money.MustParse("3012.50")}}, "3384.41"},
		// Two products of 0.005 each: rounding each would give 0.00 + 0.00 (half to
		// even); the exact sum 0.01 survives rounding once.
		{2, []money.Factor{{money.MustParse("0.5"), money.MustParse("0.01")}, {money.MustParse("0.5"), money.MustParse("0.01")}}, "0.01"},
		// Half to even: 0.125 -> 0.12, 0.135 -> 0.14.
		{2, []money.Factor{{money.MustParse("0.125"), money.MustParse("1")}}, "0.12"},
		{2, []money.Factor{{money.MustParse("0.135"), money.MustParse("1")}}, "0.14"},
		// Negative balances (debts) convert with their sign.
		{0, []money.Factor{{money.MustParse("-234.56"), money.MustParse("162.4")}}, "-38093.00"},
		{2, nil, "0.00"},
	}
	for _, c := range cases {
		got, err := money.SumProducts(c.places, c.factors...)
		if err != nil {
			t.Fatalf("%v: %v", c.factors, err)
		}
		if got.String() != c.want {
			t.Errorf("SumProducts(%d, %v) = %s, want %s", c.places, c.factors, got, c.want)
		}
	}
	if _, err := money.SumProducts(2, money.Factor{money.MustParse("99999999999999999999"), money.MustParse("10")}); err != money.ErrTooLarge {
		t.Errorf("overflow: err = %v, want ErrTooLarge", err)
	}
}
