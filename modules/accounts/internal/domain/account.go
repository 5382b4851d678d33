package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/money"
)

// Limits on what a person may enter, so one account cannot fill the database.
const (
	MaxNameLength          = 100
	MaxSubtypeLength       = 50
	MaxExternalIDLength    = 255
	MaxAccountNumberLength = 64
	MaxColorLength         = 32
	MaxIconLength          = 64
	MaxNotesLength         = 2000
	MaxCustomFields        = 20
	MaxCustomLabelLength   = 50
	MaxCustomValueLength   = 500
	MaxMetadataEntries     = 50
	MaxMetadataKeyLength   = 40
	MaxMetadataValueLength = 500
	MaxDescriptionLength   = 500
	MaxCounterpartyLength  = 200
)

// Descriptions of the entries the module writes by itself.
const (
	OpeningBalanceDescription    = "Opening balance"
	BalanceAdjustmentDescription = "Balance adjustment"
	ReconciliationDescription    = "Balance reconciliation"
)

// CustomField is one labelled value a person attached to an account.
type CustomField struct {
	Label string
	Value string
}

// Account is a container of money: a bank account, a card, a wallet, a loan. Its
// Balance changes only through ledger entries (Transactions), so Balance always
// equals the sum of the account's entries. A manual account is kept by its owner; a
// provider-linked one (ConnectionID set) is kept by a provider through sync, and its
// provider-managed fields are read-only to people.
type Account struct {
	ID                uuid.UUID
	UserID            uuid.UUID
	ConnectionID      uuid.NullUUID
	Provider          string
	ProviderAccountID string
	ExternalID        string
	AccountNumber     string
	Name              string
	Type              AccountType
	Subtype           string
	Currency          money.Currency
	Balance           money.Amount
	AvailableBalance  money.NullAmount
	OverdraftLimit    money.Amount
	// InterestRate is a yearly percentage (2.5 means 2.5 %), kept exact.
	InterestRate    money.NullAmount
	Status          Status
	IsHidden        bool
	IsFavourite     bool
	ShowInDashboard bool
	Color           string
	Icon            string
	Notes           string
	SortOrder       int
	CustomFields    []CustomField
	Metadata        map[string]string
	LinkedAccountID uuid.NullUUID
	// ProviderBalance is the balance the provider last reported for a linked
	// account; manual accounts have none.
	ProviderBalance  money.NullAmount
	TransactionCount int64
	LastSyncedAt     *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
	ClosedAt         *time.Time
	ArchivedAt       *time.Time
	// Version counts saved changes; it is the account's ETag.
	Version int64

	changes []EntryChange
}

// IsManual reports whether the owner keeps the account by hand.
func (a *Account) IsManual() bool { return !a.ConnectionID.Valid }

// IsActive reports whether the account's status is active.
func (a *Account) IsActive() bool { return a.Status == StatusActive }

// IsArchived reports whether the account was archived.
func (a *Account) IsArchived() bool { return a.ArchivedAt != nil }

// IsClosed reports whether the account was closed; closing is final.
func (a *Account) IsClosed() bool { return a.Status == StatusClosed }

// Drift returns how far the provider's last reported balance is from the ledger
// (provider balance minus balance), or no value when they agree, when the provider
// has reported none, or for a manual account.
func (a *Account) Drift() money.NullAmount {
	if a.IsManual() || !a.ProviderBalance.Valid {
		return money.NullAmount{}
	}
	d := a.ProviderBalance.Amount.Sub(a.Balance)
	if d.IsZero() {
		return money.NullAmount{}
	}
	return money.NullAmount{Amount: d, Valid: true}
}

// Reconcile records the drift of a linked account as one adjustment entry (e
// supplies its id and times), so that the ledger agrees with the provider, and
// returns the entry. Without drift there is nothing to record.
func (a *Account) Reconcile(e Transaction, now time.Time) (Transaction, error) {
	drift := a.Drift()
	if !drift.Valid {
		return Transaction{}, apperr.New(NothingToReconcile, "The account agrees with what its provider last reported; there is nothing to reconcile.").
			WithDetails(map[string]any{"account_id": a.ID.String()})
	}
	e.Type, e.Amount, e.Currency, e.Status = Adjustment, drift.Amount, a.Currency, Posted
	if e.Description == "" {
		e.Description = ReconciliationDescription
	}
	if err := a.post(e, now, false); err != nil {
		return Transaction{}, err
	}
	e.AccountID, e.UserID = a.ID, a.UserID
	return e, nil
}

// AccountNumberMasked shows only the last four characters of the account number.
func (a *Account) AccountNumberMasked() string {
	return MaskAccountNumber(a.AccountNumber)
}

