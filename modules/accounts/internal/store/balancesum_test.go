package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/platform/money"
)

// TestBalanceSumIsExact adds random canonical amounts, from cents to the largest
// NUMERIC(38,18) values, both through balanceSum and through money, and wants the
// same totals; it also wants money.Parse's refusals.
func TestBalanceSumIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	digits := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
		return b.String()
	}
	for round := 0; round < 200; round++ {
		var s balanceSum
		want := money.Zero
		for i := 0; i < 1+rng.IntN(300); i++ {
			intDigits := 1 + rng.IntN(6)
			switch rng.IntN(20) {
			case 0:
				intDigits = 1 + rng.IntN(20)
			case 1:
				intDigits = 15
			}
			raw := strings.TrimLeft(digits(intDigits), "0")
			if raw == "" {
				raw = "0"
			}
			raw += "." + digits(1+rng.IntN(18))
			if rng.IntN(3) == 0 {
				raw = "-" + raw
			}
			a := money.MustParse(raw)
			v := a.String()
			if err := s.add(v); err != nil {
				t.Fatalf("add %s: %v", v, err)
			}
			want = want.Add(a)
		}
		if got := s.total(); !got.Equal(want) {
			t.Fatalf("round %d: sum %s, want %s", round, got, want)
		}
	}
	// Totals past the fixed-point range move into the exact sum as they go.
	var s balanceSum
	for _, v := range []string{"99999999999999.99", "99999999999999.99", "-0.000000000000000001", "0.00", "-0.01"} {
		for i := 0; i < 2000; i++ {
			if err := s.add(v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got, want := s.total(), money.MustParse("399999999999999939.999999999999998"); !got.Equal(want) {
		t.Errorf("sum %s, want %s", got, want)
	}
	for _, bad := range []string{"", "-", "1.", ".5", "01.00", "1.2.3", "abc", "1e3x", fmt.Sprint(strings.Repeat("9", 21), ".00")} {
		var s balanceSum
		if err := s.add(bad); err == nil {
			t.Errorf("add(%q) accepted", bad)
		}
	}
}
