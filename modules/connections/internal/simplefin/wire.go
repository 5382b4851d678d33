package simplefin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// The JSON the SimpleFIN server sends: one Account Set type that reads both versions.
// Version 1 has errors (strings) and an org per account; version 2 has errlist,
// connections and conn_id on each account. Unknown fields are ignored.

type wireSet struct {
	Errors      []string       `json:"errors"`
	Errlist     *[]wireError   `json:"errlist"`
	Connections []wireConn     `json:"connections"`
	Accounts    *[]wireAccount `json:"accounts"`
}

type wireError struct {
	Code      string `json:"code"`
	Msg       string `json:"msg"`
	Message   string `json:"message"` // the spec's quickstart example writes message
	ConnID    string `json:"conn_id"`
	AccountID string `json:"account_id"`
}

func (e wireError) text() string {
	if e.Msg != "" {
		return e.Msg
	}
	return e.Message
}

type wireConn struct {
	ConnID  string `json:"conn_id"`
	Name    string `json:"name"`
	OrgID   string `json:"org_id"`
	OrgName string `json:"org_name"`
	OrgURL  string `json:"org_url"`
	SFinURL string `json:"sfin_url"`
}

type wireOrg struct {
	Domain  string `json:"domain"`
	Name    string `json:"name"`
	SFinURL string `json:"sfin-url"`
	URL     string `json:"url"`
	ID      string `json:"id"`
}

type wireAccount struct {
	Org              *wireOrg          `json:"org"`
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	ConnID           string            `json:"conn_id"`
	ConnName         string            `json:"conn_name"`
	Currency         string            `json:"currency"`
	Balance          numText           `json:"balance"`
	AvailableBalance numText           `json:"available-balance"`
	BalanceDate      epoch             `json:"balance-date"`
	Transactions     []wireTransaction `json:"transactions"`
	Holdings         []json.RawMessage `json:"holdings"`
}

type wireTransaction struct {
	ID           string  `json:"id"`
	Posted       epoch   `json:"posted"`
	Amount       numText `json:"amount"`
	Description  string  `json:"description"`
	TransactedAt epoch   `json:"transacted_at"`
	Pending      bool    `json:"pending"`
	Payee        string  `json:"payee"`
	Memo         string  `json:"memo"`
}

// numText is a decimal the spec sends as a numeric string; a JSON number is accepted
// too. It keeps the text, which money.Parse reads exactly later (never a float).
type numText struct {
	s   string
	set bool
}

func (n *numText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*n = numText{}
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = numText{s: s, set: true}
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*n = numText{s: string(b), set: true}
	default:
		return fmt.Errorf("want a numeric string, got %s", abbreviate(string(b)))
	}
	return nil
}

// epoch is Unix time in whole seconds, as a JSON integer (or a numeric string, or a
// number with a zero fraction).
type epoch struct {
	sec int64
	set bool
}

func (e *epoch) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*e = epoch{}
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*e = epoch{sec: n, set: true}
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return fmt.Errorf("want Unix time in whole seconds, got %s", abbreviate(string(b)))
	}
	*e = epoch{sec: int64(f), set: true}
	return nil
}

// abbreviate shortens s to 40 characters for an error message.
func abbreviate(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
