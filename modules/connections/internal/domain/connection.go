package domain

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/apperr"
)

// Status is where a connection stands in its lifecycle.
type Status string

// The statuses of API.md.
const (
	StatusPending      Status = "pending"
	StatusActive       Status = "active"
	StatusNeedsReauth  Status = "needs_reauth"
	StatusError        Status = "error"
	StatusDisconnected Status = "disconnected"
)

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusActive, StatusNeedsReauth, StatusError, StatusDisconnected:
		return true
	}
	return false
}

// SyncStatus is how the last sync attempt ended: succeeded, failed, or "" when
// none has run.
type SyncStatus string

// The outcomes of a sync attempt.
const (
	SyncSucceeded SyncStatus = "succeeded"
	SyncFailed    SyncStatus = "failed"
)

// Limits of what a person may set.
const (
	MaxAliasLength = 100
	// MinSyncInterval and MaxSyncInterval bound sync_interval_minutes (one week).
	MinSyncInterval = 1
	MaxSyncInterval = 10080
	// DefaultSyncInterval is the interval of a new connection (API.md: 15 minutes).
	DefaultSyncInterval = 15
	// SimpleFINSlug names the provider whose Bridge allows 24 requests a day.
	SimpleFINSlug = "simplefin"
	// SimpleFINMinSyncInterval keeps scheduled syncs within the Bridge's budget.
	SimpleFINMinSyncInterval = 60
	// SimpleFINDefaultSyncInterval syncs six times a day, leaving most of the
	// daily budget for syncs the owner asks for.
	SimpleFINDefaultSyncInterval = 240
	// MaxTransientFailures is how many rate-limited or unavailable answers in a
	// row a connection takes before it shows as error instead of staying active.
	MaxTransientFailures = 3
)

// MinSyncIntervalFor returns the shortest sync interval a provider allows.
func MinSyncIntervalFor(provider string) int {
	if provider == SimpleFINSlug {
		return SimpleFINMinSyncInterval
	}
	return MinSyncInterval
}

// DefaultSyncIntervalFor returns the sync interval a new connection starts with.
func DefaultSyncIntervalFor(provider string) int {
	if provider == SimpleFINSlug {
		return SimpleFINDefaultSyncInterval
	}
	return DefaultSyncInterval
}

// Connection links one user to one provider login. Credentials are sealed bytes
// (the app seals and opens them); the domain only keeps or destroys them.
type Connection struct {
	ID                  uuid.UUID
	UserID              uuid.UUID
	Provider            string
	Alias               string
	Status              Status
	Reason              *Reason
	AutoSync            bool
	SyncIntervalMinutes int
	LastSyncAt          *time.Time
	LastSyncStatus      SyncStatus
	LastAttemptAt       *time.Time
	NextSyncAt          *time.Time
	ConsecutiveFailures int
	Credentials         []byte
	CreatedAt           time.Time
	UpdatedAt           time.Time
	Version             int64

	changes []StatusChange
}

// NewParams are what a new connection starts from.
type NewParams struct {
	ID       uuid.UUID
	UserID   uuid.UUID
	Provider string
	Alias    string
	Now      time.Time
}

// New returns a pending connection; Activate makes it usable.
func New(p NewParams) (*Connection, error) {
	alias, err := checkAlias(p.Alias)
	if err != nil {
		return nil, err
	}
	c := &Connection{
		ID: p.ID, UserID: p.UserID, Provider: p.Provider, Alias: alias, Status: StatusPending,
		AutoSync: true, SyncIntervalMinutes: DefaultSyncIntervalFor(p.Provider),
		CreatedAt: p.Now, UpdatedAt: p.Now,
	}
	c.record("", StatusPending, History{Message: "Link started."}, p.Now)
	return c, nil
}

func checkAlias(alias string) (string, error) {
	alias = strings.TrimSpace(alias)
	if utf8.RuneCountInString(alias) > MaxAliasLength {
		return "", apperr.Validation(apperr.FieldError{Field: "alias", Message: "must be at most 100 characters"})
	}
	if strings.ContainsFunc(alias, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", apperr.Validation(apperr.FieldError{Field: "alias", Message: "must not contain control characters"})
	}
	return alias, nil
}

// Changes returns the status changes made since the connection was loaded, in
// order; the store records them in the status history.
func (c *Connection) Changes() []StatusChange { return c.changes }

// Events returns a ConnectionStatusChanged for every status change since the
// connection was loaded.
func (c *Connection) Events() []ConnectionStatusChanged {
	out := make([]ConnectionStatusChanged, 0, len(c.changes))
	for _, ch := range c.changes {
		out = append(out, ConnectionStatusChanged{
			ConnectionID: c.ID, UserID: c.UserID, Provider: c.Provider,
			From: ch.From, To: ch.To, Reason: ch.Reason(), OccurredAt: ch.At,
		})
	}
	return out
}

// ClearChanges forgets the recorded changes once they are saved.
func (c *Connection) ClearChanges() { c.changes = nil }

// record moves the connection to status to and remembers why. The current
// reason is the history's reason when it names a provider code, else none.
func (c *Connection) record(from, to Status, h History, now time.Time) {
	c.Status = to
	c.UpdatedAt = now
	h.From, h.To, h.At = from, to, now
	c.Reason = h.Reason()
	c.changes = append(c.changes, h)
	c.scheduleNext(now, 0)
}