// MaskAccountNumber returns "****" and the last four characters of number, or ""
// for no number.
func MaskAccountNumber(number string) string {
	if number == "" {
		return ""
	}
	r := []rune(number)
	if len(r) > 4 {
		r = r[len(r)-4:]
	}
	return "****" + string(r)
}

// Changes returns the ledger changes made since the account was loaded, for the
// repository to save in the same database transaction as the account.
func (a *Account) Changes() []EntryChange { return a.changes }

// ClearChanges forgets the pending ledger changes once they are saved.
func (a *Account) ClearChanges() { a.changes = nil }

// SetStatus moves the account between active and inactive. Closing goes through
// Close, and a closed account can never be reopened.
func (a *Account) SetStatus(s Status, now time.Time) error {
	if a.IsClosed() {
		if s == StatusClosed {
			return nil
		}
		return apperr.New(AccountClosed, "The account is closed; a closed account cannot be reopened.")
	}
	switch s {
	case StatusActive, StatusInactive:
		if a.Status != s {
			a.Status = s
			a.UpdatedAt = now
		}
		return nil
	case StatusClosed:
		return a.Close(now)
	}
	return apperr.Validation(apperr.FieldError{Field: "status", Message: "must be active or inactive"})
}

// Close closes the account. Only an empty account may be closed, so no money
// disappears from the owner's net worth; closing a closed account changes nothing.
func (a *Account) Close(now time.Time) error {
	if a.IsClosed() {
		return nil
	}
	if !a.Balance.IsZero() {
		return apperr.New(AccountNotEmpty,
			"The account still holds %s %s; bring its balance to zero before closing it.", money.Format(a.Balance, a.Currency), a.Currency).
			WithDetails(map[string]any{"account_id": a.ID.String(), "current_balance": money.Plain(a.Balance, a.Currency)})
	}
	a.Status = StatusClosed
	t := now
	a.ClosedAt = &t
	a.UpdatedAt = now
	return nil
}

// SetArchived archives or restores the account. Archived accounts keep their
// history and leave the default lists.
func (a *Account) SetArchived(archived bool, now time.Time) {
	switch {
	case archived && a.ArchivedAt == nil:
		t := now
		a.ArchivedAt = &t
		a.UpdatedAt = now
	case !archived && a.ArchivedAt != nil:
		a.ArchivedAt = nil
		a.UpdatedAt = now
	}
}

// Post records an entry that a person made: the account must be manual and open, the
// entry in the account's currency, and on a bank account a debit may not take the
// balance below minus the overdraft limit. Adjustments are corrections and are not
// held to the overdraft rule.
func (a *Account) Post(e Transaction, now time.Time) error {
	if !a.IsManual() {
		return apperr.New(ProviderManaged, "This account is kept by %s; its transactions come from the provider.", a.providerName())
	}
	return a.post(e, now, true)
}

// PostFromProvider records an entry that the account's provider reported. The
// provider's books are the truth, so no overdraft rule applies.
func (a *Account) PostFromProvider(e Transaction, now time.Time) error {
	return a.post(e, now, false)
}

func (a *Account) post(e Transaction, now time.Time, checkFunds bool) error {
	if a.IsClosed() {
		return apperr.New(AccountClosed, "The account is closed and takes no new transactions.")
	}
	if e.Currency != a.Currency {
		return apperr.New(CurrencyMismatch, "The account is kept in %s, not %s.", a.Currency, e.Currency).
			WithDetails(map[string]any{"account_id": a.ID.String(), "account_currency": string(a.Currency), "currency": string(e.Currency)})
	}
	if e.Amount.IsZero() {
		return apperr.Validation(apperr.FieldError{Field: "amount", Message: "must not be zero"})
	}
	// A person's own entry is no finer than the currency's minor unit (1.005 EUR
	// is refused); a provider's books are taken as they come.
	if checkFunds {
		if err := a.Currency.Allows(e.Amount); err != nil {
			return apperr.Validation(apperr.FieldError{Field: "amount", Message: err.Error()})
		}
	}
	next := a.Balance.Add(e.Effect())
	if checkFunds && e.Amount.IsNegative() && e.Type != Adjustment && a.Type.IsBank() {
		if next.Cmp(a.OverdraftLimit.Neg()) < 0 {
			available := a.Balance.Add(a.OverdraftLimit)
			return apperr.New(InsufficientFunds,
				"The account has %s %s available (balance plus overdraft limit); %s %s is more than that.",
				money.Format(available, a.Currency), a.Currency, money.Format(e.Amount.Abs(), a.Currency), a.Currency).
				WithDetails(map[string]any{
					"account_id":      a.ID.String(),
					"current_balance": money.Plain(a.Balance, a.Currency),
					"overdraft_limit": money.Plain(a.OverdraftLimit, a.Currency),
					"available":       money.Plain(available, a.Currency),
					"requested":       money.Plain(e.Amount.Abs(), a.Currency),
				})
		}
	}
	e.AccountID = a.ID
	e.UserID = a.UserID
	a.Balance = next
	a.TransactionCount++
	a.UpdatedAt = now
	a.changes = append(a.changes, EntryChange{Kind: EntryAdded, Entry: e})
	return nil
}

