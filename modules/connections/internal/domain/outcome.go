package domain

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/apperr"
)

// ReasonCode names why a connection is not simply active; the values are the
// provider error codes of API.md's status_reason.
type ReasonCode string

// The reason codes.
const (
	CodeAuthExpired         ReasonCode = "auth_expired"
	CodeAuthRevoked         ReasonCode = "auth_revoked"
	CodeConsentDenied       ReasonCode = "consent_denied"
	CodeRateLimited         ReasonCode = "rate_limited"
	CodeProviderUnavailable ReasonCode = "provider_unavailable"
	CodeBadData             ReasonCode = "bad_data"
	CodeTokenCompromised    ReasonCode = "token_compromised"
)

// Action names what fixes a connection.
type Action string

// The actions of API.md.
const (
	ActionReauthorize   Action = "reauthorize"
	ActionRetry         Action = "retry"
	ActionNewSetupToken Action = "new_setup_token"
	ActionNone          Action = "none"
)

// Reason is why a connection is where it is, in words a person can act on.
type Reason struct {
	Code    ReasonCode
	Message string
	Action  Action
}

// History is one recorded change of status: from and to, the reason code (empty
// for changes that are no failure, such as a link or a disconnect), the words, and
// the action that fixes it.
type History struct {
	From    Status
	To      Status
	Code    ReasonCode
	Message string
	Action  Action
	At      time.Time
}

// StatusChange is a History entry not yet saved.
type StatusChange = History

// Reason returns the change's reason when it names a provider code, else nil.
func (h History) Reason() *Reason {
	if h.Code == "" {
		return nil
	}
	return &Reason{Code: h.Code, Message: h.Message, Action: h.Action}
}

// Outcome is how a provider call ended: Code empty for success, else the typed
// provider failure with the provider's words and, for rate limits, how long to
// wait.
type Outcome struct {
	Code       ReasonCode
	Message    string
	RetryAfter time.Duration
}

// Succeeded reports whether the outcome is a success.
func (o Outcome) Succeeded() bool { return o.Code == "" }

// transition is what a failure code does to a connection.
type transition struct {
	to        Status // "" means stays where it is (transient)
	action    Action
	transient bool
}

var transitions = map[ReasonCode]transition{
	CodeAuthExpired:         {to: StatusNeedsReauth, action: ActionReauthorize},
	CodeAuthRevoked:         {to: StatusNeedsReauth, action: ActionReauthorize},
	CodeTokenCompromised:    {to: StatusNeedsReauth, action: ActionNewSetupToken},
	CodeConsentDenied:       {to: StatusError, action: ActionReauthorize},
	CodeBadData:             {to: StatusError, action: ActionRetry},
	CodeRateLimited:         {action: ActionRetry, transient: true},
	CodeProviderUnavailable: {action: ActionRetry, transient: true},
}

// defaultMessages say what a failure means when the provider gave no words.
var defaultMessages = map[ReasonCode]string{
	CodeAuthExpired:         "The bank's authorization has expired; reconnect to keep syncing.",
	CodeAuthRevoked:         "The bank withdrew Kontor's access; reconnect to keep syncing.",
	CodeTokenCompromised:    "The access was refused. The setup token may be compromised: disable it at SimpleFIN Bridge and create a new one.",
	CodeConsentDenied:       "The bank's consent was refused, so nothing was linked.",
	CodeBadData:             "The provider sent data Kontor could not read; retry later.",
	CodeRateLimited:         "The provider asked Kontor to slow down; the sync will be retried later.",
	CodeProviderUnavailable: "The provider could not be reached; the sync will be retried later.",
}

// maxBackoff bounds the wait after transient failures.
const maxBackoff = 6 * time.Hour

// RecordOutcome applies the outcome of a sync attempt. Success makes the
// connection active; an auth failure asks for the owner (needs_reauth, no more
// scheduled syncs); bad data or a refused consent is an error; a rate limit or an
// unavailable provider leaves an active connection active with the attempt failed
// and a later retry, until MaxTransientFailures in a row turn it to error. An
// unknown code counts as the provider being unavailable. Pending and disconnected
// connections take no outcome.
func (c *Connection) RecordOutcome(o Outcome, now time.Time) error {
	switch c.Status {
	case StatusDisconnected:
		return errDisconnected()
	case StatusPending:
		return apperr.New(CodeNotActive, "The connection is not linked yet.")
	}
	c.LastAttemptAt = &now
	if o.Succeeded() {
		c.LastSyncAt = &now
		c.LastSyncStatus = SyncSucceeded
		c.ConsecutiveFailures = 0
		if c.Status != StatusActive {
			c.record(c.Status, StatusActive, History{Message: "The sync succeeded again."}, now)
		} else {
			c.UpdatedAt = now
			c.scheduleNext(now, 0)
		}
		return nil
	}
	t, ok := transitions[o.Code]
	if !ok {
		o.Code, t = CodeProviderUnavailable, transitions[CodeProviderUnavailable]
	}
	msg := o.Message
	if msg == "" {
		msg = defaultMessages[o.Code]
	}
	c.LastSyncStatus = SyncFailed
	c.ConsecutiveFailures++
	h := History{Code: o.Code, Message: msg, Action: t.action}
	if !t.transient {
		c.record(c.Status, t.to, h, now)
		return nil
	}
	if c.ConsecutiveFailures >= MaxTransientFailures && c.Status == StatusActive {
		c.record(c.Status, StatusError, h, now)
		return nil
	}
	c.UpdatedAt = now
	if c.Status == StatusActive {
		c.scheduleNext(now, backoff(c.ConsecutiveFailures, o.RetryAfter, c.SyncIntervalMinutes))
	}
	return nil
}

// backoff is the wait before the next attempt after n transient failures in a
// row: the interval doubled per failure, never beyond six hours, and never
// shorter than the provider's Retry-After.
func backoff(n int, retryAfter time.Duration, intervalMinutes int) time.Duration {
	d := time.Duration(intervalMinutes) * time.Minute
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	return max(d, retryAfter)
}

// ConnectionStatusChanged announces a change of a connection's status. The events
// platform persists and streams it; OccurredAt is when the change happened.
type ConnectionStatusChanged struct {
	ConnectionID uuid.UUID
	UserID       uuid.UUID
	Provider     string
	From         Status
	To           Status
	Reason       *Reason
	OccurredAt   time.Time
}

// EventType is the event's name on the stream.
func (ConnectionStatusChanged) EventType() string { return "ConnectionStatusChanged" }

// The module's own error codes, registered with apperr (status and title) when the
// package is initialised.
var (
	CodeInvalidState         = apperr.Register("invalid_state", http.StatusBadRequest, "Invalid or expired link state")
	CodeInvalidGrant         = apperr.Register("invalid_grant", http.StatusBadRequest, "Authorization not accepted")
	CodeTokenCompromisedErr  = apperr.Register("token_compromised", http.StatusUnprocessableEntity, "Setup token may be compromised")
	CodeNotReauthorizable    = apperr.Register("connection_not_reauthorizable", http.StatusConflict, "Connection cannot be reauthorized")
	CodeInvalidStatementFile = apperr.Register("invalid_statement_file", http.StatusUnprocessableEntity, "Statement file cannot be read")
	CodeNotImportable        = apperr.Register("connection_not_importable", http.StatusConflict, "Connection takes no files")
	CodeDisconnected         = apperr.Register("connection_disconnected", http.StatusConflict, "Connection is disconnected")
	CodeProviderFailed       = apperr.Register("provider_unavailable", http.StatusBadGateway, "Provider unavailable")
	CodeNotActive            = apperr.ConnectionNotActive
)
