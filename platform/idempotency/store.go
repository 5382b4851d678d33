// Package idempotency honours the Idempotency-Key header of API.md: the first POST,
// PATCH or DELETE with a key runs and its response is stored; a retry with the same
// key, method, path and body gets that response replayed instead of running again.
// The database's unique primary key (scope, key) decides which of two simultaneous
// requests runs, so the guarantee holds across several Kontor instances.
//
// A running key is held under a lease that its request renews while it runs; when
// the holder dies (its instance crashed, or the database dropped under it so that it
// could not release the key), the lease lapses and a retry takes the key over. Every
// claim gets a fresh owner token, and the writes that settle a key name it, so a
// stale holder can never store its answer over the new one's. Stored bodies are
// sealed with AES-GCM under a key derived from the server's secret, so that the
// credentials some responses carry (token pairs, new API keys) never rest in clear.
package idempotency

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/platform/database"
)

// Retention is how long a key is remembered; API.md promises at least 24 hours.
const Retention = 24 * time.Hour

// DefaultLease is how long a running key stays held without a renewal.
const DefaultLease = 30 * time.Second

// ErrNotHolder is returned when a request settles or renews a key it no longer holds:
// its lease lapsed and a retry took the key over, or the key was settled already.
var ErrNotHolder = errors.New("idempotency: the key is no longer held by this request")

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
	State    State
	Response Response
	// Owner is the token of the claim that holds a running key; settling and
	// renewing name it.
	Owner string
	// LeaseExpiresAt is when a running key may be taken over unless renewed; zero
	// for keys claimed before leases existed, which are free to take over.
	LeaseExpiresAt time.Time
	CreatedAt      time.Time
	ExpiresAt      time.Time
	// Unreadable is set on a completed record whose stored answer was sealed with a
	// secret key this server no longer holds; Response.Body is then empty.
	Unreadable bool
}

// LeaseLapsed reports whether a running record's lease has run out at now.
func (r Record) LeaseLapsed(now time.Time) bool {
	return r.State == StateRunning && !now.Before(r.LeaseExpiresAt)
}

// Matches reports whether r asks for the same thing as the request that took the key.
func (r Record) Matches(req Request) bool {
	return r.Method == req.Method && r.Path == req.Path && r.RequestHash == req.RequestHash
}

// Store remembers keys in the idempotency_keys table.
type Store struct {
	db     *database.DB
	lease  time.Duration
	now    func() time.Time
	sealer *sealer
}

// Option configures a Store.
type Option func(*Store)

// WithLease sets how long a running key stays held without a renewal.
func WithLease(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.lease = d
		}
	}
}

// WithClock sets the clock the middleware reads; tests move it forward.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// WithSecret seals stored response bodies with AES-GCM under a key derived from
// secret (the server's secret key), and opens them with it or with one of previous
// (secret keys it replaced, kept while rotating). A secret too short to derive a key
// from (config refuses those) leaves the bodies unsealed.
func WithSecret(secret string, previous ...string) Option {
	return func(s *Store) {
		if secret == "" {
			return
		}
		if sl, err := newSealer(secret, previous...); err == nil {
			s.sealer = sl
		}
	}
}

// NewStore returns a store on db.
func NewStore(db *database.DB, opts ...Option) *Store {
	s := &Store{db: db, lease: DefaultLease, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Lease returns how long a running key stays held without a renewal.
func (s *Store) Lease() time.Duration { return s.lease }

// newOwner returns a fresh owner token.
func newOwner() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
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
	Owner       string    `bun:"owner,notnull"`
	LeaseUntil  time.Time `bun:"lease_expires_at,nullzero"`
	CreatedAt   time.Time `bun:"created_at,notnull"`
	ExpiresAt   time.Time `bun:"expires_at,notnull"`
}

func (s *Store) record(r *keyRow) (Record, error) {
	rec := Record{
		Request: Request{
			Scope:       r.Scope,
			Key:         r.Key,
			Method:      r.Method,
			Path:        r.Path,
			RequestHash: r.RequestHash,
		},
		State:          State(r.State),
		Response:       Response{Status: r.Status, Body: r.Body},
		Owner:          r.Owner,
		LeaseExpiresAt: r.LeaseUntil,
		CreatedAt:      r.CreatedAt,
		ExpiresAt:      r.ExpiresAt,
	}
	if rec.State == StateCompleted {
		body, err := s.open(r.Scope, r.Key, r.Body)
		switch {
		case errors.Is(err, errUnreadable):
			// The request was carried out, but its answer cannot be replayed.
			rec.Response.Body, rec.Unreadable = nil, true
		case err != nil:
			return Record{}, err
		default:
			rec.Response.Body = body
		}
	}
	if r.Headers != "" {
		if err := json.Unmarshal([]byte(r.Headers), &rec.Response.Headers); err != nil {
			return Record{}, fmt.Errorf("idempotency: stored headers of key %q: %w", r.Key, err)
		}
	}
	return rec, nil
}

// Begin claims req's key at now. When the key is free (never used, or expired) it
// inserts a running record under a fresh owner token and a lease, and returns it with
// started true: the caller must run the request, Renew the lease while it runs, and
// then Complete or Forget the key under that owner. A running key whose lease has
// lapsed is taken over the same way by a retry of the same request. Otherwise Begin
// returns the record that holds the key, with started false. Of several simultaneous
// calls for one key exactly one starts: the primary key admits one row, and a
// takeover names the owner it replaces.
func (s *Store) Begin(ctx context.Context, req Request, now time.Time) (rec Record, started bool, err error) {
	now = now.UTC()
	row := &keyRow{
		Scope:       req.Scope,
		Key:         req.Key,
		Method:      req.Method,
		Path:        req.Path,
		RequestHash: req.RequestHash,
		State:       string(StateRunning),
		Owner:       newOwner(),
		LeaseUntil:  now.Add(s.lease),
		CreatedAt:   now,
		ExpiresAt:   now.Add(Retention),
	}
	// A key that is taken by an expired row is freed and claimed again once; the
	// further attempts only cover a row that vanished or changed hands between our
	// insert and our read.
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
				rec, err := s.record(row)
				return rec, err == nil, err
			}
		case !database.IsUniqueViolation(err):
			return Record{}, false, fmt.Errorf("idempotency: claim key: %w", err)
		}

		existing, found, err := s.load(ctx, req.Scope, req.Key)
		switch {
		case err != nil:
			return Record{}, false, err
		case !found && attempt < 3:
			continue
		case !found:
			return Record{}, false, fmt.Errorf("idempotency: key %q vanished while being claimed", req.Key)
		case !now.Before(existing.ExpiresAt) && attempt == 0:
			// Expired rows count as absent. The delete names the expiry so that it
			// cannot remove a fresh row a concurrent request has just put in its place.
			if _, err := s.db.Conn(ctx).NewDelete().Model((*keyRow)(nil)).
				Where(`"scope" = ? AND "key" = ? AND "expires_at" <= ?`, req.Scope, req.Key, now).
				Exec(ctx); err != nil {
				return Record{}, false, fmt.Errorf("idempotency: remove expired key: %w", err)
			}
			continue
		case existing.LeaseLapsed(now) && existing.Matches(req) && attempt < 3:
			took, err := s.takeOver(ctx, existing, row, now)
			if err != nil {
				return Record{}, false, err
			}
			if took {
				rec, err := s.record(row)
				return rec, err == nil, err
			}
			continue // someone else settled or took the key meanwhile: look again
		}
		return existing, false, nil
	}
}

