// Package app holds the sync module's use cases: manual account and transaction
// syncs, the scheduler's tick, the run algorithm they share, the audit trail of
// runs, and the owner's decisions on pending-match suggestions. It declares the
// ports it needs: the connections it syncs, the ledger it writes, and its store.
package app

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/sync/internal/domain"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// Connection is what the sync needs of a connection.
type Connection struct {
	ID                  uuid.UUID
	UserID              uuid.UUID
	Provider            string
	Status              string
	ReasonCode          string
	AutoSync            bool
	SyncIntervalMinutes int
	LastSyncAt          *time.Time
	NextSyncAt          *time.Time
}

// ProviderAccount is an account as the provider reports it.
type ProviderAccount struct {
	ID               string
	Name             string
	Type             string
	Subtype          string
	Currency         string
	Mask             string
	Balance          money.Amount
	AvailableBalance money.NullAmount
}

// Transaction is a transaction as the provider reports it.
type Transaction struct {
	ID                   string
	AccountID            string
	Amount               money.Amount
	Date                 time.Time
	Description          string
	Counterparty         string
	Pending              bool
	PendingTransactionID string
}

// Removed names a transaction the provider withdrew; AccountID may be empty.
type Removed struct {
	ID        string
	AccountID string
}

// Window is the range a window provider answered and the accounts it said are
// incomplete.
type Window struct {
	From, To   time.Time
	Incomplete map[string]bool
}

// AccountError is a problem the provider reported for one account.
type AccountError struct {
	AccountID string
	Code      string
	Message   string
}

// FetchRequest asks for a page after Cursor or for the window From..To.
type FetchRequest struct {
	Cursor string
	From   time.Time
	To     time.Time
	Count  int
}

// Changes is one page of a provider's feed (see the connections contract).
type Changes struct {
	Added         []Transaction
	Modified      []Transaction
	Removed       []Removed
	NextCursor    string
	HasMore       bool
	Window        *Window
	Accounts      []ProviderAccount
	AccountErrors []AccountError
}

// ProviderFailure is a provider error as the sync sees it: its code (API.md's
// status_reason codes, or CodeMutationDuringPagination), its words and how long
// the provider asked to wait.
type ProviderFailure struct {
	Code       string
	Message    string
	RetryAfter time.Duration
}

// CodeMutationDuringPagination is the provider failure that restarts a cursor
// feed from the run's starting cursor (Plaid's
// TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION).
const CodeMutationDuringPagination = "mutation_during_pagination"

// Connections is what the sync needs of the connections module. The System
// methods act for no person; ForSync authorizes the subject. Fetch errors are
// returned unchanged, for ReportOutcome and for Classify.
type Connections interface {
	// Connection returns the subject's connection whatever its status.
	Connection(ctx context.Context, sub authn.Subject, id uuid.UUID) (Connection, error)
	ForSync(ctx context.Context, sub authn.Subject, id uuid.UUID) (Connection, error)
	SystemForSync(ctx context.Context, id uuid.UUID) (Connection, error)
	Due(ctx context.Context, now time.Time, limit int) ([]Connection, error)
	FetchAccounts(ctx context.Context, id uuid.UUID) ([]ProviderAccount, error)
	FetchTransactions(ctx context.Context, id uuid.UUID, req FetchRequest) (Changes, error)
	// ReportOutcome moves the connection through its state machine; ctx may carry
	// the sync's transaction, which it joins.
	ReportOutcome(ctx context.Context, id uuid.UUID, result error) (Connection, error)
	// Classify says whether err is a provider failure, and which.
	Classify(err error) (ProviderFailure, bool)
	// Failure builds the provider failure of code with message, for failures the
	// sync finds itself (bad data, an unstable feed).
	Failure(code, message string) error
}

// UpsertOutcome says what an account upsert did.
type UpsertOutcome string

// The account upsert outcomes.
const (
	Created   UpsertOutcome = "created"
	Updated   UpsertOutcome = "updated"
	Unchanged UpsertOutcome = "unchanged"
)

// Ledger is what the sync needs of the accounts module. Every call joins the
// database transaction ctx carries. ApplyEntries writes entries by their
// canonical provider id, removes the removed ones, and records balance (when
// valid) as the provider's latest balance of the account.
type Ledger interface {
	UpsertAccount(ctx context.Context, owner uuid.UUID, c Connection, a ProviderAccount) (uuid.UUID, UpsertOutcome, error)
	ApplyEntries(ctx context.Context, owner uuid.UUID, accountID uuid.UUID, upserts []domain.Entry, removed []string, balance money.NullAmount) error
	// Balance reads an account's balances as the subject may see them (not_found
	// or forbidden otherwise), inside the transaction ctx carries.
	Balance(ctx context.Context, sub authn.Subject, accountID uuid.UUID) (LedgerBalance, error)
}

// LedgerBalance is an account's ledger balance beside the provider's last
// reported balance (not valid for a manual account).
type LedgerBalance struct {
	Name      string
	Currency  string
	Ledger    money.Amount
	Provider  money.NullAmount
	Available money.NullAmount
}

