package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/sync/internal/app"
	"github.com/kontor-app/kontor/modules/sync/internal/domain"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/money"
)

// runWithAccounts runs a scheduled sync (accounts, then transactions), which
// brings the provider's balances.
func (w *world) runWithAccounts(t *testing.T) domain.Run {
	t.Helper()
	r, err := w.svc.Execute(context.Background(), w.conn(), app.Options{Kind: domain.KindTransactions, Trigger: domain.TriggerSchedule, WithAccounts: true})
	if err != nil || r.Status != domain.StatusSucceeded {
		t.Fatalf("run: %v %+v", err, r)
	}
	w.now = w.now.Add(time.Hour)
	return r
}

func (w *world) count(typ string) int {
	n := 0
	for _, e := range w.pub.types() {
		if e == typ {
			n++
		}
	}
	return n
}

func (w *world) setBalance(amount string) {
	w.bank.mu.Lock()
	w.bank.accounts[0].Balance = money.MustParse(amount)
	w.bank.mu.Unlock()
}

func TestDriftOverTwoRunsIsAnnouncedOnceAndADisappearingOneNever(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.runWithAccounts(t) // opening 100 = provider 100
		if n := w.count(app.EventBalanceUpdated); n != 1 {
			t.Fatalf("first run: %d balance events", n)
		}
		// A drift that disappears: the balance moves before its transaction.
		w.setBalance("90.00")
		w.runWithAccounts(t)
		w.bank.add(added(txn("a1", false, "-10.00", 1, ""))...)
		w.runWithAccounts(t)
		if n := w.count(app.EventDriftDetected); n != 0 {
			t.Fatalf("a drift that disappeared after one run was announced %d times", n)
		}
		// A drift that persists over two runs: announced once, and not again.
		w.setBalance("85.00")
		w.runWithAccounts(t)
		if n := w.count(app.EventDriftDetected); n != 0 {
			t.Fatalf("a drift of one run was announced")
		}
		w.runWithAccounts(t)
		if n := w.count(app.EventDriftDetected); n != 1 {
			t.Fatalf("a drift over two runs: %d announcements, want 1", n)
		}
		w.runWithAccounts(t)
		if n := w.count(app.EventDriftDetected); n != 1 {
			t.Fatalf("a drift over three runs: %d announcements, want still 1", n)
		}
		drifting, err := w.repo.Drifting(context.Background(), w.sub.UserID)
		if err != nil || len(drifting) != 1 || drifting[0].Amount.String() != "-5.00" || drifting[0].Streak != 3 {
			t.Fatalf("drifting accounts: %v %+v", err, drifting)
		}
		// The drift is explained: it ends, and the dashboard forgets it.
		w.bank.add(added(txn("a2", false, "-5.00", 2, ""))...)
		w.runWithAccounts(t)
		if drifting, _ := w.repo.Drifting(context.Background(), w.sub.UserID); len(drifting) != 0 {
			t.Fatalf("still drifting: %+v", drifting)
		}
		// One snapshot per source per day (the runs were an hour apart, all
		// on one day but the last ones), the last of the day winning.
		acct := drifting0(t, w)
		snaps, err := w.repo.Snapshots(context.Background(), acct, w.now.AddDate(0, 0, -2), w.now)
		if err != nil {
			t.Fatal(err)
		}
		days := domain.Daily(snaps)
		if len(days) == 0 {
			t.Fatal("no snapshots")
		}
		lastDay := days[len(days)-1]
		if !lastDay.Provider.Valid || lastDay.Provider.Amount.String() != "85.00" || lastDay.Ledger.Amount.String() != "85.00" || !lastDay.Drift.Amount.IsZero() {
			t.Fatalf("last day: %+v", lastDay)
		}
		seen := map[string]int{}
		for _, s := range snaps {
			seen[s.Day.Format(time.DateOnly)+s.Source]++
		}
		for k, n := range seen {
			if n != 1 {
				t.Fatalf("%d snapshots for %s", n, k)
			}
		}
	})
}

func drifting0(t *testing.T, w *world) uuid.UUID {
	t.Helper()
	m, err := w.repo.AccountMap(context.Background(), w.conns.conn.ID)
	if err != nil || len(m) != 1 {
		t.Fatalf("account map: %v %v", err, m)
	}
	return m["chk"]
}

func TestObserveDrift(t *testing.T) {
	var d domain.Drift
	now := time.Now()
	steps := []struct {
		diff     string
		announce bool
		streak   int
	}{{"0", false, 0}, {"1", false, 1}, {"0", false, 0}, {"2", false, 1}, {"2", true, 2}, {"3", false, 3}, {"0", false, 0}, {"1", false, 1}, {"1", true, 2}}
	for i, s := range steps {
		if got := d.Observe(money.MustParse(s.diff), now); got != s.announce || d.Streak != s.streak {
			t.Fatalf("step %d: announce %v streak %d, want %v %d", i, got, d.Streak, s.announce, s.streak)
		}
	}
}
