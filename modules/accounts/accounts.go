// Package accounts is Kontor's accounts module: manual and provider-linked accounts,
// their ledger of transactions, transfers, balance history and net worth. Other
// modules depend only on this file's contract; everything else is internal.
//
// The contract speaks Go, not HTTP: typed values in, typed values out. Every method
// takes the caller's authn.Subject and asks the authorizer before it reads or
// changes anything (not_found for a missing account, forbidden for another user's),
// so no caller has to have checked first. It has four parts. Ledger lets a reader
// such as the statements module read one account and stream its ledger; Insight
// gives a dashboard all of one user's accounts at once; ProviderSync lets the
// connections and sync modules mirror a provider's accounts and transactions;
// Directory lets the connections module list a connection's accounts with the same
// filters as GET /accounts (the package accountsjson renders that page as GET
// /accounts does).
package accounts

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/modules/accounts/internal/store"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/money"
	"github.com/kontor-app/kontor/platform/userdata"
)

// The accounts module's error codes, for callers that switch on a code. They are
// registered with apperr when the module is linked into the binary.
var (
	// CodeInsufficientFunds: a debit past a bank account's balance plus overdraft.
	CodeInsufficientFunds = domain.InsufficientFunds
	// CodeProviderManaged: a change to what a provider keeps on a linked account.
	CodeProviderManaged = domain.ProviderManaged
	// CodeAccountNotEmpty: closing an account whose balance is not zero.
	CodeAccountNotEmpty = domain.AccountNotEmpty
	// CodeAccountClosed: a new or changed entry on a closed account.
	CodeAccountClosed = domain.AccountClosed
	// CodeCurrencyMismatch: an entry or transfer across currencies.
	CodeCurrencyMismatch = domain.CurrencyMismatch
	// CodeDuplicateExternalID: an external id another account or entry has.
	CodeDuplicateExternalID = domain.DuplicateExternalID
	// CodeNothingToReconcile: reconciling an account without drift.
	CodeNothingToReconcile = domain.NothingToReconcile
)

// The statuses of an account.
const (
	StatusActive   = string(domain.StatusActive)
	StatusInactive = string(domain.StatusInactive)
	StatusClosed   = string(domain.StatusClosed)
)

// The statuses of a transaction.
const (
	TransactionPending = string(domain.Pending)
	TransactionPosted  = string(domain.Posted)
)

// CustomField is one labelled value a person attached to an account.
type CustomField struct {
	Label string
	Value string
}

// Account is an account as other modules see it: every field of API.md's account
// object. Type is one of API.md's account types and Status one of active, inactive
// and closed. ProviderBalance is the balance a linked account's provider last
// reported, and BalanceDrift that less Balance (no value when they agree or for a
// manual account).
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
	OverdraftLimit    money.Amount
	InterestRate      money.NullAmount
	Status            string
	IsArchived        bool
	IsHidden          bool
	IsFavourite       bool
	ShowInDashboard   bool
	Color             string
	Icon              string
	Notes             string
	SortOrder         int
	CustomFields      []CustomField
	Metadata          map[string]string
	LinkedAccountID   uuid.NullUUID
	ProviderBalance   money.NullAmount
	BalanceDrift      money.NullAmount
	TransactionCount  int64
	LastSyncedAt      *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
	ClosedAt          *time.Time
	ArchivedAt        *time.Time
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

