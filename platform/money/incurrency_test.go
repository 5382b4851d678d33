package money_test

import (
	"encoding/json"
	"testing"

	"github.com/kontor-app/kontor/platform/money"
)

// TestInCurrencyWritesTheMinorUnits writes amounts the way every API answer does:
// an ISO currency with exactly its minor units, crypto with its own digits, and
// never a digit lost.
func TestInCurrencyWritesTheMinorUnits(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		amount   string
		currency money.Currency
		want     string
	}{
		{"10000", "JPY", `"10000"`},
		{"-318", "JPY", `"-318"`},
		{"0", "JPY", `"0"`},
		{"10000.5", "JPY", `"10000.5"`}, // finer than the minor unit: kept, not rounded
		{"1.5", "BHD", `"1.500"`},
		{"-0.001", "KWD", `"-0.001"`},
		{"1.5", "EUR", `"1.50"`},
		{"1234567.891", "EUR", `"1234567.891"`},
		{"0.00000001", "BTC", `"0.00000001"`},
		{"2", "BTC", `"2.00000000"`},
		{"1.123456789012345678", "ETH", `"1.123456789012345678"`},
		{"1", "ETH", `"1.000000000000000000"`},
		{"0.000000000000000001", "USDT", `"0.000000000000000001"`},
		{"7", "USDT", `"7.00"`},
		{"99999999999999999999.999999999999999999", "XYZ", `"99999999999999999999.999999999999999999"`},
	} {
		m := money.In(money.MustParse(tt.amount), tt.currency)
		got, err := json.Marshal(m)
		if err != nil || string(got) != tt.want {
			t.Errorf("In(%s, %s) JSON = %s, %v; want %s", tt.amount, tt.currency, got, err, tt.want)
		}
		if m.String() != tt.want[1:len(tt.want)-1] {
			t.Errorf("In(%s, %s).String() = %q", tt.amount, tt.currency, m.String())
		}
		var back money.InCurrency
		if err := json.Unmarshal(got, &back); err != nil || !back.Amount.Equal(m.Amount) {
			t.Errorf("%s reads back as %v, %v", got, back.Amount, err)
		}
	}
}

func TestNullInCurrency(t *testing.T) {
	t.Parallel()
	got, err := json.Marshal(struct {
		A money.NullInCurrency `json:"a"`
		B money.NullInCurrency `json:"b"`
	}{
		A: money.NullIn(money.NullAmount{}, "JPY"),
		B: money.NullIn(money.NullAmount{Amount: money.MustParse("1.5"), Valid: true}, "BHD"),
	})
	if err != nil || string(got) != `{"a":null,"b":"1.500"}` {
		t.Errorf("got %s, %v", got, err)
	}
	var back struct {
		A money.NullInCurrency `json:"a"`
		B money.NullInCurrency `json:"b"`
	}
	if err := json.Unmarshal(got, &back); err != nil || back.A.Amount.Valid || !back.B.Amount.Valid || !back.B.Amount.Amount.Equal(money.MustParse("1.5")) {
		t.Errorf("read back %+v, %v", back, err)
	}
}
