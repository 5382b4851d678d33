// Package sync is Kontor's sync module: account and transaction syncs of a
// connection, on demand and on a schedule, through one run algorithm (a lease
// with a fence per connection, pages applied whole, pending→posted matching),
// with the audit trail of runs behind GET /syncs and the owner's decisions on
// pending-match suggestions. Other modules depend only on this file's contract.
package sync

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/sync/internal/app"
	"github.com/kontor-app/kontor/modules/sync/internal/domain"
	"github.com/kontor-app/kontor/platform/authn"
)

// Run is what other modules may know of a sync run. Kind is accounts,
// transactions or import; Trigger manual, schedule, link or import; Status
// running, succeeded or failed; ErrorCode and ErrorMessage say why a run failed.
type Run struct {
	ID           uuid.UUID
	ConnectionID uuid.UUID
	Kind         string
	Trigger      string
	Status       string
	StartedAt    time.Time
	FinishedAt   *time.Time
	ErrorCode    string
	ErrorMessage string
}

// Syncer is what other modules may ask of the sync module. System methods act
// for no person.
type Syncer interface {
	// SystemSyncLinked runs the first sync of a connection that has just become
	// active: accounts, then transactions, trigger link. It returns
	// sync_in_progress when another run holds the connection.
	SystemSyncLinked(ctx context.Context, connectionID uuid.UUID) (Run, error)
}

// Attention is one linked account that needs a look, as the dashboard lists
// it: Kind is broken_connection (reauthorize or see why it failed), stale_sync
// (its last success is older than twice the connection's interval) or
// provider_drift (the ledger differs from the provider's balance over two
// successful runs); Detail says it in words, and Link (with LinkText) is the
// page that shows what to do.
type Attention struct {
	AccountID    uuid.UUID
	AccountName  string
	ConnectionID uuid.UUID
	Kind         string
	Detail       string
	Link         string
	LinkText     string
}

// Health is what the dashboard may ask of the sync module.
type Health interface {
	// Attention lists the subject's linked accounts whose connection is broken
	// or stale, and those whose balance drifts from the provider's.
	Attention(ctx context.Context, sub authn.Subject) ([]Attention, error)
}

var _ Health = contract{}

// Attention lists the subject's accounts that need a look.
func (c contract) Attention(ctx context.Context, sub authn.Subject) ([]Attention, error) {
	items, err := c.svc.Health(ctx, sub)
	if err != nil {
		return nil, err
	}
	out := make([]Attention, len(items))
	for i, h := range items {
		out[i] = Attention(h)
	}
	return out, nil
}

// contract implements Syncer over the use cases.
type contract struct {
	svc *app.Service
}

var _ Syncer = contract{}

func runOf(r domain.Run) Run {
	out := Run{ID: r.ID, ConnectionID: r.ConnectionID, Kind: string(r.Kind), Trigger: string(r.Trigger), Status: string(r.Status),
		StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}
	if r.Error != nil {
		out.ErrorCode, out.ErrorMessage = r.Error.Code, r.Error.Message
	}
	return out
}

// SystemSyncLinked runs the first sync of a newly linked connection.
func (c contract) SystemSyncLinked(ctx context.Context, connectionID uuid.UUID) (Run, error) {
	r, err := c.svc.SystemSyncLinked(ctx, connectionID)
	if err != nil {
		return Run{}, err
	}
	return runOf(r), nil
}

// ConnectionPagePath is the page with a connection's "Sync now" buttons (plain
// form posts) and its sync history; connection and account pages link to it.
func ConnectionPagePath(connectionID uuid.UUID) string {
	return "/syncs/connections/" + connectionID.String()
}

// SuggestionsPagePath is the page where the owner confirms or rejects the
// pending-match suggestions of an account.
func SuggestionsPagePath(accountID uuid.UUID) string {
	return "/syncs/suggestions?account_id=" + accountID.String()
}

// HistoryPagePath is the sync history page.
const HistoryPagePath = "/syncs"
