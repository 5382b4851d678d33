package idempotency

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

// TestMain, in the external test package, stops the PostgreSQL container.

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func TestStoreLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := NewStore(db)
		req := Request{Scope: "user:1", Key: "k", Method: "POST", Path: "/api/v1/accounts", RequestHash: "abc"}

		rec, started, err := s.Begin(ctx, req, t0)
		if err != nil || !started || rec.State != StateRunning || !rec.ExpiresAt.Equal(t0.Add(Retention)) {
			t.Fatalf("first Begin: %+v started=%v err=%v", rec, started, err)
		}
		owner := rec.Owner
		rec, started, err = s.Begin(ctx, req, t0.Add(time.Second))
		if err != nil || started || rec.State != StateRunning || !rec.Matches(req) {
			t.Fatalf("second Begin: %+v started=%v err=%v", rec, started, err)
		}

		resp := Response{Status: 201, Headers: map[string]string{"Location": "/api/v1/accounts/1"}, Body: []byte(`{"id":1}` + "\x00\xff")}
		if err := s.Complete(ctx, req.Scope, req.Key, owner, resp); err != nil {
			t.Fatal(err)
		}
		if err := s.Complete(ctx, req.Scope, req.Key, owner, resp); err == nil {
			t.Fatal("completing a completed key succeeded")
		}
		rec, started, err = s.Begin(ctx, req, t0.Add(time.Hour))
		if err != nil || started || rec.State != StateCompleted || rec.Response.Status != 201 ||
			string(rec.Response.Body) != string(resp.Body) || rec.Response.Headers["Location"] != "/api/v1/accounts/1" {
			t.Fatalf("Begin on a completed key: %+v started=%v err=%v", rec, started, err)
		}
		// Forget leaves completed keys alone: it only releases running ones.
		if err := s.Forget(ctx, req.Scope, req.Key, owner); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := s.Get(ctx, req.Scope, req.Key); !found {
			t.Fatal("Forget removed a completed key")
		}

		// After the retention the key is free again.
		rec, started, err = s.Begin(ctx, req, t0.Add(Retention))
		if err != nil || !started || rec.State != StateRunning {
			t.Fatalf("Begin after expiry: %+v started=%v err=%v", rec, started, err)
		}
		if err := s.Forget(ctx, req.Scope, req.Key, rec.Owner); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := s.Get(ctx, req.Scope, req.Key); found {
			t.Fatal("Forget left a running key")
		}
	})
}

func TestDeleteExpired(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := NewStore(db)
		for key, claimed := range map[string]time.Time{
			"older": t0.Add(-40 * time.Hour), // expired at t0-16h
			"old":   t0.Add(-20 * time.Hour), // expires at t0+4h
			"new":   t0,                      // expires at t0+24h
		} {
			if _, _, err := s.Begin(ctx, Request{Scope: "s", Key: key, Method: "POST", Path: "/", RequestHash: "h"}, claimed); err != nil {
				t.Fatal(err)
			}
		}
		// At t0+5h "older" and "old" have expired.
		n, err := s.DeleteExpired(ctx, t0.Add(5*time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("DeleteExpired = %d, %v; want 2", n, err)
		}
		if _, found, _ := s.Get(ctx, "s", "new"); !found {
			t.Fatal("DeleteExpired removed a live key")
		}
	})
}

func TestModule(t *testing.T) {
	db := dbtest.NewSQLite(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := fx.ValidateApp(Module, fx.Supply(db, logger, config.Config{SecretKey: "s"}), fx.NopLogger); err != nil {
		t.Fatal(err)
	}
	var s *Store
	app := fxtest.New(t, Module, fx.Supply(db, logger, config.Config{SecretKey: "s"}), fx.Populate(&s))
	app.RequireStart()
	app.RequireStop()
	if s == nil {
		t.Fatal("Module provided no *Store")
	}
}
