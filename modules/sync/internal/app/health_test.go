package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/kontor-app/kontor/modules/sync/internal/app"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

func TestHealthListsStaleBrokenAndDriftingAccounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.runWithAccounts(t)
		health := func() []app.HealthItem {
			t.Helper()
			h, err := w.svc.Health(context.Background(), w.sub)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
		last := w.now
		w.conns.conn.LastSyncAt = &last
		if h := health(); len(h) != 0 {
			t.Fatalf("a fresh connection: %+v", h)
		}
		// Twice the 15-minute interval has passed: stale.
		w.now = last.Add(31 * time.Minute)
		h := health()
		if len(h) != 1 || h[0].Kind != app.HealthStale || h[0].AccountName != "Checking" || h[0].Link != app.ConnectionPage(w.conns.conn.ID) {
			t.Fatalf("stale: %+v", h)
		}
		// Another user sees nothing of it.
		other := w.sub
		other.UserID[0] ^= 0xff
		if h, err := w.svc.Health(context.Background(), other); err != nil || len(h) != 0 {
			t.Fatalf("another user's health: %v %+v", err, h)
		}
		// Needs reauthorization: broken, not stale.
		w.bank.status = "needs_reauth"
		if h := health(); len(h) != 1 || h[0].Kind != app.HealthBroken {
			t.Fatalf("broken: %+v", h)
		}
		w.bank.status = "active"
		// Drift over two runs: drifting, with a link to the account.
		w.setBalance("70.00")
		w.runWithAccounts(t)
		w.runWithAccounts(t)
		now := w.now
		w.conns.conn.LastSyncAt = &now
		h = health()
		if len(h) != 1 || h[0].Kind != app.HealthDrift || h[0].Link != "/accounts/"+h[0].AccountID.String() {
			t.Fatalf("drifting: %+v", h)
		}
	})
}
