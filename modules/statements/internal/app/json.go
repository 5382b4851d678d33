package app

import (
	"bufio"
	"encoding/json"
	"io"
	"strconv"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/money"
)

// jsonRenderer writes API.md's statement object as the entries arrive. The totals are
// known only after the last entry, so they follow the transactions array; JSON
// objects are unordered, and this is what lets a statement of any length stream in
// constant memory without reading the ledger twice.
type jsonRenderer struct {
	w     *bufio.Writer
	first bool
	buf   []byte
	// currency is the account's, which every amount is written in (see
	// money.Plain): set by Begin.
	currency money.Currency
}

func newJSONRenderer(w io.Writer) *jsonRenderer {
	return &jsonRenderer{w: bufio.NewWriterSize(w, 64<<10), first: true}
}

// str appends s as a JSON string.
func (r *jsonRenderer) str(s string) {
	b, _ := json.Marshal(s) // marshalling a string cannot fail
	r.buf = append(r.buf, b...)
}

// amount appends a as a JSON string in the account's currency's minor units.
func (r *jsonRenderer) amount(a money.Amount) {
	r.str(money.Plain(a, r.currency))
}

// field appends "name": as the start of an object member.
func (r *jsonRenderer) field(name string) {
	r.buf = append(r.buf, '"')
	r.buf = append(r.buf, name...)
	r.buf = append(r.buf, '"', ':')
}

func (r *jsonRenderer) flush() error {
	_, err := r.w.Write(r.buf)
	r.buf = r.buf[:0]
	return err
}

func (r *jsonRenderer) Begin(h domain.Header) error {
	a := h.Account
	r.currency = money.Currency(a.Currency)
	r.buf = append(r.buf, '{')
	r.field("account_id")
	r.str(a.ID.String())
	r.buf = append(r.buf, ',')
	r.field("account_number")
	r.str(a.Number)
	r.buf = append(r.buf, ',')
	r.field("account_name")
	r.str(a.Name)
	r.buf = append(r.buf, ',')
	r.field("account_type")
	r.str(a.Type)
	r.buf = append(r.buf, ',')
	r.field("currency")
	r.str(string(a.Currency))
	r.buf = append(r.buf, ',')
	r.field("user_id")
	r.str(a.OwnerID.String())
	r.buf = append(r.buf, ',')
	r.field("statement_period")
	r.buf = append(r.buf, '{')
	r.field("start_date")
	r.str(h.Period.StartDate())
	r.buf = append(r.buf, ',')
	r.field("end_date")
	r.str(h.Period.EndDate())
	r.buf = append(r.buf, '}', ',')
	r.field("opening_balance")
	r.amount(h.Opening)
	r.buf = append(r.buf, ',')
	r.field("generated_at")
	r.str(timestamp(h.GeneratedAt))
	r.buf = append(r.buf, ',')
	r.field("transactions")
	r.buf = append(r.buf, '[')
	return r.flush()
}

func (r *jsonRenderer) Line(l domain.Line) error {
	if !r.first {
		r.buf = append(r.buf, ',')
	}
	r.first = false
	r.buf = append(r.buf, '{')
	r.field("transaction_id")
	r.str(l.TransactionID.String())
	r.buf = append(r.buf, ',')
	r.field("date")
	r.str(timestamp(l.BookedAt))
	r.buf = append(r.buf, ',')
	r.field("description")
	r.str(l.Description)
	r.buf = append(r.buf, ',')
	r.field("type")
	r.str(l.Type)
	r.buf = append(r.buf, ',')
	r.field("amount")
	r.amount(l.Amount)
	r.buf = append(r.buf, ',')
	r.field("balance_after")
	r.amount(l.BalanceAfter)
	r.buf = append(r.buf, '}')
	return r.flush()
}

func (r *jsonRenderer) End(t domain.Totals) error {
	r.buf = append(r.buf, ']', ',')
	r.field("closing_balance")
	r.amount(t.Closing)
	r.buf = append(r.buf, ',')
	r.field("total_deposits")
	r.amount(t.Deposits)
	r.buf = append(r.buf, ',')
	r.field("total_withdrawals")
	r.amount(t.Withdrawals)
	r.buf = append(r.buf, ',')
	r.field("transaction_count")
	r.buf = strconv.AppendInt(r.buf, int64(t.Count), 10)
	r.buf = append(r.buf, '}', '\n')
	if err := r.flush(); err != nil {
		return err
	}
	return r.w.Flush()
}
