package money_test

import (
	"errors"
	"testing"

	"github.com/kontor-app/kontor/platform/money"
)

func TestParseCurrency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in string
		ok bool
	}{
		{"USD", true},
		{"EUR", true},
		{"JPY", true},
		{"BTC", true},
		{"ETH", true},
		{"USDT", true},
		{"USDC", true},
		{"DOGE", true},
		{"1INCH", true},
		{"ABCDEFGHIJ", true}, // 10 characters
		{"", false},
		{"US", false},
		{"ABCDEFGHIJK", false}, // 11 characters
		{"usd", false},
		{"Usd", false},
		{"btc", false},
		{"US D", false},
		{" USD", false},
		{"USD ", false},
		{"US-D", false},
		{"US$", false},
		{"€UR", false},
		{"ÜSD", false},
		{"123", false},
		{"USD\x00", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := money.ParseCurrency(tt.in)
			if tt.ok {
				if err != nil || got != money.Currency(tt.in) {
					t.Errorf("ParseCurrency(%q) = %q, %v; want it accepted", tt.in, got, err)
				}
				return
			}
			if !errors.Is(err, money.ErrInvalidCurrency) || got != "" {
				t.Errorf("ParseCurrency(%q) = %q, %v; want ErrInvalidCurrency", tt.in, got, err)
			}
		})
	}
}

func TestMinorUnits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		currency money.Currency
		want     int32
	}{
		{"USD", 2}, {"EUR", 2}, {"GBP", 2}, {"USDT", 2}, {"XYZ", 2}, {"", 2},
		{"JPY", 0}, {"KRW", 0}, {"VND", 0}, {"CLP", 0}, {"ISK", 0},
		{"UGX", 0}, {"RWF", 0}, {"XAF", 0}, {"XOF", 0},
		{"BHD", 3}, {"KWD", 3}, {"OMR", 3}, {"JOD", 3}, {"TND", 3},
		{"BTC", 8},
		{"ETH", 18},
	}
	for _, tt := range tests {
		if got := tt.currency.MinorUnits(); got != tt.want {
			t.Errorf("%q.MinorUnits() = %d, want %d", tt.currency, got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		amount   string
		currency money.Currency
		want     string
	}{
		{"1234567.5", "USD", "1,234,567.50"},
		{"-1234", "USD", "-1,234.00"},
		{"0", "USD", "0.00"},
		{"1", "USD", "1.00"},
		{"12", "USD", "12.00"},
		{"123", "USD", "123.00"},
		{"1234", "USD", "1,234.00"},
		{"12345", "USD", "12,345.00"},
		{"123456", "USD", "123,456.00"},
		{"-123456", "USD", "-123,456.00"},
		{"-0.5", "USD", "-0.50"},
		{"99999999999999999999.999999999999999999", "USD", "99,999,999,999,999,999,999.999999999999999999"},
		{"1.005", "USD", "1.005"}, // never rounded: finer than a cent stays visible
		{"-0.004", "USD", "-0.004"},
		{"1234.5", "JPY", "1,234.5"},
		{"1235", "JPY", "1,235"},
		{"-1000000", "KRW", "-1,000,000"},
		{"1234.5675", "KWD", "1,234.5675"},
		{"1.2", "BHD", "1.200"},
		{"0.00012345", "BTC", "0.00012345"},
		{"21000000", "BTC", "21,000,000.00000000"},
		{"1.123456789012345678", "ETH", "1.123456789012345678"},
		{"1000", "ETH", "1,000.000000000000000000"},
		{"1234.5", "USDT", "1,234.50"},
		{"-0.000000000000000001", "USD", "-0.000000000000000001"},
		{"999.5", "JPY", "999.5"},
		{"0", "BTC", "0.00000000"},
	}
	for _, tt := range tests {
		if got := money.Format(money.MustParse(tt.amount), tt.currency); got != tt.want {
			t.Errorf("Format(%s, %s) = %q, want %q", tt.amount, tt.currency, got, tt.want)
		}
	}
}

func TestCurrencyAllowsItsMinorUnitOnly(t *testing.T) {
	ok := map[string]string{"EUR": "1.00", "JPY": "10000", "BHD": "1.005", "ETH": "0.000000000000000001", "BTC": "0.00000001", "USDT": "0.123456", "XYZ": "1.123"}
	for c, a := range ok {
		if err := money.Currency(c).Allows(money.MustParse(a)); err != nil {
			t.Errorf("%s %s refused: %v", a, c, err)
		}
	}
	bad := map[string]string{"EUR": "must have at most 2 decimals in EUR", "JPY": "must be a whole number in JPY, which has no minor unit", "BHD": "must have at most 3 decimals in BHD", "BTC": "must have at most 8 decimals in BTC"}
	amounts := map[string]string{"EUR": "1.005", "JPY": "10000.5", "BHD": "1.0005", "BTC": "0.000000001"}
	for c, want := range bad {
		err := money.Currency(c).Allows(money.MustParse(amounts[c]))
		if err == nil || err.Error() != want {
			t.Errorf("%s %s: err = %v, want %q", amounts[c], c, err, want)
		}
	}
}

func TestPlainUsesTheCurrencysMinorUnits(t *testing.T) {
	cases := []struct{ a, c, want string }{
		{"10000", "JPY", "10000"}, {"-10000", "JPY", "-10000"}, {"1.5", "BHD", "1.500"}, {"1.5", "EUR", "1.50"},
		{"0.000000000000000001", "ETH", "0.000000000000000001"}, {"1", "ETH", "1.000000000000000000"}, {"0.005", "USD", "0.005"},
	}
	for _, c := range cases {
		if got := money.Plain(money.MustParse(c.a), money.Currency(c.c)); got != c.want {
			t.Errorf("Plain(%s %s) = %q, want %q", c.a, c.c, got, c.want)
		}
	}
}
