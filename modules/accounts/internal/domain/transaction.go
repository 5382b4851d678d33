package domain

import (
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/money"
)

// Transaction is one ledger entry. Amount is signed from the owner's side: credits
// are positive, debits negative; the account's balance is the sum of its entries.
type Transaction struct {
	ID                    uuid.UUID
	AccountID             uuid.UUID
	UserID                uuid.UUID
	ExternalID            string
	ProviderTransactionID string
	Type                  TransactionType
	Amount                money.Amount
	Currency              money.Currency
	Description           string
	Counterparty          string
	Status                TransactionStatus
	BookedAt              time.Time
	TransferID            uuid.NullUUID
	CreatedAt             time.Time
}

// OpeningProviderID is the provider transaction id of a linked account's opening
// entry: the one entry that stands for the history the provider did not return. No
// provider id can take it, because provider ids are refused when they start with
// "kontor:".
const OpeningProviderID = "kontor:opening"

// Counts reports whether the entry moves its account's balance. Every entry does
// except a pending one that a provider reported: the provider's own balance leaves
// it out until it posts, and so does Kontor's.
func (t Transaction) Counts() bool {
	return !(t.Status == Pending && t.ProviderTransactionID != "")
}

// Effect returns how much the entry moves its account's balance: its amount, or
// zero when it does not count.
func (t Transaction) Effect() money.Amount {
	if t.Counts() {
		return t.Amount
	}
	return money.Zero
}

// Day returns the UTC calendar day the entry is booked on; daily balances are kept
// per such day.
func (t Transaction) Day() time.Time { return DayOf(t.BookedAt) }

// DayOf returns midnight UTC of the day t falls on.
func DayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// EntryChangeKind says what happened to a ledger entry.
type EntryChangeKind int

// The kinds of ledger change.
const (
	EntryAdded EntryChangeKind = iota + 1
	EntryRevised
	EntryRemoved
)

// EntryChange is one unsaved change to an account's ledger. Previous is the entry as
// it was before a revision or removal.
type EntryChange struct {
	Kind     EntryChangeKind
	Entry    Transaction
	Previous Transaction
}

// SignedAmount turns the magnitude a person enters into the signed ledger amount:
// credit types add, debit types subtract, and adjustment and other take the amount
// with the sign it was given. Credit and debit types need a positive magnitude,
// because the type already says which way the money goes.
func SignedAmount(t TransactionType, amount money.Amount) (money.Amount, error) {
	if amount.IsZero() {
		return money.Zero, errMustNotBeZero
	}
	switch t.Sign() {
	case 1:
		if amount.IsNegative() {
			return money.Zero, errMustBePositive
		}
		return amount, nil
	case -1:
		if amount.IsNegative() {
			return money.Zero, errMustBePositive
		}
		return amount.Neg(), nil
	}
	return amount, nil
}

type fieldMessage string

func (m fieldMessage) Error() string { return string(m) }

var (
	errMustNotBeZero  = fieldMessage("must not be zero")
	errMustBePositive = fieldMessage("must be a positive amount; the type sets the sign")
)

// OpeningEntry returns the entry that opens an account with amount: a deposit for a
// positive amount, an adjustment for a negative one (a card that already owes money).
func OpeningEntry(amount money.Amount) Transaction {
	t := Deposit
	if amount.IsNegative() {
		t = Adjustment
	}
	return Transaction{Type: t, Amount: amount, Description: OpeningBalanceDescription, Status: Posted}
}

// TransferRecord is a transfer between two accounts: its two legs share TransferID.
type TransferRecord struct {
	ID          uuid.UUID
	Source      Transaction
	Destination Transaction
}

// Transfer moves amount from source to destination as two legs, a transfer_out and a
// transfer_in with the same TransferID. Both legs are recorded or neither: any error
// leaves the caller to discard both accounts. The accounts must differ, be manual and
// open and share a currency, and the source must have the funds.
func Transfer(id, outID, inID uuid.UUID, source, destination *Account, amount money.Amount, description string, bookedAt, now time.Time) (TransferRecord, error) {
	if source.ID == destination.ID {
		return TransferRecord{}, apperr.Validation(apperr.FieldError{Field: "destination_account_id", Message: "must differ from source_account_id"})
	}
	if !amount.IsPositive() {
		return TransferRecord{}, apperr.Validation(apperr.FieldError{Field: "amount", Message: "must be a positive amount"})
	}
	if source.Currency != destination.Currency {
		return TransferRecord{}, apperr.New(CurrencyMismatch,
			"The source account is kept in %s and the destination in %s; a transfer needs one currency.", source.Currency, destination.Currency).
			WithDetails(map[string]any{"source_currency": string(source.Currency), "destination_currency": string(destination.Currency)})
	}
	if err := source.Currency.Allows(amount); err != nil {
		return TransferRecord{}, apperr.Validation(apperr.FieldError{Field: "amount", Message: err.Error()})
	}
	if description == "" {
		description = "Transfer to " + destination.Name
	}
	tid := uuid.NullUUID{UUID: id, Valid: true}
	out := Transaction{ID: outID, Type: TransferOut, Amount: amount.Neg(), Currency: source.Currency, Description: description,
		Counterparty: destination.Name, Status: Posted, BookedAt: bookedAt, TransferID: tid, CreatedAt: now}
	in := Transaction{ID: inID, Type: TransferIn, Amount: amount, Currency: destination.Currency, Description: description,
		Counterparty: source.Name, Status: Posted, BookedAt: bookedAt, TransferID: tid, CreatedAt: now}
	if err := source.Post(out, now); err != nil {
		return TransferRecord{}, err
	}
	if err := destination.Post(in, now); err != nil {
		return TransferRecord{}, err
	}
	out.AccountID, out.UserID = source.ID, source.UserID
	in.AccountID, in.UserID = destination.ID, destination.UserID
	return TransferRecord{ID: id, Source: out, Destination: in}, nil
}
