package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"time"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/money"
)

// accountJSON is the account object of the contract.
type accountJSON struct {
	ID                       string               `json:"id"`
	ConnectionID             *string              `json:"connection_id"`
	Provider                 *string              `json:"provider"`
	ProviderAccountID        *string              `json:"provider_account_id"`
	ExternalID               *string              `json:"external_id"`
	AccountNumber            string               `json:"account_number"`
	AccountNumberMasked      string               `json:"account_number_masked"`
	Name                     string               `json:"name"`
	AccountType              string               `json:"account_type"`
	Subtype                  *string              `json:"subtype"`
	Currency                 string               `json:"currency"`
	BalanceAmount            money.InCurrency     `json:"balance_amount"`
	BalanceCurrency          string               `json:"balance_currency"`
	AvailableBalanceAmount   money.NullInCurrency `json:"available_balance_amount"`
	AvailableBalanceCurrency *string              `json:"available_balance_currency"`
	OverdraftLimit           money.InCurrency     `json:"overdraft_limit"`
	// InterestRate is a percentage, not money: it keeps the canonical decimal form.
	InterestRate          money.NullAmount     `json:"interest_rate"`
	Status                string               `json:"status"`
	IsActive              bool                 `json:"is_active"`
	IsArchived            bool                 `json:"is_archived"`
	IsHidden              bool                 `json:"is_hidden"`
	IsFavourite           bool                 `json:"is_favourite"`
	ShowInDashboard       bool                 `json:"show_in_dashboard"`
	IsInvestment          bool                 `json:"is_investment"`
	IsBank                bool                 `json:"is_bank"`
	IsRetirement          bool                 `json:"is_retirement"`
	IsCredit              bool                 `json:"is_credit"`
	IsLiability           bool                 `json:"is_liability"`
	Color                 *string              `json:"color"`
	Icon                  *string              `json:"icon"`
	Notes                 *string              `json:"notes"`
	SortOrder             int                  `json:"sort_order"`
	CustomFields          []customFieldJSON    `json:"custom_fields"`
	Metadata              map[string]string    `json:"metadata"`
	LinkedAccountID       *string              `json:"linked_account_id"`
	ProviderBalanceAmount money.NullInCurrency `json:"provider_balance_amount"`
	BalanceDrift          money.NullInCurrency `json:"balance_drift"`
	LastSyncedAt          *string              `json:"last_synced_at"`
	CreatedAt             string               `json:"created_at"`
	UpdatedAt             string               `json:"updated_at"`
	ClosedAt              *string              `json:"closed_at"`
	ArchivedAt            *string              `json:"archived_at"`
	Version               int64                `json:"version"`
}

type customFieldJSON struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

func accountOf(a domain.Account) accountJSON {
	out := accountJSON{
		ID: a.ID.String(), Provider: optString(a.Provider), ProviderAccountID: optString(a.ProviderAccountID),
		ExternalID: optString(a.ExternalID), AccountNumber: a.AccountNumber, AccountNumberMasked: a.AccountNumberMasked(),
		Name: a.Name, AccountType: string(a.Type), Subtype: optString(a.Subtype), Currency: string(a.Currency),
		BalanceAmount: money.In(a.Balance, a.Currency), BalanceCurrency: string(a.Currency),
		AvailableBalanceAmount: money.NullIn(a.AvailableBalance, a.Currency), OverdraftLimit: money.In(a.OverdraftLimit, a.Currency), InterestRate: a.InterestRate, Status: string(a.Status),
		IsActive: a.IsActive(), IsArchived: a.IsArchived(), IsHidden: a.IsHidden, IsFavourite: a.IsFavourite,
		ShowInDashboard: a.ShowInDashboard, IsInvestment: a.Type.IsInvestment(), IsBank: a.Type.IsBank(),
		IsRetirement: a.Type.IsRetirement(), IsCredit: a.Type.IsCredit(), IsLiability: a.Type.IsLiability(),
		Color: optString(a.Color), Icon: optString(a.Icon), Notes: optString(a.Notes), SortOrder: a.SortOrder,
		CustomFields: make([]customFieldJSON, 0, len(a.CustomFields)), Metadata: a.Metadata,
		ProviderBalanceAmount: money.NullIn(a.ProviderBalance, a.Currency), BalanceDrift: money.NullIn(a.Drift(), a.Currency),
		LastSyncedAt: optTimestamp(a.LastSyncedAt), CreatedAt: timestamp(a.CreatedAt), UpdatedAt: timestamp(a.UpdatedAt),
		ClosedAt: optTimestamp(a.ClosedAt), ArchivedAt: optTimestamp(a.ArchivedAt), Version: a.Version,
	}
	if a.ConnectionID.Valid {
		s := a.ConnectionID.UUID.String()
		out.ConnectionID = &s
	}
	if a.LinkedAccountID.Valid {
		s := a.LinkedAccountID.UUID.String()
		out.LinkedAccountID = &s
	}
	if a.AvailableBalance.Valid {
		out.AvailableBalanceCurrency = &out.Currency
	}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	for _, f := range a.CustomFields {
		out.CustomFields = append(out.CustomFields, customFieldJSON(f))
	}
	return out
}

