package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/money"
)

// accountRow is one row of accounts.
type accountRow struct {
	bun.BaseModel `bun:"table:accounts"`

	ID                     uuid.UUID        `bun:"id,pk"`
	UserID                 uuid.UUID        `bun:"user_id,notnull"`
	ConnectionID           uuid.NullUUID    `bun:"connection_id"`
	Provider               string           `bun:"provider,nullzero"`
	ProviderAccountID      string           `bun:"provider_account_id,nullzero"`
	ExternalID             string           `bun:"external_id,nullzero"`
	AccountNumber          string           `bun:"account_number,notnull"`
	Name                   string           `bun:"name,notnull"`
	NameKey                string           `bun:"name_key,notnull"`
	AccountType            string           `bun:"account_type,notnull"`
	Subtype                string           `bun:"subtype,nullzero"`
	Currency               string           `bun:"currency,notnull"`
	BalanceAmount          money.Amount     `bun:"balance_amount,notnull"`
	BalanceKey             string           `bun:"balance_key,notnull"`
	AvailableBalanceAmount money.NullAmount `bun:"available_balance_amount"`
	OverdraftLimit         money.Amount     `bun:"overdraft_limit,notnull"`
	InterestRate           money.NullAmount `bun:"interest_rate"`
	Status                 string           `bun:"status,notnull"`
	IsHidden               bool             `bun:"is_hidden,notnull"`
	IsFavourite            bool             `bun:"is_favourite,notnull"`
	ShowInDashboard        bool             `bun:"show_in_dashboard,notnull"`
	Color                  string           `bun:"color,nullzero"`
	Icon                   string           `bun:"icon,nullzero"`
	Notes                  string           `bun:"notes,nullzero"`
	SortOrder              int              `bun:"sort_order,notnull"`
	CustomFields           string           `bun:"custom_fields,notnull"`
	Metadata               string           `bun:"metadata,notnull"`
	LinkedAccountID        uuid.NullUUID    `bun:"linked_account_id"`
	ProviderBalanceAmount  money.NullAmount `bun:"provider_balance_amount"`
	BalanceDrift           money.NullAmount `bun:"balance_drift"`
	TransactionCount       int64            `bun:"transaction_count,notnull"`
	LastSyncedAt           *time.Time       `bun:"last_synced_at"`
	CreatedAt              time.Time        `bun:"created_at,notnull"`
	UpdatedAt              time.Time        `bun:"updated_at,notnull"`
	ClosedAt               *time.Time       `bun:"closed_at"`
	ArchivedAt             *time.Time       `bun:"archived_at"`
	Version                int64            `bun:"version,notnull"`
}

type customFieldJSON struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

func toAccountRow(a *domain.Account) accountRow {
	cf := make([]customFieldJSON, 0, len(a.CustomFields))
	for _, f := range a.CustomFields {
		cf = append(cf, customFieldJSON(f))
	}
	cfJSON, _ := json.Marshal(cf)
	md := a.Metadata
	if md == nil {
		md = map[string]string{}
	}
	mdJSON, _ := json.Marshal(md)
	return accountRow{
		ID: a.ID, UserID: a.UserID, ConnectionID: a.ConnectionID, Provider: a.Provider,
		ProviderAccountID: a.ProviderAccountID, ExternalID: a.ExternalID, AccountNumber: a.AccountNumber,
		Name: a.Name, NameKey: nameKey(a.Name), AccountType: string(a.Type), Subtype: a.Subtype,
		Currency: string(a.Currency), BalanceAmount: a.Balance, BalanceKey: a.Balance.SortKey(),
		AvailableBalanceAmount: a.AvailableBalance, OverdraftLimit: a.OverdraftLimit, InterestRate: a.InterestRate,
		Status: string(a.Status), IsHidden: a.IsHidden, IsFavourite: a.IsFavourite, ShowInDashboard: a.ShowInDashboard,
		Color: a.Color, Icon: a.Icon, Notes: a.Notes, SortOrder: a.SortOrder,
		CustomFields: string(cfJSON), Metadata: string(mdJSON), LinkedAccountID: a.LinkedAccountID,
		ProviderBalanceAmount: a.ProviderBalance, BalanceDrift: a.Drift(),
		TransactionCount: a.TransactionCount, LastSyncedAt: utcPtr(a.LastSyncedAt), CreatedAt: a.CreatedAt.UTC(),
		UpdatedAt: a.UpdatedAt.UTC(), ClosedAt: utcPtr(a.ClosedAt), ArchivedAt: utcPtr(a.ArchivedAt), Version: a.Version,
	}
}

