package app

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/money"
)

// Patch is one field of a change: Set says the caller named the field, Null that it
// asked to clear it (JSON null in a merge patch), and Value holds the new value.
type Patch[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// Set returns a patch that sets v.
func Set[T any](v T) Patch[T] { return Patch[T]{Set: true, Value: v} }

// Clear returns a patch that clears the field.
func Clear[T any]() Patch[T] { return Patch[T]{Set: true, Null: true} }

// AccountFields are the writable fields of an account, as create, update and upsert
// receive them. Amounts, enums and ids arrive as text so that every face reports
// the same field errors. Metadata merges: a nil value deletes its key.
type AccountFields struct {
	Name                   Patch[string]
	AccountType            Patch[string]
	Subtype                Patch[string]
	Currency               Patch[string]
	ExternalID             Patch[string]
	AccountNumber          Patch[string]
	BalanceAmount          Patch[string]
	AvailableBalanceAmount Patch[string]
	OverdraftLimit         Patch[string]
	InterestRate           Patch[string]
	Status                 Patch[string]
	IsArchived             Patch[bool]
	IsHidden               Patch[bool]
	IsFavourite            Patch[bool]
	ShowInDashboard        Patch[bool]
	Color                  Patch[string]
	Icon                   Patch[string]
	Notes                  Patch[string]
	SortOrder              Patch[int]
	CustomFields           Patch[[]domain.CustomField]
	Metadata               Patch[map[string]*string]
	LinkedAccountID        Patch[string]
}

// parsedFields are AccountFields after validation.
type parsedFields struct {
	accountType    domain.AccountType
	currency       money.Currency
	balance        money.Amount
	available      money.NullAmount
	overdraft      money.Amount
	interest       money.NullAmount
	status         domain.Status
	linked         uuid.NullUUID
	normalizedName string
}

// check validates every named field and returns all problems at once.
func (f *AccountFields) check() (parsedFields, apperr.Fields) {
	var p parsedFields
	var errs apperr.Fields
	required := func(name string, null bool) bool {
		if null {
			errs.Add(name, "must not be null")
			return false
		}
		return true
	}
	if f.Name.Set && required("name", f.Name.Null) {
		if err := domain.CheckName(f.Name.Value); err != nil {
			errs.Add("name", "%s", err.Error())
		}
		p.normalizedName = strings.TrimSpace(f.Name.Value)
	}
	if f.AccountType.Set && required("account_type", f.AccountType.Null) {
		t, err := domain.ParseAccountType(f.AccountType.Value)
		if err != nil {
			errs.Add("account_type", "%s", err.Error())
		}
		p.accountType = t
	}
	if f.Currency.Set && required("currency", f.Currency.Null) {
		c, err := money.ParseCurrency(f.Currency.Value)
		if err != nil {
			errs.Add("currency", "%s", err.Error())
		}
		p.currency = c
	}
	text := func(name string, v Patch[string], max int) {
		if v.Set && !v.Null {
			if err := domain.CheckText(v.Value, max); err != nil {
				errs.Add(name, "%s", err.Error())
			}
		}
	}
	text("subtype", f.Subtype, domain.MaxSubtypeLength)
	text("external_id", f.ExternalID, domain.MaxExternalIDLength)
	text("color", f.Color, domain.MaxColorLength)
	text("icon", f.Icon, domain.MaxIconLength)
	text("notes", f.Notes, domain.MaxNotesLength)
	if f.ExternalID.Set && !f.ExternalID.Null && strings.TrimSpace(f.ExternalID.Value) == "" {
		errs.Add("external_id", "must not be empty; send null to remove it")
	}
	if f.AccountNumber.Set && required("account_number", f.AccountNumber.Null) {
		v := strings.TrimSpace(f.AccountNumber.Value)
		if v == "" {
			errs.Add("account_number", "must not be empty")
		} else if err := domain.CheckText(v, domain.MaxAccountNumberLength); err != nil {
			errs.Add("account_number", "%s", err.Error())
		}
	}
	if f.BalanceAmount.Set && required("balance_amount", f.BalanceAmount.Null) {
		p.balance, _ = parseAmount(&errs, "balance_amount", f.BalanceAmount.Value)
	}
	if f.AvailableBalanceAmount.Set && !f.AvailableBalanceAmount.Null {
		if a, ok := parseAmount(&errs, "available_balance_amount", f.AvailableBalanceAmount.Value); ok {
			p.available = money.NullAmount{Amount: a, Valid: true}
		}
	}
	if f.OverdraftLimit.Set {
		if !f.OverdraftLimit.Null {
			if a, ok := parseAmount(&errs, "overdraft_limit", f.OverdraftLimit.Value); ok {
				if a.IsNegative() {
					errs.Add("overdraft_limit", "must not be negative")
				}
				p.overdraft = a
			}
		}
	}
	if f.InterestRate.Set && !f.InterestRate.Null {
		if a, ok := parseAmount(&errs, "interest_rate", f.InterestRate.Value); ok {
			if a.IsNegative() || a.Cmp(money.FromInt(1000)) > 0 {
				errs.Add("interest_rate", "must be a percentage between 0 and 1000")
			}
			p.interest = money.NullAmount{Amount: a, Valid: true}
		}
	}
	if f.Status.Set && required("status", f.Status.Null) {
		st, err := domain.ParseStatus(f.Status.Value)
		if err != nil {
			errs.Add("status", "%s", err.Error())
		}
		p.status = st
	}
	for _, b := range []struct {
		name string
		v    Patch[bool]
	}{{"is_archived", f.IsArchived}, {"is_hidden", f.IsHidden}, {"is_favourite", f.IsFavourite}, {"show_in_dashboard", f.ShowInDashboard}} {
		if b.v.Set {
			required(b.name, b.v.Null)
		}
	}
	if f.SortOrder.Set && required("sort_order", f.SortOrder.Null) {
		if f.SortOrder.Value < -1_000_000 || f.SortOrder.Value > 1_000_000 {
			errs.Add("sort_order", "must be between -1000000 and 1000000")
		}
	}
	if f.CustomFields.Set && !f.CustomFields.Null {
		if err := domain.CheckCustomFields(f.CustomFields.Value); err != nil {
			errs.Add("custom_fields", "%s", err.Error())
		}
	}
	if f.Metadata.Set && !f.Metadata.Null {
		m := map[string]string{}
		for k, v := range f.Metadata.Value {
			if v != nil {
				m[k] = *v
			}
		}
		if err := domain.CheckMetadata(m); err != nil {
			errs.Add("metadata", "%s", err.Error())
		}
	}
	if f.LinkedAccountID.Set && !f.LinkedAccountID.Null {
		id, err := uuid.Parse(f.LinkedAccountID.Value)
		if err != nil {
			errs.Add("linked_account_id", "must be the id of one of your accounts")
		}
		p.linked = uuid.NullUUID{UUID: id, Valid: err == nil}
	}
	return p, errs
}

// providerManaged lists the fields a provider keeps on a linked account that f
// would change: the name, type, currency, numbers and balances it reports. The
// display fields (color, icon, notes, sort order, the hidden, favourite, dashboard
// and archive flags) stay the owner's.
func (f *AccountFields) providerManaged(a *domain.Account, p parsedFields) []string {
	var names []string
	if f.Name.Set && p.normalizedName != a.Name {
		names = append(names, "name")
	}
	if f.AccountType.Set && p.accountType != a.Type {
		names = append(names, "account_type")
	}
	if f.Subtype.Set && f.Subtype.Value != a.Subtype {
		names = append(names, "subtype")
	}
	if f.Currency.Set && p.currency != a.Currency {
		names = append(names, "currency")
	}
	if f.AccountNumber.Set && strings.TrimSpace(f.AccountNumber.Value) != a.AccountNumber {
		names = append(names, "account_number")
	}
	if f.BalanceAmount.Set && !p.balance.Equal(a.Balance) {
		names = append(names, "balance_amount")
	}
	if f.AvailableBalanceAmount.Set && (p.available.Valid != a.AvailableBalance.Valid || !p.available.Amount.Equal(a.AvailableBalance.Amount)) {
		names = append(names, "available_balance_amount")
	}
	if f.InterestRate.Set && (p.interest.Valid != a.InterestRate.Valid || !p.interest.Amount.Equal(a.InterestRate.Amount)) {
		names = append(names, "interest_rate")
	}
	if f.OverdraftLimit.Set && !p.overdraft.Equal(a.OverdraftLimit) {
		names = append(names, "overdraft_limit")
	}
	return names
}

// apply writes the checked fields onto a, with the ledger entries they imply
// (a balance adjustment). The caller has checked f and, for linked accounts, that
// no provider-managed field changes.
func (s *Service) apply(a *domain.Account, f *AccountFields, p parsedFields, now time.Time) error {
	var errs apperr.Fields
	if f.Name.Set {
		a.Name = p.normalizedName
	}
	if f.AccountType.Set {
		a.Type = p.accountType
	}
	if f.Subtype.Set {
		a.Subtype = strings.TrimSpace(f.Subtype.Value)
	}
	if f.Currency.Set && p.currency != a.Currency {
		if a.TransactionCount > 0 || !a.Balance.IsZero() {
			errs.Add("currency", "cannot change once the account has transactions")
		} else {
			a.Currency = p.currency
		}
	}
	if f.ExternalID.Set {
		a.ExternalID = strings.TrimSpace(f.ExternalID.Value)
	}
	if f.AccountNumber.Set {
		a.AccountNumber = strings.TrimSpace(f.AccountNumber.Value)
	}
	if f.AvailableBalanceAmount.Set {
		a.AvailableBalance = p.available
	}
	if f.OverdraftLimit.Set {
		a.OverdraftLimit = p.overdraft
	}
	if f.InterestRate.Set {
		a.InterestRate = p.interest
	}
	if f.IsHidden.Set {
		a.IsHidden = f.IsHidden.Value
	}
	if f.IsFavourite.Set {
		a.IsFavourite = f.IsFavourite.Value
	}
	if f.ShowInDashboard.Set {
		a.ShowInDashboard = f.ShowInDashboard.Value
	}
	if f.Color.Set {
		a.Color = strings.TrimSpace(f.Color.Value)
	}
	if f.Icon.Set {
		a.Icon = strings.TrimSpace(f.Icon.Value)
	}
	if f.Notes.Set {
		a.Notes = f.Notes.Value
	}
	if f.SortOrder.Set {
		a.SortOrder = f.SortOrder.Value
	}
	if f.CustomFields.Set {
		a.CustomFields = append([]domain.CustomField{}, f.CustomFields.Value...)
	}
	if f.Metadata.Set {
		if f.Metadata.Null {
			a.Metadata = map[string]string{}
		} else {
			merged := make(map[string]string, len(a.Metadata)+len(f.Metadata.Value))
			for k, v := range a.Metadata {
				merged[k] = v
			}
			for k, v := range f.Metadata.Value {
				if v == nil {
					delete(merged, k)
				} else {
					merged[k] = *v
				}
			}
			if err := domain.CheckMetadata(merged); err != nil {
				errs.Add("metadata", "%s", err.Error())
			}
			a.Metadata = merged
		}
	}
	if f.LinkedAccountID.Set {
		if p.linked.Valid && p.linked.UUID == a.ID {
			errs.Add("linked_account_id", "must not be the account itself")
		}
		a.LinkedAccountID = p.linked
	}
	if err := errs.Err(); err != nil {
		return err
	}
	a.UpdatedAt = now
	if f.BalanceAmount.Set {
		e := domain.Transaction{ID: s.NewID(), Status: domain.Posted, BookedAt: now, CreatedAt: now}
		if err := a.AdjustBalanceTo(p.balance, e, now); err != nil {
			return err
		}
	}
	if f.IsArchived.Set {
		a.SetArchived(f.IsArchived.Value, now)
	}
	if f.Status.Set {
		if err := a.SetStatus(p.status, now); err != nil {
			return err
		}
	}
	return nil
}
