package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/platform/database"
)

// Retention is how long the log keeps events; the prune job removes older ones.
// A stream resumed with an older Last-Event-ID replays what is left.
const Retention = 30 * 24 * time.Hour

// logLockKey is the PostgreSQL advisory lock that orders publishers (see the package
// documentation): ids become visible in the order they were assigned.
const logLockKey = 0x6b6f6e746f7201 // "kontor" 01

// ErrInvalidEvent wraps every reason Publish refuses an event.
var ErrInvalidEvent = errors.New("invalid event")

// eventRow is a row of event_log. data holds the whole payload; the ids are columns
// too, for queries by connection, account or sync run.
type eventRow struct {
	bun.BaseModel `bun:"table:event_log"`

	ID           int64         `bun:"id,pk,autoincrement"`
	UserID       uuid.UUID     `bun:"user_id"`
	Type         string        `bun:"type"`
	ConnectionID uuid.NullUUID `bun:"connection_id"`
	AccountID    uuid.NullUUID `bun:"account_id"`
	SyncID       uuid.NullUUID `bun:"sync_id"`
	OccurredAt   time.Time     `bun:"occurred_at"`
	Data         string        `bun:"data"`
}

func nullUUID(id uuid.UUID) uuid.NullUUID { return uuid.NullUUID{UUID: id, Valid: id != uuid.Nil} }

func (r *eventRow) event() (Event, error) {
	data, err := dataFromPayload([]byte(r.Data))
	if err != nil {
		return Event{}, fmt.Errorf("event %d: %w", r.ID, err)
	}
	return Event{
		ID:           r.ID,
		Type:         Type(r.Type),
		UserID:       r.UserID,
		OccurredAt:   r.OccurredAt.UTC(),
		ConnectionID: r.ConnectionID.UUID,
		AccountID:    r.AccountID.UUID,
		SyncID:       r.SyncID.UUID,
		Data:         data,
	}, nil
}

// Log is the persisted event log (table event_log).
type Log struct {
	db *database.DB
}

// NewLog returns the log stored in db.
func NewLog(db *database.DB) *Log { return &Log{db: db} }

// Append writes e in idb, which should be the transaction of the change e reports;
// given no transaction, Append runs in one of its own. It returns e with its ID and
// OccurredAt set.
func (l *Log) Append(ctx context.Context, idb bun.IDB, e Event) (Event, error) {
	if !Registered(e.Type) {
		return Event{}, fmt.Errorf("%w: type %q is not registered", ErrInvalidEvent, e.Type)
	}
	if e.UserID == uuid.Nil {
		return Event{}, fmt.Errorf("%w: %s has no user", ErrInvalidEvent, e.Type)
	}
	if e.OccurredAt.IsZero() {
		e.OccurredAt = time.Now()
	}
	e.OccurredAt = e.OccurredAt.UTC().Truncate(time.Microsecond)
	payload, err := e.Payload()
	if err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	row := &eventRow{
		UserID:       e.UserID,
		Type:         string(e.Type),
		ConnectionID: nullUUID(e.ConnectionID),
		AccountID:    nullUUID(e.AccountID),
		SyncID:       nullUUID(e.SyncID),
		OccurredAt:   e.OccurredAt,
		Data:         string(payload),
	}
	insert := func(ctx context.Context, tx bun.IDB) error {
		if l.db.Dialect == database.Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(logLockKey)); err != nil {
				return fmt.Errorf("lock event log: %w", err)
			}
		}
		if _, err := tx.NewInsert().Model(row).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("append event: %w", err)
		}
		return nil
	}
	switch idb.(type) {
	case bun.Tx, *bun.Tx:
		err = insert(ctx, idb)
	default:
		err = idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return insert(ctx, tx) })
	}
	if err != nil {
		return Event{}, err
	}
	e.ID = row.ID
	return e, nil
}

// After returns up to limit events with an id above afterID, oldest first: the
// user's, or everyone's when user is uuid.Nil.
func (l *Log) After(ctx context.Context, user uuid.UUID, afterID int64, limit int) ([]Event, error) {
	var rows []eventRow
	q := l.db.NewSelect().Model(&rows).Where("id > ?", afterID).Order("id").Limit(int64(limit))
	if user != uuid.Nil {
		q = q.Where("user_id = ?", user)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("read event log: %w", err)
	}
	return eventsOf(rows)
}

// LastID returns the highest id in the log, 0 when it is empty.
func (l *Log) LastID(ctx context.Context) (int64, error) {
	var id int64
	if err := l.db.NewSelect().Model((*eventRow)(nil)).ColumnExpr("COALESCE(MAX(id), 0)").Scan(ctx, &id); err != nil {
		return 0, fmt.Errorf("read event log: %w", err)
	}
	return id, nil
}

// Prune deletes events that occurred before cutoff and returns how many.
func (l *Log) Prune(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := l.db.NewDelete().Model((*eventRow)(nil)).Where("occurred_at < ?", cutoff.UTC()).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune event log: %w", err)
	}
	return res.RowsAffected()
}

// OfType returns the events of type t that occurred at or after since, oldest
// first, up to limit: what a process that starts late needs to catch up on a kind
// of event whose effect lasts a while (identity's access-token revocations).
func (l *Log) OfType(ctx context.Context, t Type, since time.Time, limit int) ([]Event, error) {
	var rows []eventRow
	if err := l.db.NewSelect().Model(&rows).Where("type = ?", string(t)).Where("occurred_at >= ?", since.UTC()).
		Order("id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read event log: %w", err)
	}
	return eventsOf(rows)
}

// eventsOf turns rows read from the log into events, in their order.
func eventsOf(rows []eventRow) ([]Event, error) {
	out := make([]Event, 0, len(rows))
	for i := range rows {
		e, err := rows[i].event()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
