// Package store keeps the connections module's aggregates in SQLite or PostgreSQL
// through bun: connections (credentials as the sealed bytes the app hands over),
// their status history, and the hashes of pending OAuth states. It implements
// app.Repository; a connection's status changes are written to the history in the
// same transaction as the connection.
package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/database"
)

// Store is the bun implementation of app.Repository.
type Store struct {
	db *database.DB
}

var _ app.Repository = (*Store)(nil)

// New returns a store over db.
func New(db *database.DB) *Store { return &Store{db: db} }

func notFound() error { return apperr.New(apperr.NotFound, "No connection with this id exists.") }

// connectionRow is one row of connections.
type connectionRow struct {
	bun.BaseModel `bun:"table:connections"`

	ID                  uuid.UUID  `bun:"id,pk"`
	UserID              uuid.UUID  `bun:"user_id,notnull"`
	Provider            string     `bun:"provider,notnull"`
	Alias               string     `bun:"alias,notnull"`
	Status              string     `bun:"status,notnull"`
	ReasonCode          string     `bun:"reason_code,nullzero"`
	ReasonMessage       string     `bun:"reason_message,nullzero"`
	ReasonAction        string     `bun:"reason_action,nullzero"`
	AutoSync            bool       `bun:"auto_sync,notnull"`
	SyncIntervalMinutes int        `bun:"sync_interval_minutes,notnull"`
	LastSyncAt          *time.Time `bun:"last_sync_at"`
	LastSyncStatus      string     `bun:"last_sync_status,nullzero"`
	LastAttemptAt       *time.Time `bun:"last_attempt_at"`
	NextSyncAt          *time.Time `bun:"next_sync_at"`
	ConsecutiveFailures int        `bun:"consecutive_failures,notnull"`
	Credentials         []byte     `bun:"credentials"`
	CreatedAt           time.Time  `bun:"created_at,notnull"`
	UpdatedAt           time.Time  `bun:"updated_at,notnull"`
	Version             int64      `bun:"version,notnull"`
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func rowOf(c *domain.Connection) connectionRow {
	r := connectionRow{
		ID: c.ID, UserID: c.UserID, Provider: c.Provider, Alias: c.Alias, Status: string(c.Status),
		AutoSync: c.AutoSync, SyncIntervalMinutes: c.SyncIntervalMinutes, LastSyncAt: utc(c.LastSyncAt),
		LastSyncStatus: string(c.LastSyncStatus), LastAttemptAt: utc(c.LastAttemptAt), NextSyncAt: utc(c.NextSyncAt),
		ConsecutiveFailures: c.ConsecutiveFailures, Credentials: c.Credentials,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), Version: c.Version,
	}
	if len(r.Credentials) == 0 {
		r.Credentials = nil
	}
	if c.Reason != nil {
		r.ReasonCode, r.ReasonMessage, r.ReasonAction = string(c.Reason.Code), c.Reason.Message, string(c.Reason.Action)
	}
	return r
}

func (r *connectionRow) toDomain() domain.Connection {
	c := domain.Connection{
		ID: r.ID, UserID: r.UserID, Provider: r.Provider, Alias: r.Alias, Status: domain.Status(r.Status),
		AutoSync: r.AutoSync, SyncIntervalMinutes: r.SyncIntervalMinutes, LastSyncAt: utc(r.LastSyncAt),
		LastSyncStatus: domain.SyncStatus(r.LastSyncStatus), LastAttemptAt: utc(r.LastAttemptAt), NextSyncAt: utc(r.NextSyncAt),
		ConsecutiveFailures: r.ConsecutiveFailures, Credentials: r.Credentials,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version,
	}
	if r.ReasonCode != "" {
		c.Reason = &domain.Reason{Code: domain.ReasonCode(r.ReasonCode), Message: r.ReasonMessage, Action: domain.Action(r.ReasonAction)}
	}
	return c
}

// historyRow is one row of connection_status_history.
type historyRow struct {
	bun.BaseModel `bun:"table:connection_status_history"`

	ID           int64     `bun:"id,pk,autoincrement"`
	ConnectionID uuid.UUID `bun:"connection_id,notnull"`
	FromStatus   string    `bun:"from_status,nullzero"`
	ToStatus     string    `bun:"to_status,notnull"`
	ReasonCode   string    `bun:"reason_code,nullzero"`
	Message      string    `bun:"message,notnull"`
	Action       string    `bun:"action,nullzero"`
	ChangedAt    time.Time `bun:"changed_at,notnull"`
}

// stateRow is one row of connection_oauth_states.
type stateRow struct {
	bun.BaseModel `bun:"table:connection_oauth_states"`

	StateHash    string    `bun:"state_hash,pk"`
	UserID       uuid.UUID `bun:"user_id,notnull"`
	ConnectionID uuid.UUID `bun:"connection_id,notnull"`
	CreatedAt    time.Time `bun:"created_at,notnull"`
	ExpiresAt    time.Time `bun:"expires_at,notnull"`
}

// Atomically runs fn in one transaction that nested calls join through ctx.
func (s *Store) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.RunInTx(ctx, func(ctx context.Context, _ bun.IDB) error { return fn(ctx) })
}

// Create inserts a new connection and its recorded status changes.
func (s *Store) Create(ctx context.Context, c *domain.Connection) error {
	return s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		row := rowOf(c)
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return apperr.Wrap(err, "insert connection")
		}
		return s.saveHistory(ctx, tx, c)
	})
}

func (s *Store) saveHistory(ctx context.Context, tx bun.IDB, c *domain.Connection) error {
	changes := c.Changes()
	if len(changes) == 0 {
		return nil
	}
	rows := make([]historyRow, len(changes))
	for i, h := range changes {
		rows[i] = historyRow{
			ConnectionID: c.ID, FromStatus: string(h.From), ToStatus: string(h.To), ReasonCode: string(h.Code),
			Message: h.Message, Action: string(h.Action), ChangedAt: h.At.UTC(),
		}
	}
	if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return apperr.Wrap(err, "insert status history")
	}
	return nil
}