// Revise replaces an entry the provider changed (a pending one that posted, an
// amount that settled differently), moving the balance by the difference.
func (a *Account) Revise(previous, next Transaction, now time.Time) error {
	if a.IsClosed() {
		return apperr.New(AccountClosed, "The account is closed and its transactions cannot change.")
	}
	next.ID, next.AccountID, next.UserID, next.CreatedAt = previous.ID, a.ID, a.UserID, previous.CreatedAt
	a.Balance = a.Balance.Sub(previous.Effect()).Add(next.Effect())
	a.UpdatedAt = now
	a.changes = append(a.changes, EntryChange{Kind: EntryRevised, Entry: next, Previous: previous})
	return nil
}

// Remove deletes an entry the provider withdrew (a pending transaction that never
// posted), taking its amount back out of the balance.
func (a *Account) Remove(previous Transaction, now time.Time) error {
	if a.IsClosed() {
		return apperr.New(AccountClosed, "The account is closed and its transactions cannot change.")
	}
	a.Balance = a.Balance.Sub(previous.Effect())
	a.TransactionCount--
	a.UpdatedAt = now
	a.changes = append(a.changes, EntryChange{Kind: EntryRemoved, Entry: previous, Previous: previous})
	return nil
}

// AdjustBalanceTo records an adjustment entry for the difference between the balance
// and target, so that the balance becomes target while still equalling its ledger.
// It records nothing when they are equal.
func (a *Account) AdjustBalanceTo(target money.Amount, e Transaction, now time.Time) error {
	diff := target.Sub(a.Balance)
	if diff.IsZero() {
		return nil
	}
	e.Type = Adjustment
	e.Amount = diff
	e.Currency = a.Currency
	if e.Description == "" {
		e.Description = BalanceAdjustmentDescription
	}
	return a.post(e, now, false)
}

func (a *Account) providerName() string {
	if a.Provider != "" {
		return a.Provider
	}
	return "a provider"
}

// CheckName reports what is wrong with an account name, if anything.
func CheckName(name string) error {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return fmt.Errorf("must not be empty")
	case utf8.RuneCountInString(name) > MaxNameLength:
		return fmt.Errorf("must be at most %d characters", MaxNameLength)
	case hasControl(name):
		return fmt.Errorf("must not contain control characters")
	}
	return nil
}

// CheckText reports whether s fits max characters and holds no control characters
// other than line breaks (which notes may contain).
func CheckText(s string, max int) error {
	if utf8.RuneCountInString(s) > max {
		return fmt.Errorf("must be at most %d characters", max)
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f {
			return fmt.Errorf("must not contain control characters")
		}
	}
	return nil
}

// CheckCustomFields reports what is wrong with a list of custom fields.
func CheckCustomFields(fields []CustomField) error {
	if len(fields) > MaxCustomFields {
		return fmt.Errorf("must have at most %d entries", MaxCustomFields)
	}
	for i, f := range fields {
		if strings.TrimSpace(f.Label) == "" {
			return fmt.Errorf("entry %d: label must not be empty", i)
		}
		if err := CheckText(f.Label, MaxCustomLabelLength); err != nil {
			return fmt.Errorf("entry %d: label %w", i, err)
		}
		if err := CheckText(f.Value, MaxCustomValueLength); err != nil {
			return fmt.Errorf("entry %d: value %w", i, err)
		}
	}
	return nil
}

// CheckMetadata reports what is wrong with a metadata map.
func CheckMetadata(m map[string]string) error {
	if len(m) > MaxMetadataEntries {
		return fmt.Errorf("must have at most %d entries", MaxMetadataEntries)
	}
	for k, v := range m {
		if k == "" || utf8.RuneCountInString(k) > MaxMetadataKeyLength || hasControl(k) {
			return fmt.Errorf("keys must be 1 to %d characters without control characters", MaxMetadataKeyLength)
		}
		if err := CheckText(v, MaxMetadataValueLength); err != nil {
			return fmt.Errorf("value of %q %w", k, err)
		}
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