func (r *accountRow) toDomain() (domain.Account, error) {
	var cf []customFieldJSON
	if err := json.Unmarshal([]byte(r.CustomFields), &cf); err != nil {
		return domain.Account{}, fmt.Errorf("account %s custom_fields: %w", r.ID, err)
	}
	md := map[string]string{}
	if err := json.Unmarshal([]byte(r.Metadata), &md); err != nil {
		return domain.Account{}, fmt.Errorf("account %s metadata: %w", r.ID, err)
	}
	fields := make([]domain.CustomField, 0, len(cf))
	for _, f := range cf {
		fields = append(fields, domain.CustomField(f))
	}
	return domain.Account{
		ID: r.ID, UserID: r.UserID, ConnectionID: r.ConnectionID, Provider: r.Provider,
		ProviderAccountID: r.ProviderAccountID, ExternalID: r.ExternalID, AccountNumber: r.AccountNumber,
		Name: r.Name, Type: domain.AccountType(r.AccountType), Subtype: r.Subtype, Currency: money.Currency(r.Currency),
		Balance: r.BalanceAmount, AvailableBalance: r.AvailableBalanceAmount, OverdraftLimit: r.OverdraftLimit,
		InterestRate: r.InterestRate, Status: domain.Status(r.Status), IsHidden: r.IsHidden, IsFavourite: r.IsFavourite,
		ShowInDashboard: r.ShowInDashboard, Color: r.Color, Icon: r.Icon, Notes: r.Notes, SortOrder: r.SortOrder,
		CustomFields: fields, Metadata: md, LinkedAccountID: r.LinkedAccountID, ProviderBalance: r.ProviderBalanceAmount,
		TransactionCount: r.TransactionCount,
		LastSyncedAt:     utcPtr(r.LastSyncedAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		ClosedAt: utcPtr(r.ClosedAt), ArchivedAt: utcPtr(r.ArchivedAt), Version: r.Version,
	}, nil
}

// transactionRow is one row of transactions.
type transactionRow struct {
	bun.BaseModel `bun:"table:transactions"`

	ID                    uuid.UUID     `bun:"id,pk"`
	AccountID             uuid.UUID     `bun:"account_id,notnull"`
	UserID                uuid.UUID     `bun:"user_id,notnull"`
	ExternalID            string        `bun:"external_id,nullzero"`
	ProviderTransactionID string        `bun:"provider_transaction_id,nullzero"`
	Type                  string        `bun:"type,notnull"`
	Amount                money.Amount  `bun:"amount,notnull"`
	MagnitudeKey          string        `bun:"magnitude_key,notnull"`
	Currency              string        `bun:"currency,notnull"`
	Description           string        `bun:"description,notnull"`
	Counterparty          string        `bun:"counterparty,nullzero"`
	Status                string        `bun:"status,notnull"`
	BookedAt              time.Time     `bun:"booked_at,notnull"`
	TransferID            uuid.NullUUID `bun:"transfer_id"`
	CreatedAt             time.Time     `bun:"created_at,notnull"`
}

func toTransactionRow(t *domain.Transaction) transactionRow {
	return transactionRow{
		ID: t.ID, AccountID: t.AccountID, UserID: t.UserID, ExternalID: t.ExternalID,
		ProviderTransactionID: t.ProviderTransactionID, Type: string(t.Type), Amount: t.Amount,
		MagnitudeKey: t.Amount.Abs().SortKey(), Currency: string(t.Currency), Description: t.Description,
		Counterparty: t.Counterparty, Status: string(t.Status), BookedAt: t.BookedAt.UTC(),
		TransferID: t.TransferID, CreatedAt: t.CreatedAt.UTC(),
	}
}

func (r *transactionRow) toDomain() domain.Transaction {
	return domain.Transaction{
		ID: r.ID, AccountID: r.AccountID, UserID: r.UserID, ExternalID: r.ExternalID,
		ProviderTransactionID: r.ProviderTransactionID, Type: domain.TransactionType(r.Type), Amount: r.Amount,
		Currency: money.Currency(r.Currency), Description: r.Description, Counterparty: r.Counterparty,
		Status: domain.TransactionStatus(r.Status), BookedAt: r.BookedAt.UTC(), TransferID: r.TransferID,
		CreatedAt: r.CreatedAt.UTC(),
	}
}

// transferRow is one row of transfers.
type transferRow struct {
	bun.BaseModel `bun:"table:transfers"`

	ID                       uuid.UUID    `bun:"id,pk"`
	UserID                   uuid.UUID    `bun:"user_id,notnull"`
	SourceAccountID          uuid.UUID    `bun:"source_account_id,notnull"`
	DestinationAccountID     uuid.UUID    `bun:"destination_account_id,notnull"`
	SourceTransactionID      uuid.UUID    `bun:"source_transaction_id,notnull"`
	DestinationTransactionID uuid.UUID    `bun:"destination_transaction_id,notnull"`
	Amount                   money.Amount `bun:"amount,notnull"`
	Currency                 string       `bun:"currency,notnull"`
	CreatedAt                time.Time    `bun:"created_at,notnull"`
}

// day is a calendar day as the daily-delta table keeps it: DATE in PostgreSQL and
// 'YYYY-MM-DD' text in SQLite.
type day struct{ time.Time }

// Value writes the day as YYYY-MM-DD, which both engines compare correctly.
func (d day) Value() (driver.Value, error) { return d.Format(time.DateOnly), nil }

// Scan reads a DATE or a YYYY-MM-DD string.
func (d *day) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		d.Time = domain.DayOf(v)
		return nil
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	}
	return fmt.Errorf("cannot scan %T into a day", src)
}

func (d *day) parse(s string) error {
	if len(s) > len(time.DateOnly) {
		s = s[:len(time.DateOnly)]
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return err
	}
	d.Time = t
	return nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
