// Package accounts is Kontor's accounts module: manual and provider-linked accounts,
// their ledger of transactions, transfers, balance history and net worth. Other
// modules depend only on this file's contract; everything else is internal.
//
// The contract has four parts. Ledger lets a reader such as the statements module
// read one account and stream its ledger; Insight gives a dashboard all of one
// user's accounts at once (balances beside ledger sums, daily net changes, the
// latest entries); ProviderSync lets the sync module mirror a provider's accounts
// and transactions; Directory lets the connections module list a connection's
// accounts with the same filters and body as GET /accounts.
package accounts

import (
	"context"
	"encoding/json"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/api"
	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/money"
)

// Account is what other modules may know about an account. Type is one of API.md's
// account types and Status one of active, inactive and closed.
type Account struct {
	ID                uuid.UUID
	UserID            uuid.UUID
	ConnectionID      uuid.NullUUID
	Provider          string
	ProviderAccountID string
	ExternalID        string
	AccountNumber     string
	Name              string
	Type              string
	Subtype           string
	Currency          money.Currency
	Balance           money.Amount
	AvailableBalance  money.NullAmount
	Status            string
	IsArchived        bool
	LastSyncedAt      *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
	ClosedAt          *time.Time
	Version           int64
}

// Transaction is one ledger entry. Amount is signed: credits positive, debits
// negative. Type is one of API.md's transaction types and Status pending or posted.
type Transaction struct {
	ID                    uuid.UUID
	AccountID             uuid.UUID
	ExternalID            string
	ProviderTransactionID string
	Type                  string
	Amount                money.Amount
	Currency              money.Currency
	Description           string
	Counterparty          string
	Status                string
	BookedAt              time.Time
	TransferID            uuid.NullUUID
	CreatedAt             time.Time
}

// DailyBalance is an account's balance at the end of Day (UTC).
type DailyBalance struct {
	Day     time.Time
	Balance money.Amount
}

// Ledger reads accounts and their ledgers. Account checks that the subject may read
// the account (not_found for a missing one, forbidden for another user's); the other
// methods trust the caller to have done so first. Days are UTC calendar days.
type Ledger interface {
	// Account returns the subject's account with id.
	Account(ctx context.Context, sub authn.Subject, id uuid.UUID) (Account, error)
	// Transactions calls fn with the account's entries booked from from (inclusive)
	// to to (exclusive), in booking order (booked_at, then id), from one ordered
	// query whose rows are handed to fn one at a time as they are read, so neither
	// side holds the period in memory; an error from fn stops the walk and is
	// returned as it is.
	Transactions(ctx context.Context, accountID uuid.UUID, from, to time.Time, fn func(Transaction) error) error
	// BalanceAt returns the balance at the end of day.
	BalanceAt(ctx context.Context, accountID uuid.UUID, day time.Time) (money.Amount, error)
	// DailyBalances returns the balance at the end of every day from from to to,
	// both inclusive.
	DailyBalances(ctx context.Context, accountID uuid.UUID, from, to time.Time) ([]DailyBalance, error)
}

// AccountSnapshot is what a dashboard needs of one account: its balance beside the
// sum of its ledger, which must agree (a difference means the data needs repair),
// and what tells whether a linked account is kept up to date. Type is one of
// API.md's account types and Status one of active, inactive and closed.
type AccountSnapshot struct {
	ID           uuid.UUID
	Name         string
	Type         string
	Currency     money.Currency
	Balance      money.Amount
	LedgerSum    money.Amount
	Status       string
	IsArchived   bool
	ConnectionID uuid.NullUUID
	LastSyncedAt *time.Time
}

// DayChange is the net change of all of a user's accounts in one currency on one
// day (UTC).
type DayChange struct {
	Currency money.Currency
	Day      time.Time
	Delta    money.Amount
}

// ChangeHistory is the net change of a user's accounts per currency and day over a
// window, and how far back each currency's history reaches.
type ChangeHistory struct {
	// Days holds one DayChange per currency and day with a change, in day order.
	Days []DayChange
	// FirstDay is the day of each currency's first change ever, which may lie
	// before the window; a currency with no change has no entry.
	FirstDay map[money.Currency]time.Time
}

// RecentTransaction is an entry in a list of a user's latest entries across
// accounts, with the name of its account.
type RecentTransaction struct {
	Transaction
	AccountName string
}

// Insight reads all of one user's accounts at once for a dashboard. Every method
// reads only the subject's own accounts and asks the authorizer first (forbidden
// otherwise). None reads a ledger through: sums and changes come from the daily
// deltas and the latest entries from an index walk that stops after n, so the cost
// grows with the number of accounts and days, not of entries.
type Insight interface {
	// Snapshots returns every account of the subject, archived and closed ones
	// included, by sort order then id.
	Snapshots(ctx context.Context, sub authn.Subject) ([]AccountSnapshot, error)
	// DailyChanges returns the net change per currency of every day from from (a
	// UTC day) on, and the first day each currency ever changed.
	DailyChanges(ctx context.Context, sub authn.Subject, from time.Time) (ChangeHistory, error)
	// RecentTransactions returns the subject's n latest entries across all their
	// accounts, newest first (booked_at, then id); n is capped at 200, and n < 1
	// returns none.
	RecentTransactions(ctx context.Context, sub authn.Subject, n int) ([]RecentTransaction, error)
}

