// Package connections is Kontor's connections module: the providers a user links
// (the sandbox bank over OAuth 2.0, SimpleFIN Bridge, OFX/QFX files), each link's
// lifecycle and credentials, and statement imports. Other modules depend only on
// this file's contract; everything else is internal.
//
// The contract is Sync, for the sync module: load a connection that can be synced
// (as its owner asked, or as the scheduler, a system call), call its provider for
// accounts or a page of changes (credentials refreshed and saved as needed, never
// handed out), and report how the attempt ended, which moves the connection
// through its state machine. The provider's types are re-exported here, so the
// sync module speaks the provider port without importing it.
package connections

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/authn"
)

// The provider port's types, as the sync module sees them.
type (
	// ProviderAccount is an account as the provider reports it.
	ProviderAccount = provider.Account
	// ProviderTransaction is a transaction as the provider reports it.
	ProviderTransaction = provider.Transaction
	// TransactionsRequest asks for changes since a cursor or in a date window.
	TransactionsRequest = provider.TransactionsRequest
	// Changes is one page of a provider's change feed.
	Changes = provider.Changes
	// ProviderError is a typed provider failure.
	ProviderError = provider.Error
	// ProviderCode names a provider failure.
	ProviderCode = provider.Code
	// StatusChanged is the event announced when a connection's status changes.
	StatusChanged = domain.ConnectionStatusChanged
	// ImportRun is a statement import as a sync run records it: connection,
	// owner, start and end, its summary (accounts created and updated,
	// transactions added, modified and removed, duplicates), and for a failed
	// one its error code and words.
	ImportRun = app.ImportRun
)

// ImportRecorder is the port through which statement imports become sync runs
// with trigger import, recorded in the import's own database transaction (ctx
// carries it). The sync module provides it, so the connections module never
// imports that module; when none does, imports are not recorded and their
// sync_id is null.
type ImportRecorder interface {
	RecordImport(ctx context.Context, run ImportRun) (uuid.UUID, error)
}

// Connection is what the sync module may know of a connection; never its
// credentials. Status is one of pending, active, needs_reauth, error and
// disconnected; LastSyncStatus succeeded, failed or empty.
type Connection struct {
	ID                  uuid.UUID
	UserID              uuid.UUID
	Provider            string
	Status              string
	ReasonCode          string
	AutoSync            bool
	SyncIntervalMinutes int
	LastSyncAt          *time.Time
	LastSyncStatus      string
	LastAttemptAt       *time.Time
	NextSyncAt          *time.Time
	ConsecutiveFailures int
	Version             int64
}

// Sync is what the sync module needs of connections. Methods named System... act
// for no person (the scheduler and the sync worker) and ask no authorization;
// the others take the caller's Subject and authorize it (not_found, forbidden).
// A connection that cannot be synced now answers connection_not_active.
type Sync interface {
	// Connection returns the subject's connection whatever its status, for reads
	// such as a sync history filtered by connection.
	Connection(ctx context.Context, sub authn.Subject, id uuid.UUID) (Connection, error)
	// ConnectionForSync returns the subject's connection when it can be synced.
	ConnectionForSync(ctx context.Context, sub authn.Subject, id uuid.UUID) (Connection, error)
	// SystemConnectionForSync is ConnectionForSync for the scheduler.
	SystemConnectionForSync(ctx context.Context, id uuid.UUID) (Connection, error)
	// SystemDueConnections returns up to limit active auto-sync connections whose
	// next sync is due at now, soonest first.
	SystemDueConnections(ctx context.Context, now time.Time, limit int) ([]Connection, error)
	// SystemFetchAccounts calls the connection's provider for its accounts.
	SystemFetchAccounts(ctx context.Context, id uuid.UUID) ([]ProviderAccount, error)
	// SystemFetchTransactions calls the connection's provider for one page of
	// changes.
	SystemFetchTransactions(ctx context.Context, id uuid.UUID, req TransactionsRequest) (Changes, error)
	// SystemReportOutcome records how an attempt ended (nil for success, else the
	// error a fetch returned) and returns the connection as it now stands; ctx
	// may carry the sync's database transaction, which the change then joins.
	SystemReportOutcome(ctx context.Context, id uuid.UUID, result error) (Connection, error)
}

// contract implements Sync over the use cases.
type contract struct {
	svc *app.Service
}

var _ Sync = contract{}

func connectionOf(c domain.Connection) Connection {
	out := Connection{
		ID: c.ID, UserID: c.UserID, Provider: c.Provider, Status: string(c.Status), AutoSync: c.AutoSync,
		SyncIntervalMinutes: c.SyncIntervalMinutes, LastSyncAt: c.LastSyncAt, LastSyncStatus: string(c.LastSyncStatus),
		LastAttemptAt: c.LastAttemptAt, NextSyncAt: c.NextSyncAt, ConsecutiveFailures: c.ConsecutiveFailures, Version: c.Version,
	}
	if c.Reason != nil {
		out.ReasonCode = string(c.Reason.Code)
	}
	return out
}

func one(c domain.Connection, err error) (Connection, error) {
	if err != nil {
		return Connection{}, err
	}
	return connectionOf(c), nil
}

// ConnectionForSync returns the subject's connection when it can be synced.
func (k contract) Connection(ctx context.Context, sub authn.Subject, id uuid.UUID) (Connection, error) {
	return one(k.svc.ReadConnection(ctx, sub, id))
}

// ConnectionForSync returns the subject's connection when it can be synced.
func (k contract) ConnectionForSync(ctx context.Context, sub authn.Subject, id uuid.UUID) (Connection, error) {
	return one(k.svc.ConnectionForSync(ctx, sub, id))
}

// SystemConnectionForSync returns the connection when it can be synced.
func (k contract) SystemConnectionForSync(ctx context.Context, id uuid.UUID) (Connection, error) {
	return one(k.svc.SystemConnectionForSync(ctx, id))
}

// SystemDueConnections returns the connections due for a scheduled sync.
func (k contract) SystemDueConnections(ctx context.Context, now time.Time, limit int) ([]Connection, error) {
	cs, err := k.svc.SystemDueConnections(ctx, now, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Connection, len(cs))
	for i, c := range cs {
		out[i] = connectionOf(c)
	}
	return out, nil
}

// SystemFetchAccounts calls the provider for the connection's accounts.
func (k contract) SystemFetchAccounts(ctx context.Context, id uuid.UUID) ([]ProviderAccount, error) {
	return k.svc.FetchAccounts(ctx, id)
}

// SystemFetchTransactions calls the provider for one page of changes.
func (k contract) SystemFetchTransactions(ctx context.Context, id uuid.UUID, req TransactionsRequest) (Changes, error) {
	return k.svc.FetchTransactions(ctx, id, req)
}

// SystemReportOutcome records how a sync attempt ended.
func (k contract) SystemReportOutcome(ctx context.Context, id uuid.UUID, result error) (Connection, error) {
	return one(k.svc.SystemReportOutcome(ctx, id, result))
}
