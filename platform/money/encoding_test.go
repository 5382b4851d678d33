package money_test

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/platform/money"
)

type payload struct {
	Amount money.Amount `json:"amount"`
}

func TestUnmarshalJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"string", `{"amount":"25000.50"}`, "25000.50"},
		{"number", `{"amount":25000.50}`, "25000.50"},
		{"negative string", `{"amount":"-500"}`, "-500.00"},
		{"negative number", `{"amount":-500}`, "-500.00"},
		{"plus sign in string", `{"amount":"+3"}`, "3.00"},
		{"exponent number", `{"amount":1e3}`, "1000.00"},
		{"exponent string", `{"amount":"1.5E-2"}`, "0.015"},
		{"tiny number", `{"amount":0.000000000000000001}`, "0.000000000000000001"},
		{"tiny exponent number", `{"amount":1e-18}`, "0.000000000000000001"},
		{"18 decimals number", `{"amount":0.123456789012345678}`, "0.123456789012345678"},
		{"18 decimals string", `{"amount":"1.123456789012345678"}`, "1.123456789012345678"},
		// float64 holds about 16 significant digits; these would come back changed.
		{"big number", `{"amount":99999999999999999999.999999999999999999}`, "99999999999999999999.999999999999999999"},
		{"big string", `{"amount":"-99999999999999999999.999999999999999999"}`, "-99999999999999999999.999999999999999999"},
		{"beyond float64 precision", `{"amount":9007199254740993}`, "9007199254740993.00"},
		{"escaped string", `{"amount":"\u0031\u0032.5"}`, "12.50"},
		{"zero", `{"amount":0}`, "0.00"},
		{"negative zero", `{"amount":-0.0}`, "0.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p payload
			if err := json.Unmarshal([]byte(tt.in), &p); err != nil {
				t.Fatalf("Unmarshal(%s) error = %v", tt.in, err)
			}
			if got := p.Amount.String(); got != tt.want {
				t.Errorf("Unmarshal(%s) = %q, want %q", tt.in, got, tt.want)
			}
			out, err := json.Marshal(p)
			if err != nil {
				t.Fatalf("Marshal error = %v", err)
			}
			if want := `{"amount":"` + tt.want + `"}`; string(out) != want {
				t.Errorf("Marshal = %s, want %s", out, want)
			}
		})
	}
}

func TestUnmarshalJSONRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want error
	}{
		{`{"amount":null}`, money.ErrInvalid},
		{`{"amount":true}`, money.ErrInvalid},
		{`{"amount":""}`, money.ErrInvalid},
		{`{"amount":"abc"}`, money.ErrInvalid},
		{`{"amount":" 1"}`, money.ErrInvalid},
		{`{"amount":"1,000.00"}`, money.ErrInvalid},
		{`{"amount":"NaN"}`, money.ErrInvalid},
		{`{"amount":"0x10"}`, money.ErrInvalid},
		{`{"amount":".5"}`, money.ErrInvalid},
		{`{"amount":[1]}`, money.ErrInvalid},
		{`{"amount":{"value":1}}`, money.ErrInvalid},
		{`{"amount":"0.0000000000000000001"}`, money.ErrTooPrecise},
		{`{"amount":0.0000000000000000001}`, money.ErrTooPrecise},
		{`{"amount":1e-19}`, money.ErrTooPrecise},
		{`{"amount":"1e20"}`, money.ErrTooLarge},
		{`{"amount":100000000000000000000}`, money.ErrTooLarge},
		{`{"amount":1e400}`, money.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var p payload
			err := json.Unmarshal([]byte(tt.in), &p)
			if !isFieldReason(err, "amount", tt.want) {
				t.Errorf("Unmarshal(%s) error = %v, want %v on field amount", tt.in, err, tt.want)
			}
		})
	}
}

// The API promises that JSON numbers are read from their literal, never through
// float64, where 0.1 + 0.2 is 0.30000000000000004.
func TestJSONNumbersAreExact(t *testing.T) {
	t.Parallel()
	var amounts []money.Amount
	if err := json.Unmarshal([]byte(`[0.1, 0.2]`), &amounts); err != nil {
		t.Fatal(err)
	}
	if got := money.Sum(amounts...).String(); got != "0.30" {
		t.Errorf("0.1 + 0.2 = %q, want exactly 0.30", got)
	}
}