// Get returns the connection with id.
func (s *Store) Get(ctx context.Context, id uuid.UUID) (domain.Connection, error) {
	var row connectionRow
	err := s.db.Conn(ctx).NewSelect().Model(&row).Where("id = ?", id).Scan(ctx)
	if database.IsNoRows(err) {
		return domain.Connection{}, notFound()
	}
	if err != nil {
		return domain.Connection{}, apperr.Wrap(err, "load connection")
	}
	return row.toDomain(), nil
}

// Update loads the connection locked, calls fn and saves what it changed.
func (s *Store) Update(ctx context.Context, id uuid.UUID, fn func(ctx context.Context, c *domain.Connection) error) error {
	return s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var row connectionRow
		q := tx.NewSelect().Model(&row).Where("id = ?", id)
		if s.db.Dialect == database.Postgres {
			q = q.For("UPDATE")
		}
		err := q.Scan(ctx)
		if database.IsNoRows(err) {
			return notFound()
		}
		if err != nil {
			return apperr.Wrap(err, "lock connection")
		}
		c := row.toDomain()
		if err := fn(ctx, &c); err != nil {
			return err
		}
		next := rowOf(&c)
		next.Version = row.Version + 1
		res, err := tx.NewUpdate().Model(&next).WherePK().Where("version = ?", row.Version).Exec(ctx)
		if err != nil {
			return apperr.Wrap(err, "update connection")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "The connection changed at the same moment; try again.")
		}
		c.Version = next.Version
		return s.saveHistory(ctx, tx, &c)
	})
}

// List returns one page of a user's connections by id.
func (s *Store) List(ctx context.Context, q app.ListQuery) ([]domain.Connection, bool, error) {
	var rows []connectionRow
	sel := s.db.Conn(ctx).NewSelect().Model(&rows).Where("user_id = ?", q.UserID)
	if q.Provider != "" {
		sel = sel.Where("provider = ?", q.Provider)
	}
	if q.Status != "" {
		sel = sel.Where("status = ?", string(q.Status))
	}
	if q.After.Valid {
		sel = sel.Where("id > ?", q.After.UUID)
	}
	if err := sel.Order("id").Limit(int64(q.Limit + 1)).Scan(ctx); err != nil {
		return nil, false, apperr.Wrap(err, "list connections")
	}
	more := len(rows) > q.Limit
	if more {
		rows = rows[:q.Limit]
	}
	out := make([]domain.Connection, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, more, nil
}

// History returns the connection's status changes, newest first.
func (s *Store) History(ctx context.Context, id uuid.UUID, limit int) ([]domain.History, error) {
	var rows []historyRow
	err := s.db.Conn(ctx).NewSelect().Model(&rows).Where("connection_id = ?", id).Order("id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "load status history")
	}
	out := make([]domain.History, len(rows))
	for i, r := range rows {
		out[i] = domain.History{
			From: domain.Status(r.FromStatus), To: domain.Status(r.ToStatus), Code: domain.ReasonCode(r.ReasonCode),
			Message: r.Message, Action: domain.Action(r.Action), At: r.ChangedAt.UTC(),
		}
	}
	return out, nil
}

// Due returns active auto-sync connections whose next sync is at or before now.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]domain.Connection, error) {
	var rows []connectionRow
	err := s.db.Conn(ctx).NewSelect().Model(&rows).
		Where("status = ?", string(domain.StatusActive)).Where("auto_sync = ?", true).
		Where("next_sync_at IS NOT NULL").Where("next_sync_at <= ?", now.UTC()).
		Order("next_sync_at", "id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "list due connections")
	}
	out := make([]domain.Connection, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// SaveState stores a new OAuth state and forgets expired ones.
func (s *Store) SaveState(ctx context.Context, st app.OAuthState) error {
	return s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewDelete().Model((*stateRow)(nil)).Where("expires_at < ?", st.CreatedAt.UTC()).Exec(ctx); err != nil {
			return apperr.Wrap(err, "purge oauth states")
		}
		row := stateRow{StateHash: st.Hash, UserID: st.UserID, ConnectionID: st.ConnectionID, CreatedAt: st.CreatedAt.UTC(), ExpiresAt: st.ExpiresAt.UTC()}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return apperr.Wrap(err, "save oauth state")
		}
		return nil
	})
}

// State returns the OAuth state with the hash.
func (s *Store) State(ctx context.Context, hash string) (app.OAuthState, bool, error) {
	var row stateRow
	err := s.db.Conn(ctx).NewSelect().Model(&row).Where("state_hash = ?", hash).Scan(ctx)
	if database.IsNoRows(err) {
		return app.OAuthState{}, false, nil
	}
	if err != nil {
		return app.OAuthState{}, false, apperr.Wrap(err, "load oauth state")
	}
	return app.OAuthState{Hash: row.StateHash, UserID: row.UserID, ConnectionID: row.ConnectionID, CreatedAt: row.CreatedAt.UTC(), ExpiresAt: row.ExpiresAt.UTC()}, true, nil
}

// ConsumeState deletes the state and reports whether this call did.
func (s *Store) ConsumeState(ctx context.Context, hash string) (bool, error) {
	res, err := s.db.Conn(ctx).NewDelete().Model((*stateRow)(nil)).Where("state_hash = ?", hash).Exec(ctx)
	if err != nil {
		return false, apperr.Wrap(err, "consume oauth state")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, apperr.Wrap(err, "consume oauth state")
	}
	return n == 1, nil
}