// scheduleNext sets when the scheduler should sync next: only an active
// connection with auto-sync is scheduled; delay, when positive, replaces the
// interval (a backoff or the provider's Retry-After).
func (c *Connection) scheduleNext(now time.Time, delay time.Duration) {
	if c.Status != StatusActive || !c.AutoSync {
		c.NextSyncAt = nil
		return
	}
	if delay <= 0 {
		if c.LastAttemptAt == nil {
			next := now // never synced: at once
			c.NextSyncAt = &next
			return
		}
		delay = time.Duration(c.SyncIntervalMinutes) * time.Minute
	}
	next := now.Add(delay)
	c.NextSyncAt = &next
}

// Usable reports whether the connection may be synced: active, or failing in a
// way that a new attempt could mend (error with action retry). A connection that
// needs its owner (reauthorize, new setup token) or is gone is not.
func (c *Connection) Usable() bool {
	switch c.Status {
	case StatusActive:
		return true
	case StatusError:
		return c.Reason != nil && c.Reason.Action == ActionRetry
	}
	return false
}

// Activate makes the connection usable with its (new) sealed credentials, after a
// consent, a claimed setup token or a reauthorization; a file connection passes
// none. message says what happened, for the history.
func (c *Connection) Activate(credentials []byte, message string, now time.Time) error {
	if c.Status == StatusDisconnected {
		return errDisconnected()
	}
	c.Credentials = credentials
	c.ConsecutiveFailures = 0
	c.record(c.Status, StatusActive, History{Message: message}, now)
	if c.NextSyncAt != nil {
		c.NextSyncAt = &now // a new or mended link is synced at once
	}
	return nil
}

// DenyConsent records that the person refused the provider's consent: the
// connection shows error, fixed by authorizing again.
func (c *Connection) DenyConsent(message string, now time.Time) error {
	if c.Status == StatusDisconnected {
		return errDisconnected()
	}
	if message == "" {
		message = "The bank's consent was refused, so nothing was linked."
	}
	c.record(c.Status, StatusError, History{Code: CodeConsentDenied, Message: message, Action: ActionReauthorize}, now)
	return nil
}

// ReplaceCredentials keeps refreshed credentials without a change of status.
func (c *Connection) ReplaceCredentials(credentials []byte, now time.Time) {
	c.Credentials = credentials
	c.UpdatedAt = now
}

// Disconnect ends the link: the credentials are destroyed and the connection is
// disconnected for good. It reports whether anything changed (a second
// disconnect changes nothing).
func (c *Connection) Disconnect(now time.Time) bool {
	if c.Status == StatusDisconnected {
		return false
	}
	c.Credentials = nil
	c.record(c.Status, StatusDisconnected, History{Message: "Disconnected by the owner; the credentials were destroyed."}, now)
	return true
}

// CheckReauthorizable says whether the owner may run the provider's consent again
// on this connection: only OAuth providers, and only a connection that is pending,
// needs reauthorization or is in error.
func (c *Connection) CheckReauthorizable(oauth bool) error {
	if !oauth {
		return apperr.New(CodeNotReauthorizable, "A %s connection is not linked through a bank consent, so it cannot be reauthorized.", c.Provider)
	}
	switch c.Status {
	case StatusPending, StatusNeedsReauth, StatusError:
		return nil
	}
	return apperr.New(CodeNotReauthorizable, "A connection that is %s cannot be reauthorized.", strings.ReplaceAll(string(c.Status), "_", " "))
}

// Settings is a change of what the owner may set; nil fields stay.
type Settings struct {
	Alias               *string
	AutoSync            *bool
	SyncIntervalMinutes *int
}

// Apply changes the settings, checking every field first so nothing changes when
// one is wrong.
func (c *Connection) Apply(s Settings, now time.Time) error {
	var errs apperr.Fields
	alias := c.Alias
	if s.Alias != nil {
		a, err := checkAlias(*s.Alias)
		if e, ok := apperr.As(err); ok {
			errs = append(errs, e.Fields...)
		}
		alias = a
	}
	if s.SyncIntervalMinutes != nil {
		n, lo := *s.SyncIntervalMinutes, MinSyncIntervalFor(c.Provider)
		switch {
		case n < MinSyncInterval || n > MaxSyncInterval:
			errs.Add("sync_interval_minutes", "must be between %d and %d minutes", MinSyncInterval, MaxSyncInterval)
		case n < lo:
			errs.Add("sync_interval_minutes", "must be at least %d minutes for %s, whose Bridge allows 24 requests a day", lo, c.Provider)
		}
	}
	if err := errs.Err(); err != nil {
		return err
	}
	if c.Status == StatusDisconnected {
		return errDisconnected()
	}
	c.Alias = alias
	if s.AutoSync != nil {
		c.AutoSync = *s.AutoSync
	}
	if s.SyncIntervalMinutes != nil {
		c.SyncIntervalMinutes = *s.SyncIntervalMinutes
	}
	c.UpdatedAt = now
	if s.AutoSync != nil || s.SyncIntervalMinutes != nil {
		base := now
		if c.LastAttemptAt != nil {
			base = *c.LastAttemptAt
		}
		c.scheduleNext(base, 0)
		if c.NextSyncAt != nil && c.NextSyncAt.Before(now) {
			c.NextSyncAt = &now
		}
	}
	return nil
}

func errDisconnected() error {
	return apperr.New(CodeDisconnected, "The connection is disconnected; link the provider again to use it.")
}
