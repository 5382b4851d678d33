// Package idempotency honours the Idempotency-Key header of API.md: the first POST,
// PATCH or DELETE with a key runs and its response is stored; a retry with the same
// key, method, path and body gets that response replayed instead of running again.
// The database's unique primary key (scope, key) decides which of two simultaneous
// requests runs, so the guarantee holds across several Kontor instances.
package idempotency

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/platform/database"
)

// Retention is how long a key is remembered; API.md promises at least 24 hours.
const Retention = 24 * time.Hour

// State is where a keyed request stands.
type State string

// The states of a keyed request.
const (
	// StateRunning means the first request holds the key and has not finished.
	StateRunning State = "running"
	// StateCompleted means the response is stored and will be replayed.
	StateCompleted State = "completed"
)

// Request identifies one keyed request: who sent it (Scope), the key, and what it
// asked for, summarised by RequestHash over method, path and body.
type Request struct {
	Scope       string
	Key         string
	Method      string
	Path        string
	RequestHash string
}

// Response is the part of a response that is stored and replayed.
type Response struct {
	Status  int
	Headers map[string]string
	Body    []byte
}

// Record is a remembered key.
type Record struct {
	Request
	State     State
	Response  Response
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Matches reports whether r asks for the same thing as the request that took the key.
func (r Record) Matches(req Request) bool {
	return r.Method == req.Method && r.Path == req.Path && r.RequestHash == req.RequestHash
}

// Store remembers keys in the idempotency_keys table.
type Store struct {
	db *database.DB
}

// NewStore returns a store on db.
func NewStore(db *database.DB) *Store {
	return &Store{db: db}
}

type keyRow struct {
	bun.BaseModel `bun:"table:idempotency_keys"`

	Scope       string    `bun:"scope,pk"`
	Key         string    `bun:"key,pk"`
	Method      string    `bun:"method,notnull"`
	Path        string    `bun:"path,notnull"`
	RequestHash string    `bun:"request_hash,notnull"`
	State       string    `bun:"state,notnull"`
	Status      int       `bun:"status,nullzero"`
	Headers     string    `bun:"headers,nullzero"`
	Body        []byte    `bun:"body"`
	CreatedAt   time.Time `bun:"created_at,notnull"`
	ExpiresAt   time.Time `bun:"expires_at,notnull"`
}

func (r *keyRow) record() (Record, error) {
	rec := Record{
		Request: Request{
			Scope:       r.Scope,
			Key:         r.Key,
			Method:      r.Method,
			Path:        r.Path,
			RequestHash: r.RequestHash,
		},
		State:     State(r.State),
		Response:  Response{Status: r.Status, Body: r.Body},
		CreatedAt: r.CreatedAt,
		ExpiresAt: r.ExpiresAt,
	}
	if r.Headers != "" {
		if err := json.Unmarshal([]byte(r.Headers), &rec.Response.Headers); err != nil {
			return Record{}, fmt.Errorf("idempotency: stored headers of key %q: %w", r.Key, err)
		}
	}
	return rec, nil
}

// Begin claims req's key at now. When the key is free (never used, or expired) it
// inserts a running record and returns it with started true: the caller must run the
// request and then Complete or Forget the key. Otherwise it returns the record that
// holds the key, with started false. Of several simultaneous calls for one key
// exactly one starts, because the primary key admits one row.
func (s *Store) Begin(ctx context.Context, req Request, now time.Time) (rec Record, started bool, err error) {
	now = now.UTC()
	row := &keyRow{
		Scope:       req.Scope,
		Key:         req.Key,
		Method:      req.Method,
		Path:        req.Path,
		RequestHash: req.RequestHash,
		State:       string(StateRunning),
		CreatedAt:   now,
		ExpiresAt:   now.Add(Retention),
	}
	// A key that is taken by an expired row is freed and claimed again once; the
	// third attempt only covers a row that vanished between our insert and our read.
	for attempt := 0; ; attempt++ {
		// ON CONFLICT DO NOTHING rather than a failing INSERT: the primary key still
		// decides, but no error aborts a surrounding PostgreSQL transaction.
		res, err := s.db.Conn(ctx).NewInsert().Model(row).
			On(`CONFLICT ("scope", "key") DO NOTHING`).
			Exec(ctx)
		switch {
		case err == nil:
			n, err := res.RowsAffected()
			if err != nil {
				return Record{}, false, fmt.Errorf("idempotency: claim key: %w", err)
			}
			if n == 1 {
				rec, err := row.record()
				return rec, err == nil, err
			}
		case !database.IsUniqueViolation(err):
			return Record{}, false, fmt.Errorf("idempotency: claim key: %w", err)
		}

		existing, found, err := s.load(ctx, req.Scope, req.Key)
		switch {
		case err != nil:
			return Record{}, false, err
		case !found && attempt < 2:
			continue
		case !found:
			return Record{}, false, fmt.Errorf("idempotency: key %q vanished while being claimed", req.Key)
		case now.Before(existing.ExpiresAt) || attempt > 0:
			return existing, false, nil
		}
		// Expired rows count as absent. The delete names the expiry so that it cannot
		// remove a fresh row that a concurrent request has just put in its place.
		if _, err := s.db.Conn(ctx).NewDelete().Model((*keyRow)(nil)).
			Where(`"scope" = ? AND "key" = ? AND "expires_at" <= ?`, req.Scope, req.Key, now).
			Exec(ctx); err != nil {
			return Record{}, false, fmt.Errorf("idempotency: remove expired key: %w", err)
		}
	}
}

// Get returns the record of scope and key, if there is one, expired or not.
func (s *Store) Get(ctx context.Context, scope, key string) (Record, bool, error) {
	return s.load(ctx, scope, key)
}

func (s *Store) load(ctx context.Context, scope, key string) (Record, bool, error) {
	var row keyRow
	err := s.db.Conn(ctx).NewSelect().Model(&row).
		Where(`"scope" = ? AND "key" = ?`, scope, key).
		Scan(ctx)
	if database.IsNoRows(err) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("idempotency: load key: %w", err)
	}
	rec, err := row.record()
	return rec, err == nil, err
}

