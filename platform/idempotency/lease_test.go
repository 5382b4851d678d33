package idempotency_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/idempotency"
)

// twoHandles opens two independent handles on one fresh, migrated database, as two
// Kontor instances (or one instance before and after its pool broke) would hold.
//
// drop breaks a's connections under whatever runs on them and closes a for good.
func twoHandles(t *testing.T, engine string) (a, b *database.DB, drop func()) {
	t.Helper()
	switch engine {
	case "sqlite":
		path := dbtest.NewSQLitePath(t)
		open := func() *database.DB {
			db, err := database.OpenSQLite(path)
			if err != nil {
				t.Fatal(err)
			}
			return db
		}
		a, b = open(), open()
		drop = func() { _ = a.Close() }
	case "postgres":
		url := dbtest.NewPostgresURL(t)
		open := func(url string) *database.DB {
			db, err := database.OpenPostgres(url)
			if err != nil {
				t.Fatal(err)
			}
			return db
		}
		a, b = open(url+"&application_name=instance_a"), open(url)
		drop = func() {
			if _, err := b.ExecContext(context.Background(),
				"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'instance_a'"); err != nil {
				t.Fatal(err)
			}
			_ = a.Close()
		}
	}
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	m, err := database.NewMigrator(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ExecContext(context.Background(), "CREATE TABLE ledger (id TEXT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	return a, b, drop
}

// ledgerApp serves POST /pay behind the middleware: it records one ledger row through
// db and answers 201, or 503 when the database fails under it.
type ledgerApp struct {
	app     *fiber.App
	runs    atomic.Int64
	entered chan struct{}
	gate    chan struct{}
}

func newLedgerApp(db *database.DB, store *idempotency.Store, gated bool) *ledgerApp {
	l := &ledgerApp{entered: make(chan struct{}, 1), gate: make(chan struct{})}
	if !gated {
		close(l.gate)
	}
	l.app = fiber.New(fiber.Config{ErrorHandler: errorHandler})
	l.app.Use(idempotency.Middleware(store))
	l.app.Post("/pay", func(c *fiber.Ctx) error {
		l.runs.Add(1)
		select {
		case l.entered <- struct{}{}:
		default:
		}
		<-l.gate
		id := c.Get("X-Payment") + "-" + uuid.NewString()
		if _, err := db.Conn(c.UserContext()).ExecContext(c.UserContext(), "INSERT INTO ledger (id) VALUES (?)", id); err != nil {
			if database.IsUnavailable(err) {
				return apperr.New(apperr.ServiceUnavailable, "database down")
			}
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": id, "runs": l.runs.Load()})
	})
	return l
}

func (l *ledgerApp) pay(t *testing.T, key string) result {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/pay", strings.NewReader(`{"amount":"10.00"}`))
	req.Header.Set(idempotency.HeaderKey, key)
	req.Header.Set("X-Payment", "p-"+key)
	res, err := l.app.Test(req, -1)
	if err != nil {
		t.Errorf("POST /pay: %v", err)
		return result{status: -1}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return result{status: res.StatusCode, header: res.Header, body: string(b)}
}

// TestDroppedConnectionLeavesNoKeyStuck holds issue 10 item 18: the database drops
// while the first request with a key runs, so that request can neither finish its
// write nor release its key. A retry is refused while the first request's lease
// holds, takes the key over once the lease has lapsed, and completes; the stale first
// request cannot store an answer over the new one.
func TestDroppedConnectionLeavesNoKeyStuck(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dbA, dbB, drop := twoHandles(t, engine)
			ctx := context.Background()
			storeA := idempotency.NewStore(dbA, idempotency.WithSecret("secret-a-0123456789abcdef0123456789"))
			first := newLedgerApp(dbA, storeA, true)

			done := make(chan result, 1)
			go func() { done <- first.pay(t, "k1") }()
			select {
			case <-first.entered:
			case r := <-done:
				t.Fatalf("the first request never reached its handler: %d %s", r.status, r.body)
			}
			var owner string
			if err := dbB.QueryRowContext(ctx, "SELECT owner FROM idempotency_keys WHERE key = 'k1'").Scan(&owner); err != nil || owner == "" {
				t.Fatalf("the running key has no owner: %q %v", owner, err)
			}
			// The connection drops under the running request.
			drop()
			close(first.gate)
			if r := <-done; r.status != http.StatusServiceUnavailable {
				t.Fatalf("first request with its database gone: %d %s, want 503", r.status, r.body)
			}
			var state string
			if err := dbB.QueryRowContext(ctx, "SELECT state FROM idempotency_keys WHERE key = 'k1'").Scan(&state); err != nil || state != "running" {
				t.Fatalf("the dropped request left state %q (%v); this test needs it stuck running", state, err)
			}

			// Another instance, on a working connection, whose clock we move.
			var shift atomic.Int64
			clock := func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
			storeB := idempotency.NewStore(dbB, idempotency.WithSecret("secret-a-0123456789abcdef0123456789"), idempotency.WithClock(clock))
			second := newLedgerApp(dbB, storeB, false)
			if r := second.pay(t, "k1"); r.status != http.StatusConflict || codeOf(t, r) != string(apperr.IdempotencyInProgress) {
				t.Fatalf("retry within the lease: %d %s, want 409 in progress", r.status, r.body)
			}
			shift.Store(int64(storeB.Lease() + time.Second))
			r := second.pay(t, "k1")
			if r.status != http.StatusCreated || r.header.Get(idempotency.HeaderReplayed) != "" {
				t.Fatalf("retry after the lease lapsed: %d %s, want a fresh 201", r.status, r.body)
			}
			if again := second.pay(t, "k1"); again.status != http.StatusCreated || again.body != r.body || again.header.Get(idempotency.HeaderReplayed) != "true" {
				t.Fatalf("retry after completion: %d %s replayed=%q", again.status, again.body, again.header.Get(idempotency.HeaderReplayed))
			}
			var rows int
			if err := dbB.QueryRowContext(ctx, "SELECT count(*) FROM ledger").Scan(&rows); err != nil || rows != 1 {
				t.Fatalf("ledger rows %d (%v), want exactly 1", rows, err)
			}

			// The stale first request, were it alive, cannot settle the key any more.
			stale := idempotency.Response{Status: 201, Body: []byte(`{"stale":true}`)}
			if err := storeB.Complete(ctx, "ip:0.0.0.0", "k1", owner, stale); !errors.Is(err, idempotency.ErrNotHolder) {
				t.Fatalf("stale Complete: %v, want ErrNotHolder", err)
			}
			if err := storeB.Forget(ctx, "ip:0.0.0.0", "k1", owner); err != nil {
				t.Fatal(err)
			}
			if again := second.pay(t, "k1"); again.body != r.body {
				t.Fatalf("after the stale holder tried to settle: %s, want %s", again.body, r.body)
			}
		})
	}
}

// TestLeaseTakeOverAndFence holds the store's rules: a running key is held for the
// lease, taken over by the same request once it lapsed, never by a different one,
// and only its current owner may renew or settle it.
func TestLeaseTakeOverAndFence(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := idempotency.NewStore(db, idempotency.WithLease(10*time.Second))
		t0 := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
		req := idempotency.Request{Scope: "user:1", Key: "k", Method: "POST", Path: "/p", RequestHash: "h"}
		a, started, err := s.Begin(ctx, req, t0)
		if err != nil || !started || a.Owner == "" {
			t.Fatalf("Begin: %+v %v %v", a, started, err)
		}
		if rec, started, err := s.Begin(ctx, req, t0.Add(9*time.Second)); err != nil || started || rec.Owner != a.Owner {
			t.Fatalf("Begin within the lease: started=%v owner=%q err=%v", started, rec.Owner, err)
		}
		// A renewal moves the lapse: at t0+15s the key is still held.
		if err := s.Renew(ctx, req.Scope, req.Key, a.Owner, t0.Add(8*time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, started, _ := s.Begin(ctx, req, t0.Add(15*time.Second)); started {
			t.Fatal("a renewed key was taken over")
		}
		other := req
		other.RequestHash = "different"
		if rec, started, err := s.Begin(ctx, other, t0.Add(time.Minute)); err != nil || started || rec.Matches(other) {
			t.Fatalf("a different request took over a lapsed key: started=%v err=%v", started, err)
		}
		b, started, err := s.Begin(ctx, req, t0.Add(time.Minute))
		if err != nil || !started || b.Owner == a.Owner {
			t.Fatalf("take-over after the lease: started=%v owner=%q err=%v", started, b.Owner, err)
		}
		if err := s.Renew(ctx, req.Scope, req.Key, a.Owner, t0.Add(time.Minute)); !errors.Is(err, idempotency.ErrNotHolder) {
			t.Fatalf("old owner's Renew: %v", err)
		}
		if err := s.Complete(ctx, req.Scope, req.Key, a.Owner, idempotency.Response{Status: 201}); !errors.Is(err, idempotency.ErrNotHolder) {
			t.Fatalf("old owner's Complete: %v", err)
		}
		if err := s.Forget(ctx, req.Scope, req.Key, a.Owner); err != nil {
			t.Fatal(err)
		}
		if err := s.Complete(ctx, req.Scope, req.Key, b.Owner, idempotency.Response{Status: 201, Body: []byte("new")}); err != nil {
			t.Fatal(err)
		}
		rec, started, err := s.Begin(ctx, req, t0.Add(2*time.Minute))
		if err != nil || started || rec.State != idempotency.StateCompleted || string(rec.Response.Body) != "new" {
			t.Fatalf("after completion: %+v started=%v err=%v", rec, started, err)
		}
	})
}

// TestLeaseIsRenewedWhileTheRequestRuns: a request that runs for several leases keeps
// its key, so a retry meanwhile is told it is in progress rather than run twice.
func TestLeaseIsRenewedWhileTheRequestRuns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE ledger (id TEXT PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		store := idempotency.NewStore(db, idempotency.WithLease(time.Second))
		l := newLedgerApp(db, store, true)
		done := make(chan result, 1)
		go func() { done <- l.pay(t, "long") }()
		<-l.entered
		lease := func() string {
			var s string
			if err := db.QueryRowContext(ctx, "SELECT CAST(lease_expires_at AS TEXT) FROM idempotency_keys WHERE key = 'long'").Scan(&s); err != nil {
				t.Fatal(err)
			}
			return s
		}
		// Wait for three renewals: the request has now outlived its first lease.
		seen, last := 0, lease()
		for seen < 3 {
			time.Sleep(50 * time.Millisecond)
			if now := lease(); now != last {
				seen, last = seen+1, now
			}
		}
		if r := l.pay(t, "long"); r.status != http.StatusConflict {
			t.Fatalf("retry while a renewed request runs: %d %s, want 409", r.status, r.body)
		}
		close(l.gate)
		if r := <-done; r.status != http.StatusCreated {
			t.Fatalf("first: %d %s", r.status, r.body)
		}
		if n := l.runs.Load(); n != 1 {
			t.Fatalf("handler ran %d times, want 1", n)
		}
	})
}

