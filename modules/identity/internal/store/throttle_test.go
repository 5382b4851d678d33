package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kontor-app/kontor/modules/identity/internal/store"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

func TestLoginThrottles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		t0 := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
		keys := []string{"login:addr:a@example.com", "login:ip:1.2.3.4"}
		// Concurrent failures are all counted: the fifth locks.
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.RecordLoginFailure(ctx, keys[0], t0, 5, 15*time.Minute, 15*time.Minute); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if locks, err := s.LoginLocks(ctx, keys, t0); err != nil || len(locks) != 0 {
			t.Fatalf("after four failures: %v %v", locks, err)
		}
		if err := s.RecordLoginFailure(ctx, keys[0], t0.Add(time.Minute), 5, 15*time.Minute, 15*time.Minute); err != nil {
			t.Fatal(err)
		}
		locks, err := s.LoginLocks(ctx, keys, t0.Add(2*time.Minute))
		if err != nil || !locks[keys[0]].Equal(t0.Add(16*time.Minute)) || len(locks) != 1 {
			t.Fatalf("after five failures: %v %v", locks, err)
		}
		if locks, _ := s.LoginLocks(ctx, keys, t0.Add(16*time.Minute)); len(locks) != 0 {
			t.Fatalf("after the lock: %v", locks)
		}
		// Failures outside the window start the count afresh.
		for i := range 4 {
			_ = s.RecordLoginFailure(ctx, keys[1], t0.Add(time.Duration(i)*10*time.Minute), 5, 15*time.Minute, 15*time.Minute)
		}
		if locks, _ := s.LoginLocks(ctx, keys, t0.Add(time.Hour)); len(locks) != 0 {
			t.Fatalf("stale failures locked: %v", locks)
		}
		if err := s.ClearLoginFailures(ctx, keys[1]); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteExpired(ctx, t0.Add(48*time.Hour)); err != nil {
			t.Fatal(err)
		}
	})
}