// ProviderAccount is an account as a provider reports it. Balance is the provider's
// current balance; AccountType one of API.md's account types.
type ProviderAccount struct {
	ConnectionID      uuid.UUID
	Provider          string
	ProviderAccountID string
	Name              string
	AccountType       string
	Subtype           string
	Currency          string
	AccountNumber     string
	Balance           money.Amount
	AvailableBalance  money.NullAmount
	InterestRate      money.NullAmount
}

// ProviderTransaction is a transaction as a provider reports it; Amount is signed.
type ProviderTransaction struct {
	ProviderTransactionID string
	Type                  string
	Amount                money.Amount
	Description           string
	Counterparty          string
	Status                string
	BookedAt              time.Time
}

// TransactionBatch is one transaction sync of a linked account: entries to add or
// revise by provider transaction id, provider ids withdrawn, and optionally the
// balance the provider reports, which the ledger is reconciled to with an
// adjustment entry.
type TransactionBatch struct {
	AccountID       uuid.UUID
	Upserts         []ProviderTransaction
	Removed         []string
	ReportedBalance money.NullAmount
}

// UpsertOutcome says what an upsert did: created, updated or unchanged.
type UpsertOutcome string

// TransactionSyncResult counts what a transaction sync did.
type TransactionSyncResult struct {
	Added     int
	Modified  int
	Removed   int
	Unchanged int
}

// ProviderSync mirrors provider data into the ledger for the sync module. The
// subject is the connection's owner (a scheduled sync passes the owner's id with no
// other fields); every change is authorized against the account's owner.
type ProviderSync interface {
	// UpsertAccount creates or refreshes the account mirroring a provider account,
	// matched by connection and provider account id; the ledger reaches the
	// reported balance through an opening or reconciliation entry.
	UpsertAccount(ctx context.Context, sub authn.Subject, in ProviderAccount) (Account, UpsertOutcome, error)
	// SyncTransactions applies one batch in one database transaction with the
	// balance; a pending entry that posts is revised, never duplicated.
	SyncTransactions(ctx context.Context, sub authn.Subject, in TransactionBatch) (TransactionSyncResult, error)
	// DeactivateConnection marks a disconnected connection's accounts inactive;
	// they keep their history. It returns how many changed.
	DeactivateConnection(ctx context.Context, sub authn.Subject, connectionID uuid.UUID) (int, error)
}

// AccountList is one page of a list of accounts; it marshals to exactly the body of
// GET /api/v1/accounts.
type AccountList struct {
	list app.AccountList
}

// MarshalJSON writes the GET /accounts body.
func (l AccountList) MarshalJSON() ([]byte, error) { return json.Marshal(api.AccountListBody(l.list)) }

// Directory lists accounts for other modules' routes.
type Directory interface {
	// ConnectionAccounts lists the subject's accounts on a connection, reading query
	// (limit, cursor, active_only, sort and the other filters of GET /accounts) the
	// way GET /accounts does.
	ConnectionAccounts(ctx context.Context, sub authn.Subject, connectionID uuid.UUID, query url.Values) (AccountList, error)
}

// contract implements Ledger, Insight, ProviderSync and Directory over the use
// cases.
type contract struct {
	svc *app.Service
}

var (
	_ Ledger       = contract{}
	_ Insight      = contract{}
	_ ProviderSync = contract{}
	_ Directory    = contract{}
)

func accountOf(a domain.Account) Account {
	return Account{
		ID: a.ID, UserID: a.UserID, ConnectionID: a.ConnectionID, Provider: a.Provider, ProviderAccountID: a.ProviderAccountID,
		ExternalID: a.ExternalID, AccountNumber: a.AccountNumber, Name: a.Name, Type: string(a.Type), Subtype: a.Subtype,
		Currency: a.Currency, Balance: a.Balance, AvailableBalance: a.AvailableBalance, Status: string(a.Status),
		IsArchived: a.IsArchived(), LastSyncedAt: a.LastSyncedAt, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		ClosedAt: a.ClosedAt, Version: a.Version,
	}
}

// Account returns the subject's account with id.
func (c contract) Account(ctx context.Context, sub authn.Subject, id uuid.UUID) (Account, error) {
	a, err := c.svc.GetAccount(ctx, sub, id.String())
	if err != nil {
		return Account{}, err
	}
	return accountOf(a), nil
}

func transactionOf(t domain.Transaction) Transaction {
	return Transaction{
		ID: t.ID, AccountID: t.AccountID, ExternalID: t.ExternalID, ProviderTransactionID: t.ProviderTransactionID,
		Type: string(t.Type), Amount: t.Amount, Currency: t.Currency, Description: t.Description,
		Counterparty: t.Counterparty, Status: string(t.Status), BookedAt: t.BookedAt, TransferID: t.TransferID,
		CreatedAt: t.CreatedAt,
	}
}