// Ledger reads one account and its ledger, for the statements module and any other
// reader of a single account. Every method checks that the subject may read the
// account: not_found for a missing one, forbidden for another user's. Days are UTC
// calendar days.
type Ledger interface {
	// Account returns the subject's account with id.
	Account(ctx context.Context, sub authn.Subject, id uuid.UUID) (Account, error)
	// Transactions calls fn with the account's entries that move its balance
	// (a provider's pending entries do not), booked from from (inclusive) to to
	// (exclusive), in booking order (booked_at, then id), from one ordered query
	// whose rows are handed to fn one at a time as they are read, so neither side
	// holds the period in memory; an error from fn stops the walk and is returned
	// as it is.
	Transactions(ctx context.Context, sub authn.Subject, accountID uuid.UUID, from, to time.Time, fn func(Transaction) error) error
	// BalanceAt returns the balance at the end of day.
	BalanceAt(ctx context.Context, sub authn.Subject, accountID uuid.UUID, day time.Time) (money.Amount, error)
	// DailyBalances returns the balance at the end of every day from from to to,
	// both inclusive.
	DailyBalances(ctx context.Context, sub authn.Subject, accountID uuid.UUID, from, to time.Time) ([]DailyBalance, error)
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
	// IsFavourite, ShowInDashboard and Color are the display settings the person
	// chose: a favourite comes first, an account not shown on the dashboard is
	// left out of its lists and charts (but still counted in net worth), and the
	// colour ("#0b5f6b", or "") marks it.
	IsFavourite     bool
	ShowInDashboard bool
	Color           string
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

// Insight reads all of one user's accounts at once, for a dashboard. Every method
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

// ProviderAccount is an account as a provider reports it. AccountType is one of
// API.md's account types; Balance is the provider's current balance.
type ProviderAccount struct {
	ConnectionID      uuid.UUID
	Provider          string
	ProviderAccountID string
	Name              string
	AccountType       string
	Subtype           string
	Currency          money.Currency
	AccountNumber     string
	Balance           money.Amount
	AvailableBalance  money.NullAmount
	InterestRate      money.NullAmount
}

// ProviderTransaction is a transaction as a provider reports it; Amount is signed
// (credits positive) and Type one of API.md's transaction types. A Pending one is
// listed but does not move the balance until it posts. PendingTransactionID, on a
// posted transaction, names the pending transaction it replaces under a new id; the
// pending entry is then revised in place, never duplicated. Provider ids must not
// start with "kontor:", which Kontor keeps for its own entries.
type ProviderTransaction struct {
	ProviderTransactionID string
	PendingTransactionID  string
	Type                  string
	Amount                money.Amount
	Description           string
	Counterparty          string
	Pending               bool
	BookedAt              time.Time
}

// TransactionBatch is one transaction sync of a linked account: entries to add or
// revise by provider transaction id, provider ids the provider withdrew, and
// optionally:
//   - a pending window [PendingWindowStart, PendingWindowEnd) whose pending
//     transactions the batch reports in full, so any other pending entry booked in it
//     is removed (the provider stopped reporting it);
//   - ReportedBalance, the provider's balance, kept beside the ledger as the
//     account's provider balance; a difference shows as drift and is never booked
//     away by a sync (the owner reconciles it).
type TransactionBatch struct {
	AccountID          uuid.UUID
	Upserts            []ProviderTransaction
	Removed            []string
	PendingWindowStart time.Time
	PendingWindowEnd   time.Time
	ReportedBalance    money.NullAmount
}

// UpsertOutcome says what an upsert did: created, updated or unchanged.
type UpsertOutcome string

// The upsert outcomes.
const (
	Created   UpsertOutcome = UpsertOutcome(app.Created)
	Updated   UpsertOutcome = UpsertOutcome(app.Updated)
	Unchanged UpsertOutcome = UpsertOutcome(app.Unchanged)
)

// TransactionSyncResult counts what a transaction sync did.
type TransactionSyncResult struct {
	Added     int
	Modified  int
	Removed   int
	Unchanged int
	// ZeroAmountSkipped counts the provider's rows of amount zero, which the ledger
	// (movements only) does not enter; one that had an amount before is withdrawn.
	ZeroAmountSkipped int
}

// ProviderSync mirrors provider data into the ledger, for the connections and sync
// modules (an OFX import goes the same way). The subject is the connection's owner:
// a request passes its own subject, and a scheduled sync passes the owner's id as a
// subject with no other fields. Every change is authorized against each account's
// owner, so a subject can never write another user's accounts.
type ProviderSync interface {
	// UpsertAccount creates or refreshes the account mirroring a provider account,
	// matched by connection and provider account id. A new account opens with one
	// opening entry for the reported balance; a known one has its provider-owned
	// fields refreshed and the reported balance kept as its provider balance.
	UpsertAccount(ctx context.Context, sub authn.Subject, in ProviderAccount) (Account, UpsertOutcome, error)
	// SyncTransactions applies one batch in one database transaction with the
	// balance, reading the stored entries inside the account's lock. Posted entries
	// booked up to the account's first sync move its opening entry instead of the
	// balance, so a backfill never counts twice.
	SyncTransactions(ctx context.Context, sub authn.Subject, in TransactionBatch) (TransactionSyncResult, error)
	// DeactivateConnection marks every account of a disconnected connection
	// inactive, in one database transaction; they keep their history. It returns
	// how many changed.
	DeactivateConnection(ctx context.Context, sub authn.Subject, connectionID uuid.UUID) (int, error)
}

// AccountQuery filters, sorts and pages a list of accounts as GET /accounts does.
// Zero fields select everything; Types and Statuses hold API.md's values; Sort is
// sort_order (the default), name, balance or created_at, with "-" before it for
// descending; Limit 0 means 50 (at most 200); Cursor is a NextCursor handed out by
// the same list and sort.
type AccountQuery struct {
	ActiveOnly      bool
	Types           []string
	Statuses        []string
	Currency        money.Currency
	Manual          *bool
	MinBalance      *money.Amount
	MaxBalance      *money.Amount
	CreatedAfter    *time.Time
	CreatedBefore   *time.Time
	NameContains    string
	IncludeArchived bool
	Sort            string
	Limit           int
	Cursor          string
}

// AccountPage is one page of a list of accounts, with counts and totals over every
// match, not just the page.
type AccountPage struct {
	Accounts               []Account
	TotalCount             int64
	ActiveCount            int64
	TotalBalanceByCurrency map[money.Currency]money.Amount
	NextCursor             string
	HasMore                bool
}

// Directory lists accounts for other modules' routes.
type Directory interface {
	// ConnectionAccounts lists the subject's accounts on a connection.
	ConnectionAccounts(ctx context.Context, sub authn.Subject, connectionID uuid.UUID, q AccountQuery) (AccountPage, error)
}

// UserData is the accounts module's part of a person's data export and of an
// account's deletion (platform/userdata). ExportUser writes accounts.json (the
// body of GET /accounts?include_archived=true, every account on one page) and,
// per account, accounts/<id>/transactions.json (the body of GET
// /accounts/<id>/transactions, every entry on one page) and
// accounts/<id>/transactions.csv, reading only what the subject may read.
// EraseUser deletes the user's accounts, entries and transfers inside the caller's
// transaction. The module provides it into the userdata groups.
type UserData interface {
	userdata.Exporter
	userdata.Eraser
}

// Contract implements Ledger, Insight, ProviderSync and Directory over the module's
// use cases. The fx module provides it under those interfaces; New builds one
// without fx, for tools and tests that work on a database directly.
type Contract struct {
	svc *app.Service
}

var (
	_ Ledger       = (*Contract)(nil)
	_ Insight      = (*Contract)(nil)
	_ ProviderSync = (*Contract)(nil)
	_ Directory    = (*Contract)(nil)
)

// New returns the accounts contract over db, asking authorizer before every access.
func New(db *database.DB, authorizer *authz.Authorizer) *Contract {
	return &Contract{svc: app.NewService(store.New(db), authorizer, app.SystemClock{})}
}

func accountOf(a domain.Account) Account {
	out := Account{
		ID: a.ID, UserID: a.UserID, ConnectionID: a.ConnectionID, Provider: a.Provider, ProviderAccountID: a.ProviderAccountID,
		ExternalID: a.ExternalID, AccountNumber: a.AccountNumber, Name: a.Name, Type: string(a.Type), Subtype: a.Subtype,
		Currency: a.Currency, Balance: a.Balance, AvailableBalance: a.AvailableBalance, OverdraftLimit: a.OverdraftLimit,
		InterestRate: a.InterestRate, Status: string(a.Status), IsArchived: a.IsArchived(), IsHidden: a.IsHidden,
		IsFavourite: a.IsFavourite, ShowInDashboard: a.ShowInDashboard, Color: a.Color, Icon: a.Icon, Notes: a.Notes,
		SortOrder: a.SortOrder, CustomFields: make([]CustomField, len(a.CustomFields)), Metadata: map[string]string{},
		LinkedAccountID: a.LinkedAccountID, ProviderBalance: a.ProviderBalance, BalanceDrift: a.Drift(),
		TransactionCount: a.TransactionCount, LastSyncedAt: a.LastSyncedAt, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		ClosedAt: a.ClosedAt, ArchivedAt: a.ArchivedAt, Version: a.Version,
	}
	for i, f := range a.CustomFields {
		out.CustomFields[i] = CustomField(f)
	}
	for k, v := range a.Metadata {
		out.Metadata[k] = v
	}
	return out
}

// Account returns the subject's account with id.
func (c *Contract) Account(ctx context.Context, sub authn.Subject, id uuid.UUID) (Account, error) {
	a, err := c.svc.GetAccount(ctx, sub, id)
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
func (c *Contract) Transactions(ctx context.Context, sub authn.Subject, accountID uuid.UUID, from, to time.Time, fn func(Transaction) error) error {
	return c.svc.StreamTransactions(ctx, sub, accountID, from, to, func(t domain.Transaction) error {
		return fn(transactionOf(t))
	})
}

// BalanceAt returns the balance at the end of day.
func (c *Contract) BalanceAt(ctx context.Context, sub authn.Subject, accountID uuid.UUID, day time.Time) (money.Amount, error) {
	return c.svc.BalanceAt(ctx, sub, accountID, day)
}

// DailyBalances returns the end-of-day balances from from to to.
func (c *Contract) DailyBalances(ctx context.Context, sub authn.Subject, accountID uuid.UUID, from, to time.Time) ([]DailyBalance, error) {
	points, err := c.svc.DailyBalances(ctx, sub, accountID, from, to)
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
func (c *Contract) Snapshots(ctx context.Context, sub authn.Subject) ([]AccountSnapshot, error) {
	snaps, err := c.svc.Snapshots(ctx, sub)
	if err != nil {
		return nil, err
	}
	out := make([]AccountSnapshot, len(snaps))
	for i, a := range snaps {
		out[i] = AccountSnapshot{
			ID: a.ID, Name: a.Name, Type: string(a.Type), Currency: a.Currency, Balance: a.Balance, LedgerSum: a.LedgerSum,
			Status: string(a.Status), IsArchived: a.IsArchived, ConnectionID: a.ConnectionID, LastSyncedAt: a.LastSyncedAt,
			IsFavourite: a.IsFavourite, ShowInDashboard: a.ShowInDashboard, Color: a.Color,
		}
	}
	return out, nil
}

// DailyChanges returns the subject's net changes per currency and day from from on.
func (c *Contract) DailyChanges(ctx context.Context, sub authn.Subject, from time.Time) (ChangeHistory, error) {
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
func (c *Contract) RecentTransactions(ctx context.Context, sub authn.Subject, n int) ([]RecentTransaction, error) {
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
func (c *Contract) UpsertAccount(ctx context.Context, sub authn.Subject, in ProviderAccount) (Account, UpsertOutcome, error) {
	a, op, err := c.svc.UpsertProviderAccount(ctx, sub, app.ProviderAccountInput{
		Link: app.ProviderLink{ConnectionID: in.ConnectionID, Provider: in.Provider, ProviderAccountID: in.ProviderAccountID},
		Name: in.Name, AccountType: domain.AccountType(in.AccountType), Subtype: in.Subtype, Currency: in.Currency,
		AccountNumber: in.AccountNumber, Balance: in.Balance, AvailableBalance: in.AvailableBalance, InterestRate: in.InterestRate,
	})
	if err != nil {
		return Account{}, "", err
	}
	return accountOf(a), UpsertOutcome(op), nil
}

// SyncTransactions applies one transaction batch.
func (c *Contract) SyncTransactions(ctx context.Context, sub authn.Subject, in TransactionBatch) (TransactionSyncResult, error) {
	ups := make([]app.ProviderTransactionInput, len(in.Upserts))
	for i, t := range in.Upserts {
		ups[i] = app.ProviderTransactionInput{
			ProviderTransactionID: t.ProviderTransactionID, PendingTransactionID: t.PendingTransactionID,
			Type: domain.TransactionType(t.Type), Amount: t.Amount, Description: t.Description,
			Counterparty: t.Counterparty, Pending: t.Pending, BookedAt: t.BookedAt,
		}
	}
	res, err := c.svc.SyncProviderTransactions(ctx, sub, app.ProviderTransactionsInput{
		AccountID: in.AccountID, Upserts: ups, Removed: in.Removed, PendingWindowStart: in.PendingWindowStart,
		PendingWindowEnd: in.PendingWindowEnd, ReportedBalance: in.ReportedBalance,
	})
	return TransactionSyncResult(res), err
}

// DeactivateConnection marks a connection's accounts inactive.
func (c *Contract) DeactivateConnection(ctx context.Context, sub authn.Subject, connectionID uuid.UUID) (int, error) {
	return c.svc.DeactivateConnectionAccounts(ctx, sub, connectionID)
}

// ConnectionAccounts lists a connection's accounts like GET /accounts.
func (c *Contract) ConnectionAccounts(ctx context.Context, sub authn.Subject, connectionID uuid.UUID, q AccountQuery) (AccountPage, error) {
	in := app.ListAccountsQuery{
		AccountFilter: app.AccountFilter{
			ActiveOnly: q.ActiveOnly, Currency: q.Currency, ConnectionID: uuid.NullUUID{UUID: connectionID, Valid: true},
			Manual: q.Manual, MinBalance: q.MinBalance, MaxBalance: q.MaxBalance, CreatedAfter: q.CreatedAfter,
			CreatedBefore: q.CreatedBefore, NameContains: q.NameContains, IncludeArchived: q.IncludeArchived,
		},
		Sort:  app.ParseSort(q.Sort),
		Limit: q.Limit, Cursor: q.Cursor,
	}
	for _, t := range q.Types {
		in.Types = append(in.Types, domain.AccountType(t))
	}
	for _, s := range q.Statuses {
		in.Statuses = append(in.Statuses, domain.Status(s))
	}
	list, err := c.svc.ListAccounts(ctx, sub, in)
	if err != nil {
		return AccountPage{}, err
	}
	out := AccountPage{
		Accounts: make([]Account, len(list.Accounts)), TotalCount: list.TotalCount, ActiveCount: list.ActiveCount,
		TotalBalanceByCurrency: list.TotalBalanceByCurrency, NextCursor: list.NextCursor, HasMore: list.HasMore,
	}
	for i, a := range list.Accounts {
		out.Accounts[i] = accountOf(a)
	}
	return out, nil
}