// takeOver moves a running key whose lease lapsed from its old owner to row's.
func (s *Store) takeOver(ctx context.Context, old Record, row *keyRow, now time.Time) (bool, error) {
	q := s.db.Conn(ctx).NewUpdate().Model((*keyRow)(nil)).
		Set(`"owner" = ?`, row.Owner).
		Set(`"lease_expires_at" = ?`, row.LeaseUntil).
		Where(`"scope" = ? AND "key" = ? AND "state" = ? AND "owner" = ?`, old.Scope, old.Key, string(StateRunning), old.Owner).
		Where(`("lease_expires_at" IS NULL OR "lease_expires_at" <= ?)`, now)
	res, err := q.Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("idempotency: take over key: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("idempotency: take over key: %w", err)
	}
	row.CreatedAt, row.ExpiresAt = old.CreatedAt, old.ExpiresAt
	return n == 1, nil
}

// Renew extends the lease of a running key that owner still holds to now plus the
// lease. It returns ErrNotHolder when the key changed hands or was settled.
func (s *Store) Renew(ctx context.Context, scope, key, owner string, now time.Time) error {
	res, err := s.db.Conn(ctx).NewUpdate().Model((*keyRow)(nil)).
		Set(`"lease_expires_at" = ?`, now.UTC().Add(s.lease)).
		Where(`"scope" = ? AND "key" = ? AND "state" = ? AND "owner" = ?`, scope, key, string(StateRunning), owner).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("idempotency: renew lease: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		return ErrNotHolder
	}
	return nil
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
	rec, err := s.record(&row)
	return rec, err == nil, err
}

// Complete stores the response of the request that holds scope and key under owner,
// so that retries replay it. Only a running key its owner still holds is completed;
// otherwise Complete returns ErrNotHolder and stores nothing.
func (s *Store) Complete(ctx context.Context, scope, key, owner string, resp Response) error {
	headers := ""
	if len(resp.Headers) > 0 {
		b, err := json.Marshal(resp.Headers)
		if err != nil {
			return fmt.Errorf("idempotency: encode headers: %w", err)
		}
		headers = string(b)
	}
	body, err := s.seal(scope, key, resp.Body)
	if err != nil {
		return err
	}
	res, err := s.db.Conn(ctx).NewUpdate().Model((*keyRow)(nil)).
		Set(`"state" = ?`, string(StateCompleted)).
		Set(`"status" = ?`, resp.Status).
		Set(`"headers" = ?`, bun.NullZero(headers)).
		Set(`"body" = ?`, body).
		Set(`"lease_expires_at" = NULL`).
		Where(`"scope" = ? AND "key" = ? AND "state" = ? AND "owner" = ?`, scope, key, string(StateRunning), owner).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("idempotency: store response: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		return ErrNotHolder
	}
	return nil
}

// Forget releases a running key that owner holds without storing a response, so that
// the client may retry a request that failed on the server's side. A key that changed
// hands is left to its new owner.
func (s *Store) Forget(ctx context.Context, scope, key, owner string) error {
	_, err := s.db.Conn(ctx).NewDelete().Model((*keyRow)(nil)).
		Where(`"scope" = ? AND "key" = ? AND "state" = ? AND "owner" = ?`, scope, key, string(StateRunning), owner).
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
