package money

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// errFloat is returned by Scan for float columns: a float has already rounded the
// amount, so accepting it would hide the loss instead of reporting it.
var errFloat = errors.New("money: the database returned a float; floats are not accepted as amounts, store them as TEXT (SQLite) or NUMERIC (PostgreSQL)")

// errNull is returned by Amount.Scan for NULL, which has no amount to give; nullable
// columns scan into NullAmount.
var errNull = errors.New("money: cannot scan NULL into an Amount; use NullAmount for nullable columns")

var jsonNull = []byte("null")

// MarshalJSON writes a as a JSON string holding its canonical form, "25000.50",
// because JSON numbers are read as float64 by most clients and would lose digits.
func (a Amount) MarshalJSON() ([]byte, error) {
	return json.Marshal(a.String())
}

// UnmarshalJSON accepts a JSON string ("25000.50") or a JSON number (25000.50) and
// parses the literal bytes exactly, never through float64. It rejects null with
// ErrInvalid: a required amount cannot be absent, and optional ones are *Amount or
// NullAmount fields, for which the decoder handles null itself.
func (a *Amount) UnmarshalJSON(data []byte) error {
	s, err := jsonLiteral(data)
	if err != nil {
		return jsonError(err)
	}
	parsed, err := Parse(s)
	if err != nil {
		return jsonError(err)
	}
	*a = parsed
	return nil
}

// jsonError reports a bad amount as a *json.UnmarshalTypeError whose Value is the
// reason, because encoding/json adds the field's path only to that error type; the
// API can then say "amount must be a decimal number" instead of a bare reason.
func jsonError(reason error) error {
	return &json.UnmarshalTypeError{Value: reason.Error(), Type: reflect.TypeFor[Amount]()}
}

// jsonLiteral returns the text of a JSON string or the bytes of any other JSON value,
// which Parse then accepts only if they form a number.
func jsonLiteral(data []byte) (string, error) {
	if bytes.Equal(data, jsonNull) {
		return "", ErrInvalid
	}
	if len(data) > 0 && data[0] == '"' {
		// Decoding through encoding/json resolves escapes such as \u0031 the way
		// the client meant them.
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return "", ErrInvalid
		}
		return s, nil
	}
	return string(data), nil
}

// MarshalText returns the canonical form, so that amounts in query strings, form
// values and map keys look exactly like they do in JSON.
func (a Amount) MarshalText() ([]byte, error) {
	return []byte(a.String()), nil
}

// UnmarshalText parses text with Parse, for form values and query parameters.
func (a *Amount) UnmarshalText(text []byte) error {
	parsed, err := Parse(string(text))
	if err != nil {
		return err
	}
	*a = parsed
	return nil
}

// Value returns the canonical full-precision string, which SQLite stores as TEXT
// without touching it and PostgreSQL converts exactly into NUMERIC. Arithmetic can
// carry an amount past the range Parse accepts; such an amount is refused here with
// ErrTooLarge rather than left for the database to reject or store inconsistently.
func (a Amount) Value() (driver.Value, error) {
	if err := a.fits(); err != nil {
		return nil, err
	}
	return a.String(), nil
}

// Scan reads an amount from a database column: text or bytes holding a decimal
// (SQLite TEXT, PostgreSQL NUMERIC) or an integer. It accepts up to
// MaxTotalIntegerDigits integer digits, more than a stored amount may have, because
// the column may be an aggregate (a SUM of balances); such a total can be shown and
// compared but Value refuses to store it. It refuses NULL, because an Amount
// cannot be absent, and floats, because they have already lost precision.
func (a *Amount) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case int64:
		*a = FromInt(v)
		return nil
	case nil:
		return errNull
	case float64, float32:
		return errFloat
	default:
		return fmt.Errorf("money: cannot scan %T into an Amount", src)
	}
	// A column holds at most MaxIntegerDigits integer digits, but an aggregate such
	// as PostgreSQL's SUM over NUMERIC(38,18) does not: totals are read up to
	// MaxTotalIntegerDigits so that a report over many large balances still works.
	parsed, err := parse(s, MaxTotalIntegerDigits)
	if err != nil {
		return fmt.Errorf("money: cannot scan %q into an Amount: %w", s, err)
	}
	*a = parsed
	return nil
}

// NullAmount is an Amount that may be absent, for nullable columns and optional JSON
// fields. Its zero value is absent (Valid is false).
type NullAmount struct {
	// Amount is the amount; it is Zero whenever Valid is false.
	Amount Amount
	// Valid is true when Amount holds a value rather than NULL.
	Valid bool
}

// MarshalJSON writes null when n is absent and the amount's JSON string otherwise.
func (n NullAmount) MarshalJSON() ([]byte, error) {
	if !n.Valid {
		return jsonNull, nil
	}
	return n.Amount.MarshalJSON()
}

// UnmarshalJSON reads null as absent and anything else as Amount.UnmarshalJSON does.
func (n *NullAmount) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, jsonNull) {
		*n = NullAmount{}
		return nil
	}
	var a Amount
	if err := a.UnmarshalJSON(data); err != nil {
		return err
	}
	*n = NullAmount{Amount: a, Valid: true}
	return nil
}

// Value returns NULL when n is absent and the amount's canonical string otherwise.
func (n NullAmount) Value() (driver.Value, error) {
	if !n.Valid {
		return nil, nil
	}
	return n.Amount.Value()
}

// Scan reads NULL as absent and anything else as Amount.Scan does.
func (n *NullAmount) Scan(src any) error {
	if src == nil {
		*n = NullAmount{}
		return nil
	}
	var a Amount
	if err := a.Scan(src); err != nil {
		return err
	}
	*n = NullAmount{Amount: a, Valid: true}
	return nil
}