// ErrLeaseLost is returned by Repository.Guard when the run no longer holds its
// lease: it must write nothing more.
var ErrLeaseLost = errors.New("sync: the run lost its lease on the connection")

// RunFilter selects runs for a list, newest first.
type RunFilter struct {
	UserID       uuid.UUID
	ConnectionID uuid.NullUUID
	Before       uuid.NullUUID
	Limit        int
}

// SuggestionView is a pending-match suggestion as the owner sees it.
type SuggestionView struct {
	ID           uuid.UUID
	ConnectionID uuid.UUID
	UserID       uuid.UUID
	AccountID    uuid.UUID
	Posted       domain.Fact
	Pending      domain.Fact
	CreatedAt    time.Time
}

// Repository is the sync module's store. InTx runs fn in one database
// transaction (nested calls join it); Guard, called first inside each such
// transaction, renews the lease and fails with ErrLeaseLost when the run lost
// it, so that a zombie run's transaction writes nothing.
type Repository interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	Claim(ctx context.Context, connectionID uuid.UUID, owner string, now time.Time, ttl time.Duration) (int64, bool, error)
	Guard(ctx context.Context, connectionID uuid.UUID, owner string, fence int64, until time.Time) error
	Release(ctx context.Context, connectionID uuid.UUID, owner string, fence int64) error
	State(ctx context.Context, connectionID uuid.UUID) (domain.State, error)
	SaveState(ctx context.Context, connectionID uuid.UUID, st domain.State) error
	CreateRun(ctx context.Context, r domain.Run) error
	SaveRun(ctx context.Context, r domain.Run) error
	InterruptRuns(ctx context.Context, connectionID uuid.UUID, now time.Time) error
	Run(ctx context.Context, id uuid.UUID) (domain.Run, error)
	// LastSuccess is when the connection's last successful run of kind ended; nil
	// when none did or the connection's last finished run failed (a manual sync
	// after a failure, e.g. right after reauthorizing, need not wait the interval).
	LastSuccess(ctx context.Context, connectionID uuid.UUID, kind domain.Kind) (*time.Time, error)
	Runs(ctx context.Context, f RunFilter) ([]domain.Run, error)
	AccountMap(ctx context.Context, connectionID uuid.UUID) (map[string]uuid.UUID, error)
	MapAccount(ctx context.Context, connectionID uuid.UUID, providerAccountID string, accountID uuid.UUID) error
	Known(ctx context.Context, connectionID uuid.UUID, page domain.Page) (domain.Known, error)
	SaveFacts(ctx context.Context, connectionID, runID uuid.UUID, facts []domain.Fact) error
	AddSuggestions(ctx context.Context, connectionID, userID uuid.UUID, accounts map[string]uuid.UUID, s []domain.Suggestion, now time.Time) error
	Suggestions(ctx context.Context, userID uuid.UUID, accountID uuid.NullUUID) ([]SuggestionView, error)
	Suggestion(ctx context.Context, id uuid.UUID) (SuggestionView, error)
	ResolveSuggestion(ctx context.Context, id uuid.UUID, status string, now time.Time) error
	// SaveSnapshots upserts balance snapshots by (account, source, day).
	SaveSnapshots(ctx context.Context, snaps []domain.Snapshot) error
	// Snapshots returns an account's snapshots from from to to (days, both
	// inclusive), oldest first.
	Snapshots(ctx context.Context, accountID uuid.UUID, from, to time.Time) ([]domain.Snapshot, error)
	// Drift returns an account's drift record (zero with the ids unset before
	// its first observed run).
	Drift(ctx context.Context, accountID uuid.UUID) (domain.Drift, error)
	SaveDrift(ctx context.Context, d domain.Drift) error
	// UserConnections returns the connections the user's runs were of.
	UserConnections(ctx context.Context, userID uuid.UUID) ([]uuid.UUID, error)
	// Drifting returns the user's accounts whose drift persists.
	Drifting(ctx context.Context, userID uuid.UUID) ([]domain.Drift, error)
}

// Authorizer answers whether a subject may act on a resource.
type Authorizer interface {
	Authorize(ctx context.Context, s authn.Subject, r authz.Resource, action string) error
}

// Queue enqueues sync jobs: one per connection while one waits or runs
// (duplicate reports that one already did).
type Queue interface {
	EnqueueSync(ctx context.Context, connectionID uuid.UUID, trigger domain.Trigger) (duplicate bool, err error)
}

// Event is a domain event the sync announces: Type one of API.md's event types,
// published in the transaction of the change it reports.
type Event struct {
	Type         string
	UserID       uuid.UUID
	ConnectionID uuid.UUID
	AccountID    uuid.UUID
	SyncID       uuid.UUID
	Data         map[string]any
}

// Publisher writes events to the persisted event log inside the transaction
// ctx carries.
type Publisher interface {
	Publish(ctx context.Context, e Event) error
}

// NoPublisher announces nothing.
type NoPublisher struct{}

// Publish does nothing.
func (NoPublisher) Publish(context.Context, Event) error { return nil }
