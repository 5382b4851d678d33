// Package domain holds the sync module's rules in plain Go: what a sync run is and
// how it ends, the lease with its fence, the per-connection sync state (committed
// cursor, watermark, request budget), the windows a window provider is asked for,
// and how a posted transaction finds the pending one it replaces.
package domain

import (
	"time"

	"github.com/google/uuid"
)

// Kind says what a run syncs.
type Kind string

// The kinds of run API.md lists.
const (
	KindAccounts     Kind = "accounts"
	KindTransactions Kind = "transactions"
	KindImport       Kind = "import"
)

// Trigger says who asked for a run.
type Trigger string

// The triggers API.md lists.
const (
	TriggerManual   Trigger = "manual"
	TriggerSchedule Trigger = "schedule"
	TriggerLink     Trigger = "link"
	TriggerImport   Trigger = "import"
)

// Status is where a run stands.
type Status string

// The run statuses.
const (
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
)

// Stats counts what a run did. The first group is the Dashtam statistics of an
// account sync, the second those of a transaction sync; the rest say how the run
// went (pages applied, provider requests, restarts after a mutation during
// pagination).
type Stats struct {
	Created         int `json:"created"`
	Updated         int `json:"updated"`
	Unchanged       int `json:"unchanged"`
	AccountsCreated int `json:"accounts_created"`
	AccountsUpdated int `json:"accounts_updated"`
	Added           int `json:"added"`
	Modified        int `json:"modified"`
	Removed         int `json:"removed"`
	Duplicates      int `json:"duplicates"`
	LinkedPending   int `json:"linked_pending"`
	Suggestions     int `json:"suggestions"`
	Errors          int `json:"errors"`
	Pages           int `json:"pages"`
	Requests        int `json:"provider_requests"`
	Restarts        int `json:"restarts"`
}

// Merge adds o's counts to s.
func (s *Stats) Merge(o Stats) {
	s.Created += o.Created
	s.Updated += o.Updated
	s.Unchanged += o.Unchanged
	s.AccountsCreated += o.AccountsCreated
	s.AccountsUpdated += o.AccountsUpdated
	s.Added += o.Added
	s.Modified += o.Modified
	s.Removed += o.Removed
	s.Duplicates += o.Duplicates
	s.LinkedPending += o.LinkedPending
	s.Suggestions += o.Suggestions
	s.Errors += o.Errors
	s.Pages += o.Pages
	s.Requests += o.Requests
	s.Restarts += o.Restarts
}

// RunError is why a run failed: a machine code and words a person can act on.
type RunError struct {
	Code    string
	Message string
}

// Run is one sync attempt of one connection: the audit record behind GET /syncs.
type Run struct {
	ID           uuid.UUID
	ConnectionID uuid.UUID
	UserID       uuid.UUID
	Kind         Kind
	Trigger      Trigger
	Status       Status
	StartedAt    time.Time
	FinishedAt   *time.Time
	Stats        Stats
	Error        *RunError
	CursorFrom   string
	CursorTo     string
	Fence        int64
}

// NewRun starts a run.
func NewRun(id, connectionID, userID uuid.UUID, kind Kind, trigger Trigger, fence int64, cursorFrom string, now time.Time) Run {
	return Run{ID: id, ConnectionID: connectionID, UserID: userID, Kind: kind, Trigger: trigger, Status: StatusRunning,
		StartedAt: now, Fence: fence, CursorFrom: cursorFrom}
}

// Succeed ends the run well, at cursor (the committed cursor after it).
func (r *Run) Succeed(cursor string, now time.Time) {
	r.Status, r.FinishedAt, r.CursorTo, r.Error = StatusSucceeded, &now, cursor, nil
}

// Fail ends the run with why; the committed cursor stays where it started.
func (r *Run) Fail(e RunError, now time.Time) {
	r.Status, r.FinishedAt, r.CursorTo, r.Error = StatusFailed, &now, r.CursorFrom, &e
}

// Duration is how long the run took (so far, while it runs).
func (r Run) Duration(now time.Time) time.Duration {
	end := now
	if r.FinishedAt != nil {
		end = *r.FinishedAt
	}
	return end.Sub(r.StartedAt)
}

// Message sums the run up in one sentence, for the Dashtam "message" field.
func (r Run) Message() string {
	switch {
	case r.Status == StatusRunning:
		return "The sync is running."
	case r.Error != nil:
		return r.Error.Message
	case r.Kind == KindAccounts && r.Stats.Created+r.Stats.Updated == 0:
		return "The accounts are up to date."
	case r.Kind == KindAccounts:
		return "The accounts were synced."
	case r.Stats.Added+r.Stats.Modified+r.Stats.Removed == 0:
		return "Nothing new since the last sync."
	default:
		return "The transactions were synced."
	}
}