func TestJSONPointerAndMapKey(t *testing.T) {
	t.Parallel()
	var withPointer struct {
		Limit *money.Amount `json:"limit"`
	}
	if err := json.Unmarshal([]byte(`{"limit":null}`), &withPointer); err != nil || withPointer.Limit != nil {
		t.Errorf("null into *Amount = %v, %v; want nil, nil", withPointer.Limit, err)
	}
	if err := json.Unmarshal([]byte(`{"limit":"250"}`), &withPointer); err != nil || withPointer.Limit == nil || withPointer.Limit.String() != "250.00" {
		t.Errorf(`"250" into *Amount = %v, %v; want 250.00`, withPointer.Limit, err)
	}

	// Totals by currency are maps of amounts; MarshalJSON must be used for the values.
	out, err := json.Marshal(map[money.Currency]money.Amount{"USD": money.MustParse("75000.5")})
	if err != nil || string(out) != `{"USD":"75000.50"}` {
		t.Errorf("Marshal(map) = %s, %v", out, err)
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	a := money.MustParse("-1234.5")
	text, err := a.MarshalText()
	if err != nil || string(text) != "-1234.50" {
		t.Fatalf("MarshalText = %q, %v", text, err)
	}
	var b money.Amount
	if err := b.UnmarshalText(text); err != nil || !b.Equal(a) {
		t.Errorf("UnmarshalText(%q) = %v, %v", text, b, err)
	}
	if err := b.UnmarshalText([]byte("1e3")); err != nil || b.String() != "1000.00" {
		t.Errorf("UnmarshalText(1e3) = %v, %v", b, err)
	}
	for in, want := range map[string]error{
		"":       money.ErrInvalid,
		"12,50":  money.ErrInvalid,
		"1e-19":  money.ErrTooPrecise,
		"1e20":   money.ErrTooLarge,
		" 12.50": money.ErrInvalid,
	} {
		b = money.MustParse("7")
		if err := b.UnmarshalText([]byte(in)); !errors.Is(err, want) {
			t.Errorf("UnmarshalText(%q) error = %v, want %v", in, err, want)
		}
		if b.String() != "7.00" {
			t.Errorf("UnmarshalText(%q) changed the amount to %v despite failing", in, b)
		}
	}
}

func TestValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   money.Amount
		want driver.Value
	}{
		{money.MustParse("25000.5"), "25000.50"},
		{money.Zero, "0.00"},
		{money.MustParse("-0.000000000000000001"), "-0.000000000000000001"},
		{money.MustParse("99999999999999999999.999999999999999999"), "99999999999999999999.999999999999999999"},
		{money.MustParse("1e3"), "1000.00"},
	}
	for _, tt := range tests {
		got, err := tt.in.Value()
		if err != nil || got != tt.want {
			t.Errorf("Value() = %#v, %v; want %#v", got, err, tt.want)
		}
	}

	// Sums may leave the storable range; that must fail here, not in the database.
	huge := money.MustParse("99999999999999999999").Add(money.MustParse("1"))
	if _, err := huge.Value(); !errors.Is(err, money.ErrTooLarge) {
		t.Errorf("Value() of 10^20 error = %v, want ErrTooLarge", err)
	}
}

func TestScan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  any
		want string
	}{
		{"sqlite text", "25000.50", "25000.50"},
		{"postgres numeric", []byte("25000.500000000000000000"), "25000.50"},
		{"postgres numeric string", "-0.000000000000000001", "-0.000000000000000001"},
		{"integer", int64(42), "42.00"},
		{"negative integer", int64(-7), "-7.00"},
		{"exponent text", "1e3", "1000.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a money.Amount
			if err := a.Scan(tt.src); err != nil {
				t.Fatalf("Scan(%#v) error = %v", tt.src, err)
			}
			if got := a.String(); got != tt.want {
				t.Errorf("Scan(%#v) = %q, want %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestScanRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		src      any
		contains string
		is       error
	}{
		{"null", nil, "NullAmount", nil},
		{"float64", float64(1.5), "floats are not accepted", nil},
		{"float32", float32(1.5), "floats are not accepted", nil},
		{"bool", true, "bool", nil},
		{"garbage text", "abc", "must be a decimal number", money.ErrInvalid},
		{"NaN numeric", []byte("NaN"), "must be a decimal number", money.ErrInvalid},
		{"too precise", "0.0000000000000000001", "18 digits", money.ErrTooPrecise},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := money.MustParse("7")
			err := a.Scan(tt.src)
			if err == nil {
				t.Fatalf("Scan(%#v) = %v, want an error", tt.src, a)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("Scan(%#v) error = %q, want it to mention %q", tt.src, err, tt.contains)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Scan(%#v) error = %v, want errors.Is %v", tt.src, err, tt.is)
			}
			if a.String() != "7.00" {
				t.Errorf("Scan(%#v) changed the amount to %v despite failing", tt.src, a)
			}
		})
	}
}

func TestValueScanRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"0", "25000.5", "-500", "0.000000000000000001", "-0.123456789012345678",
		"99999999999999999999.999999999999999999", "-99999999999999999999.999999999999999999", "1e19",
	} {
		in := money.MustParse(s)
		v, err := in.Value()
		if err != nil {
			t.Fatalf("Value(%s) error = %v", s, err)
		}
		var out money.Amount
		if err := out.Scan(v); err != nil {
			t.Fatalf("Scan(%#v) error = %v", v, err)
		}
		if !out.Equal(in) || out.String() != in.String() {
			t.Errorf("round trip of %s = %s", in, out)
		}
		// PostgreSQL hands NUMERIC back as bytes padded to the column's scale.
		var padded money.Amount
		if err := padded.Scan([]byte(in.StringFixed(18))); err != nil || !padded.Equal(in) {
			t.Errorf("Scan(%q) = %v, %v; want %s", in.StringFixed(18), padded, err, in)
		}
	}
}

