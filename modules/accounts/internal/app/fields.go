package app

import (
	"fmt"
	"sort"
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

// AccountFieldsText are the writable fields of an account as text, the way create,
// update and upsert receive them from JSON and from forms; ParseAccountFields
// decodes them for every face alike. Metadata merges: a nil value deletes its key.
type AccountFieldsText struct {
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

// AccountFields are the writable fields of an account, typed, as the create,
// update and upsert use cases take them. Metadata merges: a nil value deletes its
// key.
type AccountFields struct {
	Name                   Patch[string]
	AccountType            Patch[domain.AccountType]
	Subtype                Patch[string]
	Currency               Patch[money.Currency]
	ExternalID             Patch[string]
	AccountNumber          Patch[string]
	BalanceAmount          Patch[money.Amount]
	AvailableBalanceAmount Patch[money.Amount]
	OverdraftLimit         Patch[money.Amount]
	InterestRate           Patch[money.Amount]
	Status                 Patch[domain.Status]
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
	LinkedAccountID        Patch[uuid.UUID]
}

// fieldOrder is the order field errors are reported in, whichever step found
// them, so every face lists them alike.
var fieldOrder = map[string]int{}

func init() {
	for i, name := range []string{"name", "account_type", "currency", "subtype", "external_id", "color", "icon", "notes",
		"account_number", "balance_amount", "available_balance_amount", "overdraft_limit", "interest_rate",
		"status", "is_archived", "is_hidden", "is_favourite", "show_in_dashboard", "sort_order", "custom_fields",
		"metadata", "linked_account_id", "opening_balance"} {
		fieldOrder[name] = i
	}
}

// ordered sorts field errors into fieldOrder, keeping the order within a field.
func ordered(errs apperr.Fields) apperr.Fields {
	sort.SliceStable(errs, func(i, j int) bool { return fieldOrder[errs[i].Field] < fieldOrder[errs[j].Field] })
	return errs
}

// ParseAccountFields decodes the text of an account's fields and checks them as
// the use cases will, returning every problem at once.
func ParseAccountFields(in AccountFieldsText) (AccountFields, apperr.Fields) {
	var errs apperr.Fields
	f := AccountFields{
		Name: in.Name, Subtype: in.Subtype, ExternalID: in.ExternalID, AccountNumber: in.AccountNumber,
		IsArchived: in.IsArchived, IsHidden: in.IsHidden, IsFavourite: in.IsFavourite, ShowInDashboard: in.ShowInDashboard,
		Color: in.Color, Icon: in.Icon, Notes: in.Notes, SortOrder: in.SortOrder, CustomFields: in.CustomFields,
		Metadata: in.Metadata,
	}
	f.AccountType = parsePatch(&errs, "account_type", in.AccountType, domain.ParseAccountType)
	f.Currency = parsePatch(&errs, "currency", in.Currency, money.ParseCurrency)
	f.Status = parsePatch(&errs, "status", in.Status, domain.ParseStatus)
	amount := func(name string, v Patch[string]) Patch[money.Amount] {
		return parsePatch(&errs, name, v, func(s string) (money.Amount, error) { return money.Parse(strings.TrimSpace(s)) })
	}
	f.BalanceAmount = amount("balance_amount", in.BalanceAmount)
	f.AvailableBalanceAmount = amount("available_balance_amount", in.AvailableBalanceAmount)
	f.OverdraftLimit = amount("overdraft_limit", in.OverdraftLimit)
	f.InterestRate = amount("interest_rate", in.InterestRate)
	f.LinkedAccountID = parsePatch(&errs, "linked_account_id", in.LinkedAccountID, func(s string) (uuid.UUID, error) {
		id, err := uuid.Parse(s)
		if err != nil {
			return uuid.Nil, fmt.Errorf("must be the id of one of your accounts")
		}
		return id, nil
	})
	errs = append(errs, f.check()...)
	return f, ordered(errs)
}

// parsePatch decodes a text patch: a null stays a null (check decides whether the
// field may be cleared), and text that does not parse is a field error.
func parsePatch[T any](errs *apperr.Fields, name string, v Patch[string], parse func(string) (T, error)) Patch[T] {
	if !v.Set {
		return Patch[T]{}
	}
	if v.Null {
		return Clear[T]()
	}
	t, err := parse(v.Value)
	if err != nil {
		errs.Add(name, "%s", err.Error())
		return Patch[T]{}
	}
	return Set(t)
}

// check validates every named field and returns all problems at once.
func (f *AccountFields) check() apperr.Fields {
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
	}
	if f.AccountType.Set && required("account_type", f.AccountType.Null) {
		if _, err := domain.ParseAccountType(string(f.AccountType.Value)); err != nil {
			errs.Add("account_type", "%s", err.Error())
		}
	}
	if f.Currency.Set && required("currency", f.Currency.Null) {
		if _, err := money.ParseCurrency(string(f.Currency.Value)); err != nil {
			errs.Add("currency", "%s", err.Error())
		}
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
	if f.BalanceAmount.Set {
		required("balance_amount", f.BalanceAmount.Null)
	}
	if f.OverdraftLimit.Set && !f.OverdraftLimit.Null && f.OverdraftLimit.Value.IsNegative() {
		errs.Add("overdraft_limit", "must not be negative")
	}
	if f.InterestRate.Set && !f.InterestRate.Null {
		if a := f.InterestRate.Value; a.IsNegative() || a.Cmp(money.FromInt(1000)) > 0 {
			errs.Add("interest_rate", "must be a percentage between 0 and 1000")
		}
	}
	if f.Status.Set && required("status", f.Status.Null) {
		if _, err := domain.ParseStatus(string(f.Status.Value)); err != nil {
			errs.Add("status", "%s", err.Error())
		}
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
	return ordered(errs)
}

// providerManaged lists the fields a provider keeps on a linked account that f
// would change: the name, type, currency, numbers and balances it reports. The
// display fields (color, icon, notes, sort order, the hidden, favourite, dashboard
// and archive flags) stay the owner's.
func (f *AccountFields) providerManaged(a *domain.Account) []string {
	var names []string
	if f.Name.Set && strings.TrimSpace(f.Name.Value) != a.Name {
		names = append(names, "name")
	}
	if f.AccountType.Set && f.AccountType.Value != a.Type {
		names = append(names, "account_type")
	}
	if f.Subtype.Set && f.Subtype.Value != a.Subtype {
		names = append(names, "subtype")
	}
	if f.Currency.Set && f.Currency.Value != a.Currency {
		names = append(names, "currency")
	}
	if f.AccountNumber.Set && strings.TrimSpace(f.AccountNumber.Value) != a.AccountNumber {
		names = append(names, "account_number")
	}
	if f.BalanceAmount.Set && !f.BalanceAmount.Value.Equal(a.Balance) {
		names = append(names, "balance_amount")
	}
	if f.AvailableBalanceAmount.Set && !sameNullAmount(nullOf(f.AvailableBalanceAmount), a.AvailableBalance) {
		names = append(names, "available_balance_amount")
	}
	if f.InterestRate.Set && !sameNullAmount(nullOf(f.InterestRate), a.InterestRate) {
		names = append(names, "interest_rate")
	}
	if f.OverdraftLimit.Set && !f.OverdraftLimit.Value.Equal(a.OverdraftLimit) {
		names = append(names, "overdraft_limit")
	}
	return names
}

// nullOf is an amount patch as the nullable amount it sets.
func nullOf(p Patch[money.Amount]) money.NullAmount {
	if p.Null {
		return money.NullAmount{}
	}
	return money.NullAmount{Amount: p.Value, Valid: true}
}

// apply writes the checked fields onto a, with the ledger entries they imply
// (a balance adjustment). The caller has checked f and, for linked accounts, that
// no provider-managed field changes.
func (s *Service) apply(a *domain.Account, f *AccountFields, now time.Time) error {
	var errs apperr.Fields
	if f.Name.Set {
		a.Name = strings.TrimSpace(f.Name.Value)
	}
	if f.AccountType.Set {
		a.Type = f.AccountType.Value
	}
	if f.Subtype.Set {
		a.Subtype = strings.TrimSpace(f.Subtype.Value)
	}
	if f.Currency.Set && f.Currency.Value != a.Currency {
		if a.TransactionCount > 0 || !a.Balance.IsZero() {
			errs.Add("currency", "cannot change once the account has transactions")
		} else {
			a.Currency = f.Currency.Value
		}
	}
	if f.ExternalID.Set {
		a.ExternalID = strings.TrimSpace(f.ExternalID.Value)
	}
	if f.AccountNumber.Set {
		a.AccountNumber = strings.TrimSpace(f.AccountNumber.Value)
	}
	if f.AvailableBalanceAmount.Set {
		a.AvailableBalance = nullOf(f.AvailableBalanceAmount)
	}
	if f.OverdraftLimit.Set {
		a.OverdraftLimit = f.OverdraftLimit.Value
	}
	if f.InterestRate.Set {
		a.InterestRate = nullOf(f.InterestRate)
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
		linked := uuid.NullUUID{UUID: f.LinkedAccountID.Value, Valid: !f.LinkedAccountID.Null}
		if linked.Valid && linked.UUID == a.ID {
			errs.Add("linked_account_id", "must not be the account itself")
		}
		a.LinkedAccountID = linked
	}
	if err := errs.Err(); err != nil {
		return err
	}
	a.UpdatedAt = now
	if f.BalanceAmount.Set {
		e := domain.Transaction{ID: s.NewID(), Status: domain.Posted, BookedAt: now, CreatedAt: now}
		if err := a.AdjustBalanceTo(f.BalanceAmount.Value, e, now); err != nil {
			return err
		}
	}
	if f.IsArchived.Set {
		a.SetArchived(f.IsArchived.Value, now)
	}
	if f.Status.Set {
		if err := a.SetStatus(f.Status.Value, now); err != nil {
			return err
		}
	}
	return nil
}
