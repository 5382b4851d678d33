package money_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/platform/money"
)

// randomAmount draws an amount anywhere in the range, with every count of integer and
// fractional digits equally likely, so that the extremes are hit as often as the middle.
func randomAmount(r *rand.Rand) money.Amount {
	intDigits := r.IntN(money.MaxIntegerDigits + 1)
	fracDigits := r.IntN(money.MaxFractionDigits + 1)
	var b strings.Builder
	if r.IntN(2) == 0 {
		b.WriteByte('-')
	}
	if intDigits == 0 {
		b.WriteByte('0')
	} else {
		b.WriteByte(byte('1' + r.IntN(9)))
		for i := 1; i < intDigits; i++ {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
	}
	if fracDigits > 0 {
		b.WriteByte('.')
		for i := 0; i < fracDigits; i++ {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
	}
	return money.MustParse(b.String())
}

// checkKeys holds SortKey to its contract for a and b: byte order equals numeric order,
// and ParseSortKey gives each amount back.
func checkKeys(t *testing.T, a, b money.Amount) {
	t.Helper()
	ka, kb := a.SortKey(), b.SortKey()
	if got, want := strings.Compare(ka, kb), a.Cmp(b); got != want {
		t.Fatalf("keys of %s and %s compare %d, amounts compare %d\n%s\n%s", a, b, got, want, ka, kb)
	}
	for _, c := range []struct {
		amount money.Amount
		key    string
	}{{a, ka}, {b, kb}} {
		back, err := money.ParseSortKey(c.key)
		if err != nil || !back.Equal(c.amount) {
			t.Fatalf("ParseSortKey(SortKey(%s)) = %s, %v", c.amount, back, err)
		}
		if c.amount.InRange() != (len(c.key) == 39) {
			t.Fatalf("key of %s has length %d, InRange %v", c.amount, len(c.key), c.amount.InRange())
		}
	}
}

// TestRangeProperties draws amounts over the whole range and sums of them, in and past
// the range, and holds SortKey (total, ordered, reversible) and the checked arithmetic
// (an error exactly when the exact result leaves the range) to their contracts.
func TestRangeProperties(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	extremes := []money.Amount{
		money.MaxAmount, money.MinAmount, money.Zero,
		money.MustParse("0.000000000000000001"), money.MustParse("-0.000000000000000001"),
		money.MustParse("10000000000000000000"), money.MustParse("-10000000000000000000"),
	}
	pick := func() money.Amount {
		if r.IntN(8) == 0 {
			return extremes[r.IntN(len(extremes))]
		}
		return randomAmount(r)
	}
	for range 20000 {
		a, b := pick(), pick()
		checkKeys(t, a, b)

		exact := a.Add(b)
		sum, err := a.AddChecked(b)
		if exact.InRange() {
			if err != nil || !sum.Equal(exact) {
				t.Fatalf("AddChecked(%s, %s) = %s, %v; want %s", a, b, sum, err, exact)
			}
		} else if !errors.Is(err, money.ErrOutOfRange) {
			t.Fatalf("AddChecked(%s, %s) = %s, %v; want ErrOutOfRange", a, b, sum, err)
		}
		diff, err := a.SubChecked(b)
		if d := a.Sub(b); d.InRange() != (err == nil) || (err == nil && !diff.Equal(d)) {
			t.Fatalf("SubChecked(%s, %s) = %s, %v", a, b, diff, err)
		}

		// Sums of several amounts, which go past the range half the time: the keys of
		// totals must still order against everything and reverse.
		n := 2 + r.IntN(30)
		terms := make([]money.Amount, n)
		for i := range terms {
			terms[i] = pick()
		}
		total := money.Sum(terms...)
		checkKeys(t, total, a)
		checkKeys(t, total, money.Sum(terms[1:]...))
		if _, err := money.SumChecked(terms...); total.InRange() != (err == nil) {
			t.Fatalf("SumChecked of %v = %v, total %s", terms, err, total)
		}
	}
}

func TestRangeLimits(t *testing.T) {
	t.Parallel()
	if got := money.MaxAmount.String(); got != "99999999999999999999.999999999999999999" {
		t.Errorf("MaxAmount = %s", got)
	}
	if !money.MaxAmount.InRange() || !money.MinAmount.InRange() {
		t.Error("MaxAmount and MinAmount must be in range")
	}
	tiny := money.MustParse("0.000000000000000001")
	if _, err := money.MaxAmount.AddChecked(tiny); !errors.Is(err, money.ErrOutOfRange) {
		t.Errorf("MaxAmount + 10^-18 error = %v, want ErrOutOfRange", err)
	}
	if _, err := money.MinAmount.SubChecked(tiny); !errors.Is(err, money.ErrOutOfRange) {
		t.Errorf("MinAmount - 10^-18 error = %v, want ErrOutOfRange", err)
	}
	if got, err := money.SumChecked(money.MaxAmount, money.MaxAmount, money.MinAmount); err != nil || !got.Equal(money.MaxAmount) {
		t.Errorf("SumChecked passing through 2×MaxAmount = %s, %v; only the total counts", got, err)
	}
	if _, err := money.Parse("99999999999999999999"); err != nil {
		t.Errorf("Parse of 20 nines: %v", err)
	}
	for _, s := range []string{"100000000000000000000", "-100000000000000000000"} {
		if _, err := money.Parse(s); !errors.Is(err, money.ErrOutOfRange) {
			t.Errorf("Parse(%s) error = %v, want ErrOutOfRange", s, err)
		}
	}
	if err := money.MaxAmount.Add(tiny).CheckRange(); !errors.Is(err, money.ErrOutOfRange) {
		t.Errorf("CheckRange past MaxAmount = %v", err)
	}
	if _, err := money.MaxAmount.Add(money.MaxAmount).Value(); !errors.Is(err, money.ErrOutOfRange) {
		t.Errorf("Value of 2×MaxAmount error = %v, want ErrOutOfRange", err)
	}
	if money.CodeOutOfRange != "amount_out_of_range" {
		t.Errorf("CodeOutOfRange = %q", money.CodeOutOfRange)
	}
}

// TestSortKeyPastTheRange is the defect of issue 10 item 1: a key of a sum past 20
// integer digits panicked with "strings: negative Repeat count".
func TestSortKeyPastTheRange(t *testing.T) {
	t.Parallel()
	huge := money.MaxAmount.Add(money.MaxAmount).Add(money.MaxAmount) // 21 digits
	values := []money.Amount{
		huge.Neg().Add(huge.Neg()), huge.Neg(), money.MinAmount, money.FromInt(-1), money.Zero,
		money.FromInt(1), money.MaxAmount, money.MaxAmount.Add(money.MustParse("0.000000000000000001")), huge, huge.Add(huge),
	}
	for i := 1; i < len(values); i++ {
		checkKeys(t, values[i-1], values[i])
		if !(values[i-1].SortKey() < values[i].SortKey()) {
			t.Fatalf("key of %s does not sort before key of %s", values[i-1], values[i])
		}
	}
}

func TestScanReadsTotalsPastTheRange(t *testing.T) {
	t.Parallel()
	// The value PostgreSQL's SUM returned in the audit of issue 10.
	const total = "300000000000000002350.000000000000000005"
	var a money.Amount
	if err := a.Scan([]byte(total)); err != nil {
		t.Fatalf("Scan(%s) error = %v", total, err)
	}
	if a.String() != total {
		t.Errorf("Scan(%s) = %s", total, a)
	}
	if _, err := a.Value(); !errors.Is(err, money.ErrOutOfRange) {
		t.Errorf("Value of a total past the range error = %v, want ErrOutOfRange", err)
	}
	if err := a.Scan(strings.Repeat("9", money.MaxTotalIntegerDigits+1)); !errors.Is(err, money.ErrOutOfRange) {
		t.Errorf("Scan past MaxTotalIntegerDigits error = %v, want ErrOutOfRange", err)
	}
}

func TestParseSortKeyRejects(t *testing.T) {
	t.Parallel()
	for _, key := range []string{
		"", "1", "x00000000000000000000000000000000000000", "1000000000000000000000000000000000000a0",
		"10000000000000000000000000000000000000",                          // 38 bytes
		"0999999999999999999999999999999999999999",                        // 40 bytes
		"099999999999999999999999999999999999999",                         // negative zero
		"20000000020" + strings.Repeat("1", 20) + strings.Repeat("0", 18), // huge class, 20 digits
	} {
		if a, err := money.ParseSortKey(key); err == nil {
			t.Errorf("ParseSortKey(%q) = %s, want an error", key, a)
		}
	}
}

// FuzzSortKey holds the encoding to its contract on fuzzed amounts and their sums and
// differences: byte order is numeric order and ParseSortKey reverses SortKey. It also
// feeds ParseSortKey arbitrary text, which must never panic and, when accepted, must
// be a key SortKey writes.
func FuzzSortKey(f *testing.F) {
	f.Add("0", "-1", "x")
	f.Add("99999999999999999999.999999999999999999", "99999999999999999999.999999999999999999", "1"+strings.Repeat("0", 38))
	f.Add("-0.000000000000000001", "1e19", "0"+strings.Repeat("9", 38))
	f.Add("-99999999999999999999.999999999999999999", "-1e19", "20000000021"+strings.Repeat("1", 21)+strings.Repeat("0", 18))
	f.Fuzz(func(t *testing.T, x, y, key string) {
		if a, err := money.ParseSortKey(key); err == nil && a.SortKey() != key {
			t.Fatalf("ParseSortKey(%q) = %s, whose key is %q", key, a, a.SortKey())
		}
		a, err := money.Parse(x)
		if err != nil {
			return
		}
		b, err := money.Parse(y)
		if err != nil {
			return
		}
		checkKeys(t, a, b)
		checkKeys(t, a.Add(b), a.Sub(b))
		checkKeys(t, a.Add(b).Add(b).Add(b), a)
	})
}