// TestTakenOverRequestCannotSettle: the first request with a key is still alive but
// has lost its key to a retry (its lease lapsed). Its answer is never stored, and on
// PostgreSQL, where a request's writes commit together with its answer, its writes
// are rolled back, so the ledger holds the retry's write only.
func TestTakenOverRequestCannotSettle(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dbA, dbB, _ := twoHandles(t, engine)
			ctx := context.Background()
			first := newLedgerApp(dbA, idempotency.NewStore(dbA), true)
			clock := func() time.Time { return time.Now().Add(idempotency.DefaultLease + time.Second) }
			second := newLedgerApp(dbB, idempotency.NewStore(dbB, idempotency.WithClock(clock)), false)

			done := make(chan result, 1)
			go func() { done <- first.pay(t, "k2") }()
			<-first.entered
			retry := second.pay(t, "k2")
			if retry.status != http.StatusCreated {
				t.Fatalf("retry after the lease lapsed: %d %s", retry.status, retry.body)
			}
			close(first.gate)
			stale := <-done
			if engine == "postgres" && stale.status != http.StatusConflict {
				t.Fatalf("the taken-over request answered %d %s, want 409", stale.status, stale.body)
			}
			if again := second.pay(t, "k2"); again.body != retry.body || again.header.Get(idempotency.HeaderReplayed) != "true" {
				t.Fatalf("the stored answer is %d %s, want the retry's %s", again.status, again.body, retry.body)
			}
			if engine == "postgres" {
				var rows int
				if err := dbB.QueryRowContext(ctx, "SELECT count(*) FROM ledger").Scan(&rows); err != nil || rows != 1 {
					t.Fatalf("ledger rows %d (%v), want the retry's only", rows, err)
				}
			}
		})
	}
}