// Transactions streams the account's entries in booking order.
func (c contract) Transactions(ctx context.Context, accountID uuid.UUID, from, to time.Time, fn func(Transaction) error) error {
	return c.svc.StreamTransactions(ctx, accountID, from, to, func(t domain.Transaction) error {
		return fn(transactionOf(t))
	})
}

// BalanceAt returns the balance at the end of day.
func (c contract) BalanceAt(ctx context.Context, accountID uuid.UUID, day time.Time) (money.Amount, error) {
	return c.svc.BalanceAt(ctx, accountID, day)
}

// DailyBalances returns the end-of-day balances from from to to.
func (c contract) DailyBalances(ctx context.Context, accountID uuid.UUID, from, to time.Time) ([]DailyBalance, error) {
	points, err := c.svc.DailyBalances(ctx, accountID, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]DailyBalance, len(points))
	for i, p := range points {
		out[i] = DailyBalance{Day: p.Date, Balance: p.Balance}
	}
	return out, nil
}

// Snapshots returns the subject's accounts with their ledger sums.
func (c contract) Snapshots(ctx context.Context, sub authn.Subject) ([]AccountSnapshot, error) {
	snaps, err := c.svc.Snapshots(ctx, sub)
	if err != nil {
		return nil, err
	}
	out := make([]AccountSnapshot, len(snaps))
	for i, a := range snaps {
		out[i] = AccountSnapshot{
			ID: a.ID, Name: a.Name, Type: string(a.Type), Currency: a.Currency, Balance: a.Balance, LedgerSum: a.LedgerSum,
			Status: string(a.Status), IsArchived: a.IsArchived, ConnectionID: a.ConnectionID, LastSyncedAt: a.LastSyncedAt,
		}
	}
	return out, nil
}

// DailyChanges returns the subject's net changes per currency and day from from on.
func (c contract) DailyChanges(ctx context.Context, sub authn.Subject, from time.Time) (ChangeHistory, error) {
	h, err := c.svc.DailyChanges(ctx, sub, from)
	if err != nil {
		return ChangeHistory{}, err
	}
	out := ChangeHistory{Days: make([]DayChange, len(h.Days)), FirstDay: h.FirstDay}
	for i, d := range h.Days {
		out.Days[i] = DayChange(d)
	}
	return out, nil
}

// RecentTransactions returns the subject's n latest entries.
func (c contract) RecentTransactions(ctx context.Context, sub authn.Subject, n int) ([]RecentTransaction, error) {
	recent, err := c.svc.RecentTransactions(ctx, sub, n)
	if err != nil {
		return nil, err
	}
	out := make([]RecentTransaction, len(recent))
	for i, r := range recent {
		out[i] = RecentTransaction{Transaction: transactionOf(r.Transaction), AccountName: r.AccountName}
	}
	return out, nil
}

// UpsertAccount mirrors a provider account.
func (c contract) UpsertAccount(ctx context.Context, sub authn.Subject, in ProviderAccount) (Account, UpsertOutcome, error) {
	a, op, err := c.svc.UpsertProviderAccount(ctx, sub, app.ProviderAccountInput{
		Link: app.ProviderLink{ConnectionID: in.ConnectionID, Provider: in.Provider, ProviderAccountID: in.ProviderAccountID},
		Name: in.Name, AccountType: in.AccountType, Subtype: in.Subtype, Currency: in.Currency,
		AccountNumber: in.AccountNumber, Balance: in.Balance, AvailableBalance: in.AvailableBalance, InterestRate: in.InterestRate,
	})
	if err != nil {
		return Account{}, "", err
	}
	return accountOf(a), UpsertOutcome(op), nil
}

// SyncTransactions applies one transaction batch.
func (c contract) SyncTransactions(ctx context.Context, sub authn.Subject, in TransactionBatch) (TransactionSyncResult, error) {
	ups := make([]app.ProviderTransactionInput, len(in.Upserts))
	for i, t := range in.Upserts {
		ups[i] = app.ProviderTransactionInput(t)
	}
	res, err := c.svc.SyncProviderTransactions(ctx, sub, app.ProviderTransactionsInput{
		AccountID: in.AccountID, Upserts: ups, Removed: in.Removed, ReportedBalance: in.ReportedBalance,
	})
	return TransactionSyncResult(res), err
}

// DeactivateConnection marks a connection's accounts inactive.
func (c contract) DeactivateConnection(ctx context.Context, sub authn.Subject, connectionID uuid.UUID) (int, error) {
	return c.svc.DeactivateConnectionAccounts(ctx, sub, connectionID)
}

// ConnectionAccounts lists a connection's accounts like GET /accounts.
func (c contract) ConnectionAccounts(ctx context.Context, sub authn.Subject, connectionID uuid.UUID, query url.Values) (AccountList, error) {
	in, err := api.ParseListAccounts(query)
	if err != nil {
		return AccountList{}, err
	}
	in.ConnectionID = connectionID.String()
	list, err := c.svc.ListAccounts(ctx, sub, in)
	if err != nil {
		return AccountList{}, err
	}
	return AccountList{list: list}, nil
}
