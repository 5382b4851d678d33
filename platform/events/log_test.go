package events

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var quiet = slog.New(slog.NewTextHandler(testLogs(), nil))

func testLogs() io.Writer {
	if os.Getenv("KONTOR_TEST_LOGS") == "1" {
		return os.Stderr
	}
	return io.Discard
}

func publishTx(t *testing.T, db *database.DB, bus *Bus, e Event) Event {
	t.Helper()
	var out Event
	err := db.RunInTx(context.Background(), func(ctx context.Context, tx bun.IDB) error {
		var err error
		out, err = bus.Publish(ctx, tx, e)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPayloadHasFixedFieldsThenData(t *testing.T) {
	user, conn := uuid.MustParse("0190f3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b"), uuid.MustParse("0190f3c4-0000-7000-8000-000000000001")
	e := Event{
		Type: TransactionSyncSucceeded, UserID: user, ConnectionID: conn,
		OccurredAt: time.Date(2026, 11, 28, 9, 0, 2, 0, time.FixedZone("CET", 3600)),
		Data:       map[string]any{"stats": map[string]int{"added": 12}, "message": "ok"},
	}
	got, err := e.Payload()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"TransactionSyncSucceeded","occurred_at":"2026-11-28T08:00:02Z","user_id":"0190f3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b","connection_id":"0190f3c4-0000-7000-8000-000000000001","message":"ok","stats":{"added":12}}`
	if string(got) != want {
		t.Fatalf("payload\n got %s\nwant %s", got, want)
	}
	e.Data = map[string]any{"user_id": "someone else"}
	if _, err := e.Payload(); err == nil {
		t.Fatal("Data overriding a fixed key was accepted")
	}
}

func TestRegistry(t *testing.T) {
	if !Registered(AccountBalanceUpdated) {
		t.Fatal("API.md's types are not registered")
	}
	const drift Type = "AccountBalanceDrifted"
	if Registered(drift) {
		t.Fatal("unregistered type reported as registered")
	}
	Register(drift)
	if !Registered(drift) {
		t.Fatal("Register did not register")
	}
	types := Types()
	if !sort.SliceIsSorted(types, func(i, j int) bool { return types[i] < types[j] }) || len(types) < 9 {
		t.Fatalf("Types() = %v", types)
	}
}

// TestLogAppendsInTheTransaction: an event of a rolled-back transaction never
// exists; committed ones read back whole, per user, in id order; bad events are
// refused; Prune deletes by age.
func TestLogAppendsInTheTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		log := NewLog(db)
		alice, bob := uuid.New(), uuid.New()
		boom := errors.New("boom")
		err := db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			if _, err := log.Append(ctx, tx, Event{Type: AccountSyncAttempted, UserID: alice}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if evs, err := log.After(ctx, uuid.Nil, 0, 10); err != nil || len(evs) != 0 {
			t.Fatalf("after rollback: %v, %v; want no events", evs, err)
		}
		conn, sync, acct := uuid.New(), uuid.New(), uuid.New()
		old := time.Now().Add(-40 * 24 * time.Hour)
		var ids []int64
		for _, e := range []Event{
			{Type: AccountSyncAttempted, UserID: alice, ConnectionID: conn, SyncID: sync, OccurredAt: old},
			{Type: AccountSyncAttempted, UserID: bob},
			{Type: AccountBalanceUpdated, UserID: alice, AccountID: acct, Data: map[string]any{"balance": "12.30", "count": 3}},
		} {
			err := db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
				got, err := log.Append(ctx, tx, e)
				ids = append(ids, got.ID)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// Without a transaction Append makes its own.
		last, err := log.Append(ctx, db.DB, Event{Type: ConnectionStatusChanged, UserID: bob})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, last.ID)
		if !sort.SliceIsSorted(ids, func(i, j int) bool { return ids[i] < ids[j] }) || ids[0] <= 0 {
			t.Fatalf("ids %v do not increase", ids)
		}
		evs, err := log.After(ctx, alice, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].ID != ids[0] || evs[1].ID != ids[2] {
			t.Fatalf("alice's events = %+v, want ids %d and %d", evs, ids[0], ids[2])
		}
		first := evs[0]
		if first.Type != AccountSyncAttempted || first.ConnectionID != conn || first.SyncID != sync || first.AccountID != uuid.Nil ||
			first.OccurredAt.Location() != time.UTC || !first.OccurredAt.Equal(old.UTC().Truncate(time.Microsecond)) || first.Data != nil {
			t.Fatalf("first event read back as %+v", first)
		}
		if bal := evs[1].Data["balance"]; bal != "12.30" || evs[1].Data["count"] != json.Number("3") || evs[1].AccountID != acct {
			t.Fatalf("data read back as %#v", evs[1].Data)
		}
		if evs, _ := log.After(ctx, alice, ids[0], 10); len(evs) != 1 || evs[0].ID != ids[2] {
			t.Fatalf("After(alice, %d) = %+v", ids[0], evs)
		}
		if evs, _ := log.After(ctx, uuid.Nil, 0, 2); len(evs) != 2 || evs[1].ID != ids[1] {
			t.Fatalf("After(all, limit 2) = %+v", evs)
		}
		if id, err := log.LastID(ctx); err != nil || id != ids[3] {
			t.Fatalf("LastID = %d, %v; want %d", id, err, ids[3])
		}
		for _, bad := range []Event{{Type: "Nope", UserID: alice}, {Type: AccountSyncFailed}} {
			if _, err := log.Append(ctx, db.DB, bad); !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("Append(%+v) err = %v, want ErrInvalidEvent", bad, err)
			}
		}
		n, err := log.Prune(ctx, time.Now().Add(-Retention))
		if err != nil || n != 1 {
			t.Fatalf("Prune = %d, %v; want 1", n, err)
		}
		if evs, _ := log.After(ctx, alice, 0, 10); len(evs) != 1 || evs[0].ID != ids[2] {
			t.Fatalf("after prune: %+v", evs)
		}
	})
}

// TestBusDeliversAfterCommitAcrossBuses: a subscriber gets its user's events once
// their transaction commits, never a rolled-back one's; a second Bus on the same
// database (another instance) gets them by reading the log.
func TestBusDeliversAfterCommitAcrossBuses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		local := NewBus(NewLog(db), quiet, time.Hour) // only woken by Publish
		remote := NewBus(NewLog(db), quiet, 50*time.Millisecond)
		for _, b := range []*Bus{local, remote} {
			if err := b.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
		}
		alice, bob := uuid.New(), uuid.New()
		mine := local.Subscribe(alice)
		everyone := local.Subscribe(uuid.Nil)
		theirs := remote.Subscribe(alice)

		inTx := make(chan struct{})
		committed := make(chan error, 1)
		go func() {
			committed <- db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
				if _, err := local.Publish(ctx, tx, Event{Type: AccountSyncAttempted, UserID: alice}); err != nil {
					return err
				}
				local.Wake() // a read now must not see the uncommitted event
				close(inTx)
				time.Sleep(100 * time.Millisecond)
				return errors.New("roll back")
			})
		}()
		<-inTx
		if err := <-committed; err == nil {
			t.Fatal("transaction committed")
		}
		e1 := publishTx(t, db, local, Event{Type: AccountSyncSucceeded, UserID: alice})
		e2 := publishTx(t, db, local, Event{Type: AccountSyncSucceeded, UserID: bob})
		e3 := publishTx(t, db, local, Event{Type: AccountBalanceUpdated, UserID: alice})

		expect := func(name string, s *Subscription, want ...Event) {
			t.Helper()
			for _, w := range want {
				select {
				case got, ok := <-s.C():
					if !ok {
						t.Fatalf("%s: closed (%v)", name, s.Err())
					}
					if got.ID != w.ID || got.Type != w.Type || got.UserID != w.UserID {
						t.Fatalf("%s: got %d %s, want %d %s", name, got.ID, got.Type, w.ID, w.Type)
					}
				case <-time.After(30 * time.Second):
					t.Fatalf("%s: no event %d", name, w.ID)
				}
			}
		}
		expect("alice on the publishing bus", mine, e1, e3)
		expect("everyone on the publishing bus", everyone, e1, e2, e3)
		expect("alice on the other bus", theirs, e1, e3)
		select {
		case e := <-mine.C():
			t.Fatalf("unexpected event %+v", e)
		default:
		}

		mine.Close()
		if _, ok := <-mine.C(); ok || mine.Err() != nil {
			t.Fatalf("closed subscription: err %v", mine.Err())
		}
		if err := local.Close(); err != nil {
			t.Fatal(err)
		}
		if _, ok := <-everyone.C(); ok || !errors.Is(everyone.Err(), ErrClosed) {
			t.Fatalf("after Close: err %v, want ErrClosed", everyone.Err())
		}
		late := local.Subscribe(alice)
		if _, ok := <-late.C(); ok || !errors.Is(late.Err(), ErrClosed) {
			t.Fatal("subscribing to a closed bus gave an open subscription")
		}
	})
}

// TestBusDropsSlowSubscribers: a subscriber that stops reading is closed with
// ErrSlowSubscriber instead of holding the bus up.
func TestBusDropsSlowSubscribers(t *testing.T) {
	db := dbtest.NewSQLite(t)
	ctx := context.Background()
	bus := NewBus(NewLog(db), quiet, time.Hour)
	if err := bus.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	user := uuid.New()
	slow := bus.Subscribe(user)
	err := db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		for range SubscriptionBuffer + 1 {
			if _, err := bus.Publish(ctx, tx, Event{Type: AccountBalanceUpdated, UserID: user}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Read nothing until the bus has given up on the subscriber.
	deadline := time.Now().Add(30 * time.Second)
	for slow.Err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("a subscriber that reads nothing was never dropped")
		}
		time.Sleep(10 * time.Millisecond)
	}
	n := 0
	for range slow.C() {
		n++
	}
	if n != SubscriptionBuffer || !errors.Is(slow.Err(), ErrSlowSubscriber) {
		t.Fatalf("slow subscriber got %d events and err %v; want %d and ErrSlowSubscriber", n, slow.Err(), SubscriptionBuffer)
	}
}

// TestConcurrentPublishersLoseNothing: transactions publishing at once, committing
// in any order, never let a reader that resumes "after the last id it saw" skip an
// event; this is what the advisory lock (PostgreSQL) and the single writer (SQLite)
// guarantee.
func TestConcurrentPublishersLoseNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		bus := NewBus(NewLog(db), quiet, 5*time.Millisecond)
		if err := bus.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer bus.Close()
		sub := bus.Subscribe(uuid.Nil)
		const writers, each = 8, 15
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 1))
				for range each {
					err := db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
						if _, err := bus.Publish(ctx, tx, Event{Type: AccountBalanceUpdated, UserID: uuid.New()}); err != nil {
							return err
						}
						time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
						return nil
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var got []int64
		timeout := time.After(60 * time.Second)
		for len(got) < writers*each {
			select {
			case e, ok := <-sub.C():
				if !ok {
					t.Fatalf("subscription closed: %v", sub.Err())
				}
				if len(got) > 0 && e.ID <= got[len(got)-1] {
					t.Fatalf("event %d delivered after %d", e.ID, got[len(got)-1])
				}
				got = append(got, e.ID)
			case <-timeout:
				t.Fatalf("delivered %d of %d events", len(got), writers*each)
			}
		}
		all, err := bus.Replay(ctx, uuid.Nil, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(got) {
			t.Fatalf("log has %d events, %d delivered", len(all), len(got))
		}
		for i := range all {
			if all[i].ID != got[i] {
				t.Fatalf("delivery %d is event %d, log says %d", i, got[i], all[i].ID)
			}
		}
	})
}

func (b *Bus) subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}
