// Package events is Kontor's domain event log and its delivery.
//
// Publish writes an event into the persisted log (table event_log) in the same
// transaction as the change it reports, so an event exists exactly when its change
// does. Every process runs one Bus: it reads the log for new rows and hands each
// committed event, in id order, to its subscribers (Subscribe) and to the open
// GET /api/v1/events streams, which replay from the log after Last-Event-ID.
//
// Cross-instance delivery polls the log (every KONTOR_EVENTS_POLL_INTERVAL, 500 ms
// by default) rather than using PostgreSQL LISTEN/NOTIFY, because:
//   - the same code then works on SQLite, where there is no NOTIFY;
//   - Kontor's pool is pgx's database/sql driver, which cannot LISTEN: NOTIFY
//     would need a second, dedicated connection per process that must be watched
//     and re-established, and a notification lost while it is down must be
//     recovered by reading the log anyway;
//   - one query per process per interval (not per stream) is cheap: an index scan
//     of event_log's primary key past the last id seen.
//
// Events of this process do not wait for the next poll: Publish asks the Bus to
// read the log right after the transaction commits (database.AfterCommit), so
// in-process subscribers get them at once; another instance's events arrive within
// one poll interval.
//
// Ids increase in commit order, so "every event after id N" is exact: on SQLite
// writers are serialised; on PostgreSQL Publish takes a transaction-scoped advisory
// lock before it inserts, so no transaction can commit a smaller id after a larger
// one became visible. The lock is held until the publishing transaction ends, so
// publish as the last write of a transaction.
package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Type names a kind of domain event, e.g. "AccountSyncSucceeded".
type Type string

// The event types of API.md's "Sync" section.
const (
	AccountSyncAttempted     Type = "AccountSyncAttempted"
	AccountSyncSucceeded     Type = "AccountSyncSucceeded"
	AccountSyncFailed        Type = "AccountSyncFailed"
	TransactionSyncAttempted Type = "TransactionSyncAttempted"
	TransactionSyncSucceeded Type = "TransactionSyncSucceeded"
	TransactionSyncFailed    Type = "TransactionSyncFailed"
	ConnectionStatusChanged  Type = "ConnectionStatusChanged"
	AccountBalanceUpdated    Type = "AccountBalanceUpdated"
)

var registry = struct {
	sync.RWMutex
	types map[Type]bool
}{types: map[Type]bool{}}

func init() {
	Register(AccountSyncAttempted, AccountSyncSucceeded, AccountSyncFailed,
		TransactionSyncAttempted, TransactionSyncSucceeded, TransactionSyncFailed,
		ConnectionStatusChanged, AccountBalanceUpdated)
}

// Register adds event types to the registry; Publish refuses types it does not
// know. Modules register theirs in an init function. Registering twice is harmless.
func Register(types ...Type) {
	registry.Lock()
	defer registry.Unlock()
	for _, t := range types {
		registry.types[t] = true
	}
}

// Registered reports whether t is a known event type.
func Registered(t Type) bool {
	registry.RLock()
	defer registry.RUnlock()
	return registry.types[t]
}

// Types returns every registered type, sorted.
func Types() []Type {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Type, 0, len(registry.types))
	for t := range registry.types {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Event is one domain event. Its JSON payload (Payload) is the type, the time, the
// ids that are set and the fields of Data.
type Event struct {
	// ID is the event's position in the log, set by Publish; it increases in
	// commit order and is the SSE "id:".
	ID int64
	// Type is a registered event type.
	Type Type
	// UserID owns the event; only this user's streams receive it. Required.
	UserID uuid.UUID
	// OccurredAt defaults to the time of Publish; stored in UTC to the microsecond.
	OccurredAt time.Time
	// ConnectionID, AccountID and SyncID are optional (uuid.Nil when absent).
	ConnectionID uuid.UUID
	AccountID    uuid.UUID
	SyncID       uuid.UUID
	// Data holds further payload fields (e.g. "status", "stats", "error"). Its keys
	// may not repeat the fixed ones (reservedKeys). Values must marshal to JSON;
	// read back from the log, numbers are json.Number.
	Data map[string]any
}

// reservedKeys are the payload keys Event's own fields fill.
var reservedKeys = map[string]bool{
	"id": true, "type": true, "user_id": true, "occurred_at": true,
	"connection_id": true, "account_id": true, "sync_id": true,
}

// Payload returns the event's JSON object, the SSE "data:" line: {"type",
// "occurred_at", "user_id", "connection_id"?, "account_id"?, "sync_id"?, ...Data}.
// It has no newline, and its keys are in a fixed order, so every engine and every
// instance writes the same bytes.
func (e Event) Payload() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	first := true
	field := func(key string, val any) error {
		b, err := json.Marshal(val)
		if err != nil {
			return fmt.Errorf("event %s: field %s: %w", e.Type, key, err)
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(key)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(b)
		return nil
	}
	if err := field("type", e.Type); err != nil {
		return nil, err
	}
	if err := field("occurred_at", e.OccurredAt.UTC().Format(time.RFC3339Nano)); err != nil {
		return nil, err
	}
	if err := field("user_id", e.UserID); err != nil {
		return nil, err
	}
	for _, id := range []struct {
		key string
		val uuid.UUID
	}{{"connection_id", e.ConnectionID}, {"account_id", e.AccountID}, {"sync_id", e.SyncID}} {
		if id.val != uuid.Nil {
			if err := field(id.key, id.val); err != nil {
				return nil, err
			}
		}
	}
	keys := make([]string, 0, len(e.Data))
	for k := range e.Data {
		if reservedKeys[k] {
			return nil, fmt.Errorf("event %s: Data may not set %q", e.Type, k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := field(k, e.Data[k]); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// dataFromPayload returns the payload's fields other than the fixed ones.
func dataFromPayload(payload []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var all map[string]any
	if err := dec.Decode(&all); err != nil {
		return nil, err
	}
	for k := range reservedKeys {
		delete(all, k)
	}
	if len(all) == 0 {
		return nil, nil
	}
	return all, nil
}
