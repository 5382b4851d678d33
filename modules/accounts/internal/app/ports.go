// Package app holds the accounts module's use cases. Each takes an input struct that
// the JSON API and the HTML pages fill alike, loads the aggregate, asks the
// Authorizer, and changes accounts only through the Repository's closures, so that a
// balance and its ledger are always saved together.
package app

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// Repository keeps accounts and their ledgers. Every method that changes an account
// runs in one database transaction with the account row locked, saves the account
// together with the ledger changes its closure made (Account.Changes), keeps the
// daily deltas in step, and increments the account's version when anything changed.
type Repository interface {
	// Create inserts a new account and its pending ledger changes.
	Create(ctx context.Context, a *domain.Account) error
	// Get returns the account with id, or a not_found error.
	Get(ctx context.Context, id uuid.UUID) (domain.Account, error)
	// FindByExternalID returns the user's account with the external id, if any.
	FindByExternalID(ctx context.Context, userID uuid.UUID, externalID string) (domain.Account, bool, error)
	// FindByProviderAccountID returns the connection's account with the provider's id, if any.
	FindByProviderAccountID(ctx context.Context, connectionID uuid.UUID, providerAccountID string) (domain.Account, bool, error)
	// Update loads the account with id locked, calls fn with the context of the
	// locked transaction (so fn may read through the repository inside the lock),
	// and saves what fn changed. An error from fn rolls everything back and is
	// returned as it is.
	Update(ctx context.Context, id uuid.UUID, fn func(ctx context.Context, a *domain.Account) error) error
	// UpdatePair is Update for two accounts at once (a transfer), locking them in id
	// order so that two opposite transfers cannot deadlock. Legs that share a
	// TransferID are saved as one transfer.
	UpdatePair(ctx context.Context, first, second uuid.UUID, fn func(ctx context.Context, first, second *domain.Account) error) error
	// UpdateConnection is Update for every account of a connection at once, in one
	// database transaction, locking them in id order; fn is called once per
	// account. It returns how many accounts the connection has.
	UpdateConnection(ctx context.Context, connectionID uuid.UUID, fn func(ctx context.Context, a *domain.Account) error) (int, error)
	// List returns one page of accounts matching q without N+1 queries: every
	// favourite first, then the other accounts, each part in q's sort order.
	List(ctx context.Context, q AccountQuery) (AccountPage, error)
	// Summarize counts and totals every account matching f, not just one page.
	Summarize(ctx context.Context, f AccountFilter) (AccountSummary, error)
	// SummarizeByType counts and totals every account matching f per account type,
	// in one query.
	SummarizeByType(ctx context.Context, f AccountFilter) (map[domain.AccountType]TypeSummary, error)
	// ListTransactions returns one page of entries, newest first.
	ListTransactions(ctx context.Context, q TransactionQuery) (TransactionPage, error)
	// StreamLedger calls fn for each of the account's entries booked in [from, to),
	// in booking order (booked_at, then id), reading them in one pass without
	// holding them all in memory; an error from fn stops the walk and is returned
	// as it is.
	StreamLedger(ctx context.Context, accountID uuid.UUID, from, to time.Time, fn func(domain.Transaction) error) error
	// TransactionsByProviderID returns the account's entries with the given provider
	// transaction ids, keyed by that id.
	TransactionsByProviderID(ctx context.Context, accountID uuid.UUID, ids []string) (map[string]domain.Transaction, error)
	// PendingProviderEntries returns the account's pending provider entries booked
	// in [from, to).
	PendingProviderEntries(ctx context.Context, accountID uuid.UUID, from, to time.Time) ([]domain.Transaction, error)
	// DailyDeltas returns the net change per currency and day for the days on or
	// after from, of one account or of all the user's accounts.
	DailyDeltas(ctx context.Context, q DeltaQuery) ([]DayDelta, error)
	// FirstDeltaDays returns, per currency, the earliest day on which any of the
	// user's accounts has a daily delta.
	FirstDeltaDays(ctx context.Context, userID uuid.UUID) (map[money.Currency]time.Time, error)
	// Snapshots returns every account of the user, archived and closed ones
	// included, by sort order then id, each with the sum of its daily deltas.
	Snapshots(ctx context.Context, userID uuid.UUID) ([]AccountSnapshot, error)
	// LatestTransactions returns the user's n latest entries across all their
	// accounts, newest first (booked_at, then id), each with its account's name.
	LatestTransactions(ctx context.Context, userID uuid.UUID, n int) ([]RecentTransaction, error)
}

