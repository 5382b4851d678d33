package app_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kontor-app/kontor/modules/sync/internal/app"
	"github.com/kontor-app/kontor/modules/sync/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

func many(n int, prefix string) []event {
	evs := make([]event, n)
	for i := range evs {
		evs[i] = event{txn: txn(fmt.Sprintf("%s%05d", prefix, i), false, fmt.Sprintf("-%d.00", i+1), i%30, "")}
	}
	return evs
}

func TestCursorSyncPagesAndCommitsTheCursorWithTheLastPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.bank.add(many(1200, "t")...)
		r := w.run(t, w.svc)
		if r.Status != domain.StatusSucceeded || r.Stats.Added != 1200 || r.Stats.Pages != 4 || r.CursorTo != "1200" || r.CursorFrom != "" {
			t.Fatalf("first run: %+v", r)
		}
		if n := len(w.led.entries(t)); n != 1200 {
			t.Fatalf("ledger has %d entries, want 1200", n)
		}
		if c := w.cursor(t); c != "1200" {
			t.Fatalf("committed cursor %q", c)
		}
		// Nothing new: nothing written, the cursor stays.
		r = w.run(t, w.svc)
		if r.Stats.Added+r.Stats.Modified+r.Stats.Removed != 0 || r.CursorFrom != "1200" || r.CursorTo != "1200" || r.Message() != "Nothing new since the last sync." {
			t.Fatalf("repeat run: %+v %q", r.Stats, r.Message())
		}
		if len(w.bank.outcomes) != 2 || w.bank.outcomes[0] != nil {
			t.Fatalf("each run reports its outcome: %v", w.bank.outcomes)
		}
		want := "[TransactionSyncAttempted AccountBalanceUpdated TransactionSyncSucceeded TransactionSyncAttempted TransactionSyncSucceeded]"
		if got := fmt.Sprint(w.pub.types()); got != want {
			t.Fatalf("events %s, want %s", got, want)
		}
	})
}

func TestCrashBetweenPagesResumesWithoutDuplicates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.bank.add(many(1200, "t")...)
		crashing := w.service()
		crashing.BeforeWrite = func(_ context.Context, page int) error {
			if page == 1 {
				return errors.New("killed")
			}
			return nil
		}
		r, err := crashing.Execute(context.Background(), w.conn(), app.Options{Kind: domain.KindTransactions, Trigger: domain.TriggerSchedule})
		if err != nil || r.Status != domain.StatusFailed {
			t.Fatalf("crashed run: %v %+v", err, r)
		}
		if n := len(w.led.entries(t)); n != 500 {
			t.Fatalf("after the crash the ledger holds %d entries, want the whole first page (500)", n)
		}
		if c := w.cursor(t); c != "" {
			t.Fatalf("the cursor moved mid-run: %q", c)
		}
		w.now = w.now.Add(time.Minute)
		r = w.run(t, w.svc)
		if r.Status != domain.StatusSucceeded || r.Stats.Added != 700 || r.Stats.Duplicates != 500 {
			t.Fatalf("resumed run: %+v", r.Stats)
		}
		if n := len(w.led.entries(t)); n != 1200 {
			t.Fatalf("ledger has %d entries, want 1200", n)
		}
	})
}

func TestMutationDuringPaginationRestartsFromTheStartingCursorAndLosesNoRemoval(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.bank.add(many(10, "t")...)
		w.run(t, w.svc)
		c0 := w.cursor(t)
		// The next update: a removal in the first page, more in the second, and the
		// second page's fetch answers "mutation during pagination" once.
		w.bank.add(event{txn: txn("t00003", false, "-1.00", 0, ""), removed: true})
		w.bank.add(many(600, "n")...)
		w.bank.mutateAt[10+app.PageSize] = 1
		r := w.run(t, w.svc)
		if r.Status != domain.StatusSucceeded || r.Stats.Restarts != 1 || r.Stats.Removed != 1 || r.Stats.Added != 600 || r.CursorFrom != c0 {
			t.Fatalf("run: %+v", r)
		}
		e := w.led.entries(t)
		if _, ok := e["t00003"]; ok || len(e) != 609 {
			t.Fatalf("the removal was lost or rows duplicated: %d entries, t00003 present=%v", len(e), ok)
		}
		// Past MaxRestarts the run fails and the cursor stays.
		w.bank.add(many(1, "z")...)
		w.bank.mutateAt[611] = app.MaxRestarts + 1
		r = w.run(t, w.svc)
		if r.Status != domain.StatusFailed || r.Error.Code != app.CodePaginationUnstable || w.cursor(t) != "611" {
			t.Fatalf("unstable feed: %+v cursor %q", r, w.cursor(t))
		}
	})
}

func TestZombieRunWritesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.bank.add(many(1200, "t")...)
		zombie := w.service()
		var rival *app.Service
		zombie.BeforeWrite = func(ctx context.Context, page int) error {
			if page != 1 {
				return nil
			}
			// The zombie stalls past its lease; another instance claims the connection.
			w.now = w.now.Add(2 * domain.LeaseTTL)
			rival = w.service()
			if _, ok, err := w.repo.Claim(ctx, w.conns.conn.ID, "rival", w.now, domain.LeaseTTL); err != nil || !ok {
				t.Fatalf("the lapsed lease could not be claimed: %v %v", ok, err)
			}
			return nil
		}
		_, err := zombie.Execute(context.Background(), w.conn(), app.Options{Kind: domain.KindTransactions, Trigger: domain.TriggerSchedule})
		if !errors.Is(err, app.ErrLeaseLost) {
			t.Fatalf("want ErrLeaseLost, got %v", err)
		}
		if n := len(w.led.entries(t)); n != 500 {
			t.Fatalf("the zombie wrote after losing its lease: %d entries", n)
		}
		if c := w.cursor(t); c != "" {
			t.Fatalf("the zombie moved the cursor to %q", c)
		}
		var facts int
		if err := db.NewRaw("SELECT count(*) FROM sync_provider_transactions").Scan(context.Background(), &facts); err != nil || facts != 500 {
			t.Fatalf("facts %d %v", facts, err)
		}
		if len(w.bank.outcomes) != 0 {
			t.Fatalf("the zombie reported an outcome: %v", w.bank.outcomes)
		}
		_ = rival
	})
}

func TestOneRunPerConnectionAtATime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.bank.add(many(1200, "t")...)
		first := w.service()
		var second error
		first.BeforeWrite = func(ctx context.Context, page int) error {
			if page == 0 {
				_, second = w.service().Execute(ctx, w.conn(), app.Options{Kind: domain.KindTransactions, Trigger: domain.TriggerManual})
			}
			return nil
		}
		r, err := first.Execute(context.Background(), w.conn(), app.Options{Kind: domain.KindTransactions, Trigger: domain.TriggerSchedule})
		if err != nil || r.Status != domain.StatusSucceeded {
			t.Fatalf("first: %v %+v", err, r)
		}
		if !apperr.Is(second, app.SyncInProgress) {
			t.Fatalf("the second run while the first held the lease: %v", second)
		}
		// The lease is free again afterwards.
		w.now = w.now.Add(time.Second)
		w.run(t, w.svc)
		if n := len(w.led.entries(t)); n != 1200 {
			t.Fatalf("ledger has %d entries", n)
		}
	})
}

func TestLeaseClaimsExpire(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		id := w.conns.conn.ID
		f1, ok, err := w.repo.Claim(ctx, id, "a", w.now, domain.LeaseTTL)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if _, ok, _ := w.repo.Claim(ctx, id, "b", w.now.Add(domain.LeaseTTL-time.Second), domain.LeaseTTL); ok {
			t.Fatal("a live lease was claimed twice")
		}
		f2, ok, err := w.repo.Claim(ctx, id, "b", w.now.Add(domain.LeaseTTL+time.Second), domain.LeaseTTL)
		if err != nil || !ok || f2 != f1+1 {
			t.Fatalf("a lapsed lease: %v %v fence %d after %d", ok, err, f2, f1)
		}
		if err := w.repo.InTx(ctx, func(ctx context.Context) error { return w.repo.Guard(ctx, id, "a", f1, w.now) }); !errors.Is(err, app.ErrLeaseLost) {
			t.Fatalf("the old owner's guard: %v", err)
		}
	})
}

func TestPendingPostsWithoutDuplicates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.bank.add(added(txn("p1", true, "-10.00", 0, ""), txn("p2", true, "-20.00", 0, ""), txn("hold", true, "-50.00", 0, ""))...)
		w.run(t, w.svc)
		// Posting: p1 under a new id naming it, with a tip; p2 under a new id with no
		// link (matched by amount); the hold is cancelled.
		w.bank.add(added(txn("q1", false, "-12.00", 2, "p1"), txn("q2", false, "-20.00", 3, ""))...)
		w.bank.add(event{txn: txn("p1", true, "-1.00", 0, ""), removed: true}, event{txn: txn("hold", true, "-1.00", 0, ""), removed: true})
		r := w.run(t, w.svc)
		want := map[string]string{"p1": "posted -12.00", "p2": "posted -20.00"}
		if got := w.led.entries(t); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("ledger %v, want %v", got, want)
		}
		if r.Stats.LinkedPending != 2 || r.Stats.Removed != 1 || r.Stats.Added != 0 {
			t.Fatalf("stats %+v", r.Stats)
		}
		// Later the pending twin is withdrawn again: nothing changes.
		w.bank.add(event{txn: txn("p2", true, "-1.00", 0, ""), removed: true})
		w.run(t, w.svc)
		if got := w.led.entries(t); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("ledger %v after a late removal of a posted pending", got)
		}
	})
}