// Complete stores the response of the request that holds scope and key, so that
// retries replay it. Only a running key is completed.
func (s *Store) Complete(ctx context.Context, scope, key string, resp Response) error {
	headers := ""
	if len(resp.Headers) > 0 {
		b, err := json.Marshal(resp.Headers)
		if err != nil {
			return fmt.Errorf("idempotency: encode headers: %w", err)
		}
		headers = string(b)
	}
	body := resp.Body
	if body == nil {
		body = []byte{}
	}
	res, err := s.db.Conn(ctx).NewUpdate().Model((*keyRow)(nil)).
		Set(`"state" = ?`, string(StateCompleted)).
		Set(`"status" = ?`, resp.Status).
		Set(`"headers" = ?`, bun.NullZero(headers)).
		Set(`"body" = ?`, body).
		Where(`"scope" = ? AND "key" = ? AND "state" = ?`, scope, key, string(StateRunning)).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("idempotency: store response: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		return fmt.Errorf("idempotency: key %q was no longer running when its response was stored", key)
	}
	return nil
}

// Forget releases a running key without storing a response, so that the client may
// retry a request that failed on the server's side.
func (s *Store) Forget(ctx context.Context, scope, key string) error {
	_, err := s.db.Conn(ctx).NewDelete().Model((*keyRow)(nil)).
		Where(`"scope" = ? AND "key" = ? AND "state" = ?`, scope, key, string(StateRunning)).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("idempotency: forget key: %w", err)
	}
	return nil
}

// DeleteExpired removes the keys that expired by now and returns how many it removed.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.Conn(ctx).NewDelete().Model((*keyRow)(nil)).
		Where(`"expires_at" <= ?`, now.UTC()).
		Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("idempotency: delete expired keys: %w", err)
	}
	return res.RowsAffected()
}