// Authorizer decides whether a subject may act on a resource; the casbin authorizer
// of platform/authz implements it.
type Authorizer interface {
	Authorize(ctx context.Context, s authn.Subject, r authz.Resource, action string) error
}

// Clock tells the time; tests pass a fixed one.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time in UTC, to the microsecond both databases keep.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Errors the Repository returns when a unique field is already taken.
var (
	ErrAccountNumberTaken     = errors.New("account number already used by another account of the user")
	ErrExternalIDTaken        = errors.New("external id already used by another account of the user")
	ErrProviderAccountTaken   = errors.New("provider account already linked on this connection")
	ErrEntryExternalIDTaken   = errors.New("external id already used by another transaction of the account")
	ErrProviderEntryIDTaken   = errors.New("provider transaction id already recorded on the account")
	ErrConcurrentModification = errors.New("the account changed while it was being saved")
)

// AccountFilter selects accounts; zero fields select everything of the user.
type AccountFilter struct {
	UserID          uuid.UUID
	ActiveOnly      bool
	Types           []domain.AccountType
	Statuses        []domain.Status
	Currency        money.Currency
	ConnectionID    uuid.NullUUID
	Manual          *bool
	MinBalance      *money.Amount
	MaxBalance      *money.Amount
	CreatedAfter    *time.Time
	CreatedBefore   *time.Time
	NameContains    string
	IncludeArchived bool
}

// Sort fields of the account list.
const (
	SortSortOrder = "sort_order"
	SortName      = "name"
	SortBalance   = "balance"
	SortCreatedAt = "created_at"
)

// AccountSort orders the account list; ties are broken by id.
type AccountSort struct {
	Field string
	Desc  bool
}

// String returns the sort as the API spells it: "name" or "-name".
func (s AccountSort) String() string {
	if s.Desc {
		return "-" + s.Field
	}
	return s.Field
}

// AccountQuery asks for one page of accounts after an optional keyset position.
type AccountQuery struct {
	AccountFilter
	Sort  AccountSort
	Limit int
	After *KeysetPosition
}

// KeysetPosition is the last row of the previous page: its sort value as a string
// (canonical amount, decimal integer, lower-cased name or RFC 3339 time) and its id.
type KeysetPosition struct {
	Value string
	ID    uuid.UUID
	// Favourite is the row's favourite flag: the account list serves every
	// favourite before the other accounts, each part in the sort's order.
	Favourite bool
}

// AccountPage is one page of accounts; HasMore says whether rows follow.
type AccountPage struct {
	Accounts []domain.Account
	HasMore  bool
}

// AccountSummary counts and totals all matching accounts.
type AccountSummary struct {
	TotalCount             int64
	ActiveCount            int64
	TotalBalanceByCurrency map[money.Currency]money.Amount
}

// TypeSummary counts and totals the matching accounts of one type.
type TypeSummary struct {
	Count    int64
	Balances map[money.Currency]money.Amount
}

// TransactionFilter selects ledger entries of the user.
type TransactionFilter struct {
	UserID     uuid.UUID
	AccountIDs []uuid.UUID
	From       *time.Time
	To         *time.Time
	Types      []domain.TransactionType
	Status     domain.TransactionStatus
	MinAmount  *money.Amount
	MaxAmount  *money.Amount
	Contains   string
}

// TransactionQuery asks for one page of entries, newest first, after an optional
// keyset position whose Value is the booking time in RFC 3339.
type TransactionQuery struct {
	TransactionFilter
	Limit int
	After *KeysetPosition
}

// TransactionPage is one page of entries.
type TransactionPage struct {
	Transactions []domain.Transaction
	HasMore      bool
}

// DeltaQuery selects daily deltas of one account (AccountID) or of every account of
// a user (UserID).
type DeltaQuery struct {
	AccountID uuid.NullUUID
	UserID    uuid.NullUUID
	From      time.Time
}

// DayDelta is the net change of one currency on one day.
type DayDelta struct {
	Currency money.Currency
	Day      time.Time
	Delta    money.Amount
}