// transactionJSON is the transaction object of the contract.
type transactionJSON struct {
	ID                    string           `json:"id"`
	AccountID             string           `json:"account_id"`
	ExternalID            *string          `json:"external_id"`
	ProviderTransactionID *string          `json:"provider_transaction_id"`
	Type                  string           `json:"type"`
	Amount                money.InCurrency `json:"amount"`
	Currency              string           `json:"currency"`
	Description           string           `json:"description"`
	Counterparty          *string          `json:"counterparty"`
	Status                string           `json:"status"`
	BookedAt              string           `json:"booked_at"`
	TransferID            *string          `json:"transfer_id"`
	CreatedAt             string           `json:"created_at"`
}

func transactionOf(t domain.Transaction) transactionJSON {
	out := transactionJSON{
		ID: t.ID.String(), AccountID: t.AccountID.String(), ExternalID: optString(t.ExternalID),
		ProviderTransactionID: optString(t.ProviderTransactionID), Type: string(t.Type), Amount: money.In(t.Amount, t.Currency),
		Currency: string(t.Currency), Description: t.Description, Counterparty: optString(t.Counterparty),
		Status: string(t.Status), BookedAt: timestamp(t.BookedAt), CreatedAt: timestamp(t.CreatedAt),
	}
	if t.TransferID.Valid {
		s := t.TransferID.UUID.String()
		out.TransferID = &s
	}
	return out
}

func transactionsOf(ts []domain.Transaction) []transactionJSON {
	out := make([]transactionJSON, len(ts))
	for i, t := range ts {
		out[i] = transactionOf(t)
	}
	return out
}

type pointJSON struct {
	Date    string           `json:"date"`
	Balance money.InCurrency `json:"balance"`
}

type seriesJSON struct {
	Currency string      `json:"currency"`
	Points   []pointJSON `json:"points"`
}

func seriesOf(s app.Series) seriesJSON {
	out := seriesJSON{Currency: string(s.Currency), Points: make([]pointJSON, len(s.Points))}
	for i, p := range s.Points {
		out.Points[i] = pointJSON{Date: p.Date.Format(time.DateOnly), Balance: money.In(p.Balance, s.Currency)}
	}
	return out
}

// timestamp formats t as RFC 3339 in UTC, with fractions of a second when it has them.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func optTimestamp(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := timestamp(*t)
	return &s
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func cursorOf(s string) *string { return optString(s) }

// decimal is a money field of a request: it keeps the literal of a JSON string or
// number as text, never going through float64, for the use case to parse exactly.
type decimal string

var amountType = reflect.TypeFor[money.Amount]()

// UnmarshalJSON accepts a JSON string or number.
func (d *decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = decimal(s)
		return nil
	}
	if len(b) > 0 && (b[0] == '-' || ('0' <= b[0] && b[0] <= '9')) {
		*d = decimal(b)
		return nil
	}
	return &json.UnmarshalTypeError{Value: "must be a decimal number, as a string or a JSON number", Type: amountType}
}