func TestAmbiguousMatchBecomesASuggestionTheOwnerDecides(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		w.bank.add(added(txn("a", true, "-5.00", 0, ""), txn("b", true, "-5.00", 1, ""))...)
		w.run(t, w.svc)
		w.bank.add(added(txn("x", false, "-5.00", 2, ""))...)
		r := w.run(t, w.svc)
		if r.Stats.Suggestions != 2 || r.Stats.Added != 1 {
			t.Fatalf("stats %+v", r.Stats)
		}
		list, err := w.svc.Suggestions(ctx, w.sub, uuidNull())
		if err != nil || len(list) != 2 || list[0].Posted.ID != "x" {
			t.Fatalf("suggestions %+v %v", list, err)
		}
		other := w.sub
		other.UserID[0] ^= 0xff
		if err := w.svc.ResolveSuggestion(ctx, other, list[0].ID, true); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("another user's decision: %v", err)
		}
		if err := w.svc.ResolveSuggestion(ctx, w.sub, list[0].ID, true); err != nil {
			t.Fatal(err)
		}
		pendingGone := list[0].Pending.ID
		e := w.led.entries(t)
		if _, ok := e[pendingGone]; ok || len(e) != 2 {
			t.Fatalf("after confirming, the pending entry must go: %v", e)
		}
		if left, _ := w.svc.Suggestions(ctx, w.sub, uuidNull()); len(left) != 0 {
			t.Fatalf("the other suggestion of the same posted transaction stays open: %+v", left)
		}
	})
}

func TestProviderFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.bank.failNext = []error{&providerErr{code: "rate_limited", retry: time.Minute}}
		r := w.run(t, w.svc)
		if r.Status != domain.StatusFailed || r.Error.Code != "rate_limited" || len(w.bank.outcomes) != 1 || w.bank.outcomes[0] == nil {
			t.Fatalf("rate limited: %+v %v", r, w.bank.outcomes)
		}
		w.bank.failNext = []error{&providerErr{code: "auth_revoked"}}
		r = w.run(t, w.svc)
		if r.Error == nil || r.Error.Code != "auth_revoked" || w.bank.status != "needs_reauth" {
			t.Fatalf("auth: %+v status %s", r, w.bank.status)
		}
		// needs_reauth stops the schedule.
		next := w.now.Add(-time.Minute)
		w.conns.conn.NextSyncAt = &next
		if n, err := w.svc.Tick(context.Background()); err != nil || n != 0 {
			t.Fatalf("tick queued %d: %v", n, err)
		}
		w.bank.status = "active"
		if n, err := w.svc.Tick(context.Background()); err != nil || n != 1 {
			t.Fatalf("tick after reauthorization queued %d: %v", n, err)
		}
		if n, err := w.svc.Tick(context.Background()); err != nil || n != 0 {
			t.Fatalf("a second tick queued the live job again: %d %v", n, err)
		}
		w.queue.take(t, w.svc)
		list, err := w.svc.ListRuns(context.Background(), w.sub, app.ListInput{Limit: 1})
		if err != nil || len(list.Runs) != 1 || list.Runs[0].Trigger != domain.TriggerLink || list.Runs[0].Status != domain.StatusSucceeded {
			t.Fatalf("the scheduled run: %+v %v", list.Runs, err)
		}
	})
}

func TestManualSyncRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		in := app.SyncInput{ConnectionID: w.conns.conn.ID}
		r, err := w.svc.SyncAccounts(ctx, w.sub, in)
		if err != nil || r.Stats.AccountsCreated != 1 || r.Trigger != domain.TriggerManual {
			t.Fatalf("accounts: %+v %v", r, err)
		}
		w.now = w.now.Add(5 * time.Minute)
		_, err = w.svc.SyncAccounts(ctx, w.sub, in)
		ae, _ := apperr.As(err)
		if !apperr.Is(err, apperr.SyncTooSoon) || ae.RetryAfter != 600 {
			t.Fatalf("too soon: %v %+v", err, ae)
		}
		in.Force = true
		if r, err := w.svc.SyncAccounts(ctx, w.sub, in); err != nil || r.Stats.Unchanged != 1 {
			t.Fatalf("forced: %+v %v", r, err)
		}
		other := w.sub
		other.UserID[0] ^= 0xff
		if _, err := w.svc.SyncTransactions(ctx, other, in); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("another user's connection: %v", err)
		}
		w.bank.status = "needs_reauth"
		if _, err := w.svc.SyncTransactions(ctx, w.sub, in); !apperr.Is(err, apperr.ConnectionNotActive) {
			t.Fatalf("inactive: %v", err)
		}
		w.bank.status = "active"
		// A rate limit is honoured: until its Retry-After, even a forced sync waits.
		w.bank.failNext = []error{&providerErr{code: "rate_limited", retry: 2 * time.Minute}}
		if r, err := w.svc.SyncTransactions(ctx, w.sub, in); err != nil || r.Status != domain.StatusFailed {
			t.Fatalf("rate limited run: %+v %v", r, err)
		}
		w.now = w.now.Add(30 * time.Second)
		calls := w.bank.calls
		_, err = w.svc.SyncTransactions(ctx, w.sub, in)
		if ae, _ := apperr.As(err); !apperr.Is(err, apperr.SyncTooSoon) || ae.RetryAfter != 90 || w.bank.calls != calls {
			t.Fatalf("within Retry-After: %v %+v", err, ae)
		}
		w.now = w.now.Add(2 * time.Minute)
		if r, err := w.svc.SyncTransactions(ctx, w.sub, in); err != nil || r.Status != domain.StatusSucceeded {
			t.Fatalf("after Retry-After: %+v %v", r, err)
		}
		list, err := w.svc.ListRuns(ctx, w.sub, app.ListInput{Limit: 1})
		if err != nil || len(list.Runs) != 1 || !list.Next.Valid {
			t.Fatalf("list: %+v %v", list, err)
		}
		if _, err := w.svc.GetRun(ctx, other, list.Runs[0].ID); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("another user's run: %v", err)
		}
	})
}

func TestWindowProviderBudgetAndCompleteness(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		w.bank.provider = "simplefin"
		day := func(n int) time.Time { return w.now.AddDate(0, 0, n) }
		hold := txn("hold", true, "-9.00", 0, "")
		hold.Date = day(-2)
		posted := txn("old", false, "-3.00", 0, "")
		posted.Date = day(-80)
		w.bank.window = []app.Transaction{hold, posted}
		in := app.SyncInput{ConnectionID: w.conns.conn.ID, Force: true}
		r, err := w.svc.SyncTransactions(ctx, w.sub, in)
		if err != nil || r.Stats.Added != 2 || r.Stats.AccountsCreated != 1 || r.Stats.Requests != 2 {
			t.Fatalf("first window (90 days, two requests): %+v %v", r, err)
		}
		// The hold disappears, but the account's listing is incomplete: it stays.
		w.bank.window = nil
		w.bank.windowBad = map[string]bool{"chk": true}
		w.now = w.now.Add(time.Hour)
		r, _ = w.svc.SyncTransactions(ctx, w.sub, in)
		if r.Stats.Removed != 0 || len(w.led.entries(t)) != 2 {
			t.Fatalf("removed from an incomplete window: %+v", r.Stats)
		}
		// Complete now: the hold goes; the posted one, outside the window, stays.
		w.bank.windowBad = nil
		w.now = w.now.Add(time.Hour)
		r, _ = w.svc.SyncTransactions(ctx, w.sub, in)
		if e := w.led.entries(t); r.Stats.Removed != 1 || len(e) != 1 || e["old"] == "" {
			t.Fatalf("complete window: %+v %v", r.Stats, e)
		}
		// 2 + 1 + 1 requests so far; 20 more fit in the day, the 25th is refused
		// before it is made.
		for i := 0; i < 20; i++ {
			w.now = w.now.Add(time.Minute)
			if _, err := w.svc.SyncTransactions(ctx, w.sub, in); err != nil {
				t.Fatalf("request %d: %v", i+5, err)
			}
		}
		calls := w.bank.calls
		_, err = w.svc.SyncAccounts(ctx, w.sub, in)
		if !apperr.Is(err, apperr.SyncTooSoon) || w.bank.calls != calls {
			t.Fatalf("the 25th request: %v (calls %d -> %d)", err, calls, w.bank.calls)
		}
	})
}
