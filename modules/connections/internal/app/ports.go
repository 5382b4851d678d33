// Package app holds the connections module's use cases: linking a provider
// (OAuth consent, setup token, file), the connection's settings and lifecycle,
// OFX imports, and what the sync module needs to call a provider. Every use case
// loads the connection, then asks the Authorizer; it reaches providers only
// through the provider port, credentials only through the Sealer, and accounts
// only through the Accounts port.
package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// Repository keeps connections, their status history and OAuth states. Update and
// Create save the connection's status changes in its history in the same
// database transaction.
type Repository interface {
	// Create inserts a new connection.
	Create(ctx context.Context, c *domain.Connection) error
	// Get returns the connection with id, or a not_found error.
	Get(ctx context.Context, id uuid.UUID) (domain.Connection, error)
	// Update loads the connection with id locked, calls fn with the transaction's
	// ctx, and saves what fn changed with its version incremented. An error from
	// fn rolls everything back and is returned as it is.
	Update(ctx context.Context, id uuid.UUID, fn func(ctx context.Context, c *domain.Connection) error) error
	// List returns one page of a user's connections, by id.
	List(ctx context.Context, q ListQuery) ([]domain.Connection, bool, error)
	// History returns a connection's status changes, newest first, at most limit.
	History(ctx context.Context, id uuid.UUID, limit int) ([]domain.History, error)
	// Due returns up to limit usable connections with auto-sync whose next sync
	// is at or before now, soonest first.
	Due(ctx context.Context, now time.Time, limit int) ([]domain.Connection, error)
	// SaveState stores a new OAuth state.
	SaveState(ctx context.Context, s OAuthState) error
	// State returns the OAuth state with the hash, if any.
	State(ctx context.Context, hash string) (OAuthState, bool, error)
	// ConsumeState deletes the OAuth state with the hash and reports whether this
	// call deleted it, so that of two racing callbacks only one wins.
	ConsumeState(ctx context.Context, hash string) (bool, error)
	// Atomically runs fn in one database transaction; the other methods, and the
	// accounts contract, join it through ctx.
	Atomically(ctx context.Context, fn func(ctx context.Context) error) error
}

// ListQuery selects one page of a user's connections after an optional id.
type ListQuery struct {
	UserID   uuid.UUID
	Provider string
	Status   domain.Status
	After    uuid.NullUUID
	Limit    int
}

// OAuthState is a pending OAuth consent: only the hash of the state value is
// kept, with the user who started it, the connection it completes and when it
// expires.
type OAuthState struct {
	Hash         string
	UserID       uuid.UUID
	ConnectionID uuid.UUID
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// Sealer encrypts credentials at rest; platform/secretbox implements it. The
// associated data binds a ciphertext to its connection.
type Sealer interface {
	Seal(plaintext, associatedData []byte) ([]byte, error)
	Open(ciphertext, associatedData []byte) ([]byte, error)
}

// Authorizer decides whether a subject may act on a resource.
type Authorizer interface {
	Authorize(ctx context.Context, s authn.Subject, r authz.Resource, action string) error
}

// Publisher announces domain events; the events platform implements it. Publish
// is called inside the database transaction that makes the change (ctx carries
// it), so a persisted event log commits or rolls back with the change.
type Publisher interface {
	Publish(ctx context.Context, e domain.ConnectionStatusChanged) error
}

// Clock tells the time; tests pass a fixed one.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time in UTC, to the microsecond both databases keep.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Registry is the providers Kontor offers, by slug.
type Registry map[string]provider.Provider

// Accounts is what the connections module needs of the accounts module: linked
// accounts kept by provider account id, their transactions by provider
// transaction id, and the lists of a connection's accounts.
type Accounts interface {
	// UpsertAccount creates or refreshes the account mirroring a provider account.
	UpsertAccount(ctx context.Context, sub authn.Subject, in LinkedAccount) (uuid.UUID, UpsertOutcome, error)
	// SyncTransactions applies a batch of provider transactions to an account.
	SyncTransactions(ctx context.Context, sub authn.Subject, in TransactionBatch) (TransactionCounts, error)
	// DeactivateConnection makes every account of the connection inactive.
	DeactivateConnection(ctx context.Context, sub authn.Subject, connectionID uuid.UUID) (int, error)
	// ConnectionAccounts lists one page of the connection's accounts with the
	// filters of GET /accounts, already decoded by the caller.
	ConnectionAccounts(ctx context.Context, sub authn.Subject, connectionID uuid.UUID, query accounts.AccountQuery) (accounts.AccountPage, error)
	// CountAccounts returns how many accounts each connection has.
	CountAccounts(ctx context.Context, sub authn.Subject, connectionIDs []uuid.UUID) (map[uuid.UUID]int, error)
}

// UpsertOutcome says what an upsert did.
type UpsertOutcome string

// The outcomes of an upsert.
const (
	AccountCreated   UpsertOutcome = "created"
	AccountUpdated   UpsertOutcome = "updated"
	AccountUnchanged UpsertOutcome = "unchanged"
)

// LinkedAccount is a provider account to mirror.
type LinkedAccount struct {
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
}

// LinkedTransaction is a provider transaction to mirror; Amount is signed and
// Status pending or posted (Pending says the same). PendingTransactionID, on a
// posted one, names the pending transaction it replaces.
type LinkedTransaction struct {
	ProviderTransactionID string
	PendingTransactionID  string
	Pending               bool
	Type                  string
	Amount                money.Amount
	Description           string
	Counterparty          string
	Status                string
	BookedAt              time.Time
}

// TransactionBatch is what one account receives: entries to add or revise, ids
// withdrawn, and the balance the provider reports.
type TransactionBatch struct {
	AccountID       uuid.UUID
	Upserts         []LinkedTransaction
	Removed         []string
	ReportedBalance money.NullAmount
}

// TransactionCounts counts what a batch did.
type TransactionCounts struct {
	Added     int
	Modified  int
	Removed   int
	Unchanged int
}

// ImportRun is a statement import as the sync module's audit trail records it:
// when it ran, what it did, and (ErrorCode set) why it failed.
type ImportRun struct {
	ConnectionID uuid.UUID
	UserID       uuid.UUID
	StartedAt    time.Time
	FinishedAt   time.Time
	Summary      ImportSummary
	ErrorCode    string
	ErrorMessage string
}

// RunRecorder records statement imports as sync runs (trigger import) and
// returns the run's id. The sync module provides it; the connections module
// never depends on that module. ctx may carry the import's transaction, which
// the record joins, so an import and its run commit together.
type RunRecorder interface {
	RecordImport(ctx context.Context, run ImportRun) (uuid.UUID, error)
}

// NoRunRecorder records nothing, for an installation without a sync module.
type NoRunRecorder struct{}

// RecordImport records nothing and returns no id.
func (NoRunRecorder) RecordImport(context.Context, ImportRun) (uuid.UUID, error) {
	return uuid.Nil, nil
}
