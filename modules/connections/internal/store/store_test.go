package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/modules/connections/internal/store"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 123456000, time.UTC)

func newConnection(t *testing.T, s *store.Store, user uuid.UUID, provider string) domain.Connection {
	t.Helper()
	id, _ := uuid.NewV7()
	c, err := domain.New(domain.NewParams{ID: id, UserID: user, Provider: provider, Alias: "Bank", Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Activate([]byte{0, 1, 2, 0xff}, "Linked.", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		alice, bob := uuid.New(), uuid.New()

		c := newConnection(t, s, alice, "sandbox")
		if c.Status != domain.StatusActive || c.Alias != "Bank" || !bytes.Equal(c.Credentials, []byte{0, 1, 2, 0xff}) ||
			!c.CreatedAt.Equal(t0) || c.NextSyncAt == nil || !c.NextSyncAt.Equal(t0) || c.Reason != nil || c.Version != 0 {
			t.Fatalf("round trip: %+v", c)
		}
		if _, err := s.Get(ctx, uuid.New()); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("missing: %v", err)
		}

		// An update saves the aggregate, bumps the version and records the change.
		later := t0.Add(time.Hour)
		err := s.Update(ctx, c.ID, func(_ context.Context, c *domain.Connection) error {
			return c.RecordOutcome(domain.Outcome{Code: domain.CodeAuthRevoked, Message: "Consent withdrawn."}, later)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.Get(ctx, c.ID)
		if got.Status != domain.StatusNeedsReauth || got.Reason == nil || got.Reason.Code != domain.CodeAuthRevoked ||
			got.Reason.Action != domain.ActionReauthorize || got.Reason.Message != "Consent withdrawn." || got.Version != 1 ||
			got.LastSyncStatus != domain.SyncFailed || got.LastAttemptAt == nil || !got.LastAttemptAt.Equal(later) || got.NextSyncAt != nil {
			t.Fatalf("after update: %+v", got)
		}
		// A failing closure changes nothing.
		boom := errors.New("boom")
		if err := s.Update(ctx, c.ID, func(_ context.Context, c *domain.Connection) error {
			c.Disconnect(later)
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("closure error: %v", err)
		}
		if again, _ := s.Get(ctx, c.ID); again.Status != domain.StatusNeedsReauth || again.Version != 1 {
			t.Fatalf("rolled back? %+v", again)
		}
		if err := s.Update(ctx, uuid.New(), func(context.Context, *domain.Connection) error { return nil }); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("update missing: %v", err)
		}
		if err := s.Update(ctx, c.ID, func(_ context.Context, c *domain.Connection) error {
			c.Disconnect(later.Add(time.Minute))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		gone, _ := s.Get(ctx, c.ID)
		if gone.Credentials != nil || gone.Status != domain.StatusDisconnected {
			t.Fatalf("disconnected: %+v", gone)
		}

		h, err := s.History(ctx, c.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		wantTo := []domain.Status{domain.StatusDisconnected, domain.StatusNeedsReauth, domain.StatusActive, domain.StatusPending}
		if len(h) != len(wantTo) {
			t.Fatalf("history %+v", h)
		}
		for i, w := range wantTo {
			if h[i].To != w {
				t.Fatalf("history[%d] = %+v, want to %s", i, h[i], w)
			}
		}
		if h[1].Code != domain.CodeAuthRevoked || h[1].Action != domain.ActionReauthorize || h[1].From != domain.StatusActive || !h[1].At.Equal(later) {
			t.Fatalf("history entry %+v", h[1])
		}

		// Lists page by id, filter, and never show another user's.
		var ids []uuid.UUID
		for i := 0; i < 3; i++ {
			ids = append(ids, newConnection(t, s, bob, []string{"ofx", "sandbox", "ofx"}[i]).ID)
		}
		page, more, err := s.List(ctx, app.ListQuery{UserID: bob, Limit: 2})
		if err != nil || !more || len(page) != 2 || page[0].ID != ids[0] || page[1].ID != ids[1] {
			t.Fatalf("page 1: %v %v %v", page, more, err)
		}
		page, more, err = s.List(ctx, app.ListQuery{UserID: bob, Limit: 2, After: uuid.NullUUID{UUID: ids[1], Valid: true}})
		if err != nil || more || len(page) != 1 || page[0].ID != ids[2] {
			t.Fatalf("page 2: %v %v %v", page, more, err)
		}
		page, _, _ = s.List(ctx, app.ListQuery{UserID: bob, Limit: 10, Provider: "ofx"})
		if len(page) != 2 {
			t.Fatalf("provider filter: %d", len(page))
		}
		page, _, _ = s.List(ctx, app.ListQuery{UserID: alice, Limit: 10, Status: domain.StatusActive})
		if len(page) != 0 {
			t.Fatalf("status filter: %d", len(page))
		}

		// Due: active, auto-sync, next sync reached.
		due, err := s.Due(ctx, t0.Add(time.Second), 10)
		if err != nil || len(due) != 3 {
			t.Fatalf("due: %d %v", len(due), err)
		}
		if due, _ := s.Due(ctx, t0.Add(-time.Second), 10); len(due) != 0 {
			t.Fatalf("due before: %d", len(due))
		}

		// OAuth states: stored by hash, consumed once.
		st := app.OAuthState{Hash: "h1", UserID: bob, ConnectionID: ids[1], CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
		if err := s.SaveState(ctx, st); err != nil {
			t.Fatal(err)
		}
		got2, found, err := s.State(ctx, "h1")
		if err != nil || !found || got2.UserID != bob || got2.ConnectionID != ids[1] || !got2.ExpiresAt.Equal(st.ExpiresAt) {
			t.Fatalf("state: %+v %v %v", got2, found, err)
		}
		if won, err := s.ConsumeState(ctx, "h1"); err != nil || !won {
			t.Fatalf("first consume: %v %v", won, err)
		}
		if won, err := s.ConsumeState(ctx, "h1"); err != nil || won {
			t.Fatalf("second consume: %v %v", won, err)
		}
		if _, found, _ := s.State(ctx, "h1"); found {
			t.Fatal("consumed state still there")
		}
		// Saving a state purges expired ones.
		_ = s.SaveState(ctx, app.OAuthState{Hash: "old", UserID: bob, ConnectionID: ids[1], CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)})
		_ = s.SaveState(ctx, app.OAuthState{Hash: "new", UserID: bob, ConnectionID: ids[1], CreatedAt: t0.Add(time.Hour), ExpiresAt: t0.Add(2 * time.Hour)})
		if _, found, _ := s.State(ctx, "old"); found {
			t.Fatal("expired state not purged")
		}

		// Atomically: an error rolls back every write inside.
		err = s.Atomically(ctx, func(ctx context.Context) error {
			_ = s.SaveState(ctx, app.OAuthState{Hash: "tx", UserID: bob, ConnectionID: ids[1], CreatedAt: t0.Add(time.Hour), ExpiresAt: t0.Add(2 * time.Hour)})
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if _, found, _ := s.State(ctx, "tx"); found {
			t.Fatal("write inside a failed Atomically survived")
		}
	})
}
