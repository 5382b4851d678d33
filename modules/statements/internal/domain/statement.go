package domain

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/money"
)

// Account is what a statement says about the account it covers.
type Account struct {
	ID       uuid.UUID
	OwnerID  uuid.UUID
	Number   string
	Name     string
	Type     string
	Currency money.Currency
}

// MaskedNumber is the account number as statements show it: "****" and its last
// four characters, or "" when the account has no number. The full number is only
// ever shown on the account's edit form.
func (a Account) MaskedNumber() string {
	if a.Number == "" {
		return ""
	}
	r := []rune(a.Number)
	if len(r) > 4 {
		r = r[len(r)-4:]
	}
	return "****" + string(r)
}

// Header is everything a statement shows before its first entry: the account, its
// holder, the period, the opening balance and when the statement was made.
type Header struct {
	Account     Account
	HolderName  string
	Period      Period
	Opening     money.Amount
	GeneratedAt time.Time
}

// Entry is one ledger row as a statement lists it. Amount is signed from the owner's
// side: a credit is positive, a debit negative.
type Entry struct {
	TransactionID uuid.UUID
	BookedAt      time.Time
	Description   string
	// Counterparty is the other side of the transaction, when the bank named it.
	Counterparty string
	Type         string
	Amount       money.Amount
}

// Line is an Entry with the balance right after it.
type Line struct {
	Entry
	BalanceAfter money.Amount
}

// Totals sums a statement up. They always satisfy
// Opening + Deposits - Withdrawals = Closing, exactly.
type Totals struct {
	Opening money.Amount
	Closing money.Amount
	// Deposits is the sum of the positive amounts.
	Deposits money.Amount
	// Withdrawals is the sum of the magnitudes of the negative amounts.
	Withdrawals money.Amount
	// Count is the number of entries, zero amounts included.
	Count int
}

// ErrOutOfPeriod means the ledger handed the builder an entry booked outside the
// statement's period; the statement would silently disagree with its own dates.
var ErrOutOfPeriod = errors.New("statement: entry booked outside the period")

// ErrOutOfOrder means the ledger handed the builder entries out of booking order, so
// the running balances would not be the ones the account went through.
var ErrOutOfOrder = errors.New("statement: entries out of booking order")

// Builder folds a stream of ledger entries into a statement one entry at a time. It
// keeps only the running figures, never the entries, so a renderer can write each
// Line as it comes and a statement of any length runs in constant memory.
type Builder struct {
	period Period
	totals Totals
	last   time.Time
}

// NewBuilder starts a statement for period whose balance before the first day was
// opening.
func NewBuilder(period Period, opening money.Amount) *Builder {
	return &Builder{period: period, totals: Totals{Opening: opening, Closing: opening}}
}

// Add books e and returns its Line. Entries must arrive in booking order and fall
// inside the period; anything else is an error and leaves the figures untouched.
func (b *Builder) Add(e Entry) (Line, error) {
	if !b.period.Contains(e.BookedAt) {
		return Line{}, fmt.Errorf("%w: %s booked at %s", ErrOutOfPeriod, e.TransactionID, e.BookedAt.UTC().Format(time.RFC3339))
	}
	if e.BookedAt.Before(b.last) {
		return Line{}, fmt.Errorf("%w: %s booked at %s", ErrOutOfOrder, e.TransactionID, e.BookedAt.UTC().Format(time.RFC3339))
	}
	b.last = e.BookedAt
	switch {
	case e.Amount.IsPositive():
		b.totals.Deposits = b.totals.Deposits.Add(e.Amount)
	case e.Amount.IsNegative():
		b.totals.Withdrawals = b.totals.Withdrawals.Add(e.Amount.Abs())
	}
	b.totals.Closing = b.totals.Closing.Add(e.Amount)
	b.totals.Count++
	return Line{Entry: e, BalanceAfter: b.totals.Closing}, nil
}

// Totals returns the figures of the entries added so far.
func (b *Builder) Totals() Totals { return b.totals }

// Check verifies the statement's invariants; it is cheap, so renderers run it before
// they write the totals, and a broken invariant becomes an error instead of a wrong
// document.
func (t Totals) Check() error {
	if !t.Opening.Add(t.Deposits).Sub(t.Withdrawals).Equal(t.Closing) {
		return fmt.Errorf("statement: opening %s + deposits %s - withdrawals %s != closing %s",
			t.Opening, t.Deposits, t.Withdrawals, t.Closing)
	}
	return nil
}
