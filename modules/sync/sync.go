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
