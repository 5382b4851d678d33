package app

import (
	"encoding/csv"
	"github.com/kontor-app/kontor/platform/spreadsheet"
	"io"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/money"
)

// csvHeader names the CSV columns. Amounts are exact decimal strings with a "."
// and no grouping, as spreadsheets and accounting tools import them. The last two
// columns were added later, at the end, so that importers reading by position keep
// working; the account number is masked to its last four characters.
var csvHeader = []string{"date", "booked_at", "transaction_id", "description", "type", "amount", "currency", "balance_after", "counterparty", "account_number"}

// csvRenderer writes one RFC 4180 record per line (CRLF line ends, fields quoted when
// they need it) after a header row, flushing as it goes.
type csvRenderer struct {
	w        *csv.Writer
	currency string
	number   string
	record   []string
	n        int
}

func newCSVRenderer(w io.Writer) *csvRenderer {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &csvRenderer{w: cw, record: make([]string, len(csvHeader))}
}

func (r *csvRenderer) Begin(h domain.Header) error {
	r.currency = string(h.Account.Currency)
	r.number = h.Account.MaskedNumber()
	return r.w.Write(csvHeader)
}

func (r *csvRenderer) Line(l domain.Line) error {
	r.record[0] = l.BookedAt.UTC().Format(domain.DateLayout)
	r.record[1] = timestamp(l.BookedAt)
	r.record[2] = l.TransactionID.String()
	r.record[3] = spreadsheet.SafeCell(l.Description)
	r.record[4] = l.Type
	r.record[5] = money.Plain(l.Amount, money.Currency(r.currency))
	r.record[6] = r.currency
	r.record[7] = money.Plain(l.BalanceAfter, money.Currency(r.currency))
	r.record[8] = spreadsheet.SafeCell(l.Counterparty)
	r.record[9] = r.number
	if err := r.w.Write(r.record); err != nil {
		return err
	}
	// csv.Writer buffers 4 KiB; flushing every few hundred records keeps the stream
	// moving without a system call per line.
	if r.n++; r.n%256 == 0 {
		r.w.Flush()
		return r.w.Error()
	}
	return nil
}

func (r *csvRenderer) End(domain.Totals) error {
	r.w.Flush()
	return r.w.Error()
}