// The interfaces database/sql and encoding packages look for must be implemented
// on the receivers they will actually see.
var (
	_ driver.Valuer    = money.Amount{}
	_ sql.Scanner      = (*money.Amount)(nil)
	_ json.Marshaler   = money.Amount{}
	_ json.Unmarshaler = (*money.Amount)(nil)
	_ driver.Valuer    = money.NullAmount{}
	_ sql.Scanner      = (*money.NullAmount)(nil)
	_ json.Marshaler   = money.NullAmount{}
	_ json.Unmarshaler = (*money.NullAmount)(nil)
)

func TestNullAmountJSON(t *testing.T) {
	t.Parallel()
	type optional struct {
		Overdraft money.NullAmount `json:"overdraft"`
	}
	tests := []struct {
		in, out string
		want    money.NullAmount
	}{
		{`{"overdraft":null}`, `{"overdraft":null}`, money.NullAmount{}},
		{`{}`, `{"overdraft":null}`, money.NullAmount{}},
		{`{"overdraft":"500"}`, `{"overdraft":"500.00"}`, money.NullAmount{Amount: money.MustParse("500"), Valid: true}},
		{`{"overdraft":0}`, `{"overdraft":"0.00"}`, money.NullAmount{Valid: true}},
		{`{"overdraft":0.000000000000000001}`, `{"overdraft":"0.000000000000000001"}`, money.NullAmount{Amount: money.MustParse("1e-18"), Valid: true}},
	}
	for _, tt := range tests {
		var got optional
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Fatalf("Unmarshal(%s) error = %v", tt.in, err)
		}
		if got.Overdraft.Valid != tt.want.Valid || !got.Overdraft.Amount.Equal(tt.want.Amount) {
			t.Errorf("Unmarshal(%s) = %+v, want %+v", tt.in, got.Overdraft, tt.want)
		}
		out, err := json.Marshal(got)
		if err != nil || string(out) != tt.out {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", got, out, err, tt.out)
		}
	}

	// A value that was set must be cleared by an explicit null.
	got := optional{Overdraft: money.NullAmount{Amount: money.MustParse("1"), Valid: true}}
	if err := json.Unmarshal([]byte(`{"overdraft":null}`), &got); err != nil || got.Overdraft.Valid || !got.Overdraft.Amount.IsZero() {
		t.Errorf("null over a set value = %+v, %v; want absent", got.Overdraft, err)
	}

	for in, want := range map[string]error{
		`{"overdraft":"abc"}`: money.ErrInvalid,
		`{"overdraft":true}`:  money.ErrInvalid,
		`{"overdraft":1e20}`:  money.ErrTooLarge,
	} {
		var o optional
		if err := json.Unmarshal([]byte(in), &o); !isFieldReason(err, "overdraft", want) {
			t.Errorf("Unmarshal(%s) error = %v, want %v", in, err, want)
		}
	}
}

func TestNullAmountSQL(t *testing.T) {
	t.Parallel()
	var n money.NullAmount
	if v, err := n.Value(); v != nil || err != nil {
		t.Errorf("absent Value() = %#v, %v; want nil, nil", v, err)
	}

	n = money.NullAmount{Amount: money.MustParse("12.5"), Valid: true}
	v, err := n.Value()
	if err != nil || v != "12.50" {
		t.Errorf("Value() = %#v, %v; want \"12.50\"", v, err)
	}

	if err := n.Scan(nil); err != nil || n.Valid || !n.Amount.IsZero() {
		t.Errorf("Scan(nil) = %+v, %v; want absent", n, err)
	}
	for _, src := range []any{"12.50", []byte("12.500000000000000000"), int64(12)} {
		if err := n.Scan(src); err != nil || !n.Valid {
			t.Errorf("Scan(%#v) = %+v, %v; want valid", src, n, err)
		}
	}
	if err := n.Scan(float64(12.5)); err == nil || !strings.Contains(err.Error(), "floats are not accepted") {
		t.Errorf("Scan(float64) error = %v, want a refusal of floats", err)
	}
}

// isFieldReason reports whether err is the field-located type error UnmarshalJSON
// returns, naming field and carrying reason's text, so the API can name the field.
func isFieldReason(err error, field string, reason error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te) && te.Field == field && te.Value == reason.Error()
}
