package money

import (
	"bytes"
	"encoding/json"
)

// InCurrency is an amount together with the currency it is counted in, for the
// answers Kontor writes: its JSON and text forms are Plain(Amount, Currency), so
// an ISO currency gets exactly its minor units (JPY "10000", EUR "10000.00", BHD
// "1.500") and a crypto asset or unknown ticker its own digits ("0.00000001" BTC,
// ETH to the wei), never rounded: an amount finer than the minor unit keeps its
// digits. An answer's amount field should be an InCurrency (or NullInCurrency)
// rather than a bare Amount, whose JSON knows no currency and always writes two or
// more decimals.
type InCurrency struct {
	Amount   Amount
	Currency Currency
}

// In returns a in currency c, for writing.
func In(a Amount, c Currency) InCurrency { return InCurrency{Amount: a, Currency: c} }

// String returns Plain(m.Amount, m.Currency).
func (m InCurrency) String() string { return Plain(m.Amount, m.Currency) }

// MarshalJSON writes m as a JSON string holding m.String().
func (m InCurrency) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// MarshalText returns m.String().
func (m InCurrency) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalJSON reads an amount as Amount.UnmarshalJSON does; the currency is not
// part of the JSON and is left as it is. It lets a client or a test decode an
// answer into the same type.
func (m *InCurrency) UnmarshalJSON(data []byte) error { return m.Amount.UnmarshalJSON(data) }

// NullInCurrency is an InCurrency that may be absent: JSON null when Amount is
// not Valid.
type NullInCurrency struct {
	Amount   NullAmount
	Currency Currency
}

// NullIn returns n in currency c, for writing.
func NullIn(n NullAmount, c Currency) NullInCurrency {
	return NullInCurrency{Amount: n, Currency: c}
}

// MarshalJSON writes null when the amount is absent and In(amount, currency)'s
// JSON string otherwise.
func (m NullInCurrency) MarshalJSON() ([]byte, error) {
	if !m.Amount.Valid {
		return jsonNull, nil
	}
	return In(m.Amount.Amount, m.Currency).MarshalJSON()
}

// UnmarshalJSON reads null as absent and anything else as Amount.UnmarshalJSON
// does; the currency is left as it is.
func (m *NullInCurrency) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, jsonNull) {
		m.Amount = NullAmount{}
		return nil
	}
	return m.Amount.UnmarshalJSON(data)
}
