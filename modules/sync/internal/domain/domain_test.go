package domain_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/kontor-app/kontor/modules/sync/internal/domain"
	"github.com/kontor-app/kontor/platform/money"
)

var day0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func d(n int) time.Time { return day0.AddDate(0, 0, n) }

func pending(id, amount string, day int, party string) domain.Fact {
	return domain.Fact{AccountID: "acc", ID: id, Canonical: id, Pending: true, Amount: money.MustParse(amount), Date: d(day), Counterparty: party}
}

func TestMatchPending(t *testing.T) {
	t.Parallel()
	posted := func(amount string, day int, party string) domain.Fact {
		return domain.Fact{AccountID: "acc", ID: "posted", Amount: money.MustParse(amount), Date: d(day), Counterparty: party}
	}
	cases := []struct {
		name       string
		posted     domain.Fact
		candidates []domain.Fact
		kind       domain.MatchKind
		pendingID  string
		suggested  int
	}{
		{"same amount, one candidate", posted("-12.50", 2, "Cafe"), []domain.Fact{pending("p1", "-12.50", 0, "Other")}, domain.MatchExact, "p1", 0},
		{"same amount nine days later is too late", posted("-12.50", 9, "Cafe"), []domain.Fact{pending("p1", "-12.50", 0, "Cafe")}, domain.MatchNone, "", 0},
		{"same amount eight days later", posted("-12.50", 8, "Cafe"), []domain.Fact{pending("p1", "-12.50", 0, "Cafe")}, domain.MatchExact, "p1", 0},
		{"two with the same amount are ambiguous", posted("-12.50", 2, "Cafe"), []domain.Fact{pending("p1", "-12.50", 0, "Cafe"), pending("p2", "-12.50", 1, "Cafe")}, domain.MatchAmbiguous, "", 2},
		{"a tip with the same counterparty", posted("-12.00", 2, "Diner"), []domain.Fact{pending("p1", "-10.00", 0, "DINER ")}, domain.MatchTip, "p1", 0},
		{"30 % is the most a tip adds", posted("-13.00", 2, "Diner"), []domain.Fact{pending("p1", "-10.00", 0, "Diner")}, domain.MatchTip, "p1", 0},
		{"31 % is no tip", posted("-13.10", 2, "Diner"), []domain.Fact{pending("p1", "-10.00", 0, "Diner")}, domain.MatchNone, "", 0},
		{"a tip-sized change with another counterparty is only a suggestion", posted("-12.00", 2, "Diner"), []domain.Fact{pending("p1", "-10.00", 0, "Bar")}, domain.MatchAmbiguous, "", 1},
		{"a smaller posted amount is no tip", posted("-9.00", 2, "Diner"), []domain.Fact{pending("p1", "-10.00", 0, "Diner")}, domain.MatchNone, "", 0},
		{"opposite signs never match", posted("12.00", 2, "Diner"), []domain.Fact{pending("p1", "-10.00", 0, "Diner")}, domain.MatchNone, "", 0},
		{"an exact match beats a tip", posted("-10.00", 2, "Diner"), []domain.Fact{pending("p1", "-10.00", 0, "X"), pending("p2", "-9.00", 0, "Diner")}, domain.MatchExact, "p1", 0},
		{"removed and merged pendings are no candidates", posted("-10.00", 2, "Diner"), []domain.Fact{func() domain.Fact { f := pending("p1", "-10.00", 0, ""); f.Removed = true; return f }(), func() domain.Fact { f := pending("p2", "-10.00", 0, ""); f.LinkedPosted = "x"; return f }()}, domain.MatchNone, "", 0},
		{"another account's pending is no candidate", posted("-10.00", 2, "Diner"), []domain.Fact{func() domain.Fact { f := pending("p1", "-10.00", 0, ""); f.AccountID = "other"; return f }()}, domain.MatchNone, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := domain.MatchPending(c.posted, c.candidates)
			if m.Kind != c.kind || m.Pending.ID != c.pendingID || len(m.Candidates) != c.suggested {
				t.Fatalf("got %s %q %d candidates, want %s %q %d", m.Kind, m.Pending.ID, len(m.Candidates), c.kind, c.pendingID, c.suggested)
			}
		})
	}
}

// store is an in-memory fact store that saves a plan the way the real one does.
type store struct{ facts map[domain.Key]domain.Fact }

func (s *store) known() domain.Known {
	out := map[domain.Key]domain.Fact{}
	for k, v := range s.facts {
		out[k] = v
	}
	return domain.Known{Facts: out}
}

func (s *store) save(p domain.Plan) {
	if s.facts == nil {
		s.facts = map[domain.Key]domain.Fact{}
	}
	for _, f := range p.Facts {
		s.facts[f.Key()] = f
	}
}

func in(id string, pending bool, amount string, day int, pendingID string) domain.Incoming {
	return domain.Incoming{AccountID: "acc", ID: id, Pending: pending, Amount: money.MustParse(amount), Date: d(day), Description: "Shop", PendingID: pendingID}
}

func TestApplyTwiceEqualsOnce(t *testing.T) {
	t.Parallel()
	page := domain.Page{Upserts: []domain.Incoming{in("a", false, "-1.00", 0, ""), in("p", true, "-2.00", 1, ""), in("b", false, "3.00", 2, "")}}
	var s store
	first := domain.Apply(s.known(), page)
	s.save(first)
	if first.Stats.Added != 3 || len(first.Upserts["acc"]) != 3 {
		t.Fatalf("first: %+v", first.Stats)
	}
	snapshot := s.known().Facts
	second := domain.Apply(s.known(), page)
	s.save(second)
	if second.Stats.Duplicates != 3 || second.Stats.Added+second.Stats.Modified+second.Stats.Removed != 0 || len(second.Upserts) != 0 || len(second.Removals) != 0 {
		t.Fatalf("second application changed something: %+v %v %v", second.Stats, second.Upserts, second.Removals)
	}
	if !reflect.DeepEqual(snapshot, s.facts) {
		t.Fatal("facts differ after applying the page again")
	}
}

func TestPendingPostsUnderNewID(t *testing.T) {
	t.Parallel()
	var s store
	s.save(domain.Apply(s.known(), domain.Page{Upserts: []domain.Incoming{in("p", true, "-10.00", 0, "")}}))
	// Plaid-style: the posted one names the pending one, and the pending one is removed.
	plan := domain.Apply(s.known(), domain.Page{Upserts: []domain.Incoming{in("q", false, "-12.00", 2, "p")}, Removed: []domain.Key{{ID: "p"}}})
	s.save(plan)
	if plan.Stats.LinkedPending != 1 || plan.Stats.Added != 0 || plan.Stats.Removed != 0 {
		t.Fatalf("stats %+v", plan.Stats)
	}
	if e := plan.Upserts["acc"]; len(e) != 1 || e[0].ID != "p" || e[0].Pending || e[0].Amount.String() != "-12.00" {
		t.Fatalf("want the pending entry revised in place as posted, got %+v", e)
	}
	if len(plan.Removals) != 0 {
		t.Fatalf("removing the merged pending must not remove the entry: %v", plan.Removals)
	}
	// A later run removing the posted one removes the entry.
	plan = domain.Apply(s.known(), domain.Page{Removed: []domain.Key{{AccountID: "acc", ID: "q"}}})
	if r := plan.Removals["acc"]; len(r) != 1 || r[0] != "p" {
		t.Fatalf("removals %v", plan.Removals)
	}
}

func TestRemovalBeforePostingIsUndone(t *testing.T) {
	t.Parallel()
	var s store
	s.save(domain.Apply(s.known(), domain.Page{Upserts: []domain.Incoming{in("p", true, "-10.00", 0, "")}}))
	plan := domain.Apply(s.known(), domain.Page{Removed: []domain.Key{{ID: "p"}}})
	s.save(plan)
	if plan.Stats.Removed != 1 {
		t.Fatalf("%+v", plan.Stats)
	}
	plan = domain.Apply(s.known(), domain.Page{Upserts: []domain.Incoming{in("q", false, "-10.00", 1, "p")}})
	if e := plan.Upserts["acc"]; len(e) != 1 || e[0].ID != "p" || e[0].Pending {
		t.Fatalf("want the removed pending entry back as posted, got %+v", e)
	}
}

func TestHeuristicMatchAndSuggestion(t *testing.T) {
	t.Parallel()
	var s store
	s.save(domain.Apply(s.known(), domain.Page{Upserts: []domain.Incoming{in("p1", true, "-10.00", 0, ""), in("p2", true, "-5.00", 0, ""), in("p3", true, "-5.00", 1, "")}}))
	plan := domain.Apply(s.known(), domain.Page{Upserts: []domain.Incoming{in("x", false, "-10.00", 3, ""), in("y", false, "-5.00", 3, "")}})
	if plan.Stats.LinkedPending != 1 || plan.Stats.Added != 1 || plan.Stats.Suggestions != 2 {
		t.Fatalf("stats %+v", plan.Stats)
	}
	if len(plan.Suggestions) != 2 || plan.Suggestions[0].PostedID != "y" {
		t.Fatalf("suggestions %+v", plan.Suggestions)
	}
}

func TestWindowCompleteness(t *testing.T) {
	t.Parallel()
	var s store
	s.save(domain.Apply(s.known(), domain.Page{Upserts: []domain.Incoming{in("p", true, "-1.00", 5, ""), in("old", true, "-1.00", -40, ""), in("posted", false, "7.00", 5, "")}}))
	window := func(complete bool) *domain.PageWindow {
		return &domain.PageWindow{From: d(-30), To: d(10), Complete: map[string]bool{"acc": complete}}
	}
	if plan := domain.Apply(s.known(), domain.Page{Window: window(false)}); plan.Stats.Removed != 0 {
		t.Fatalf("an incomplete window removed %d", plan.Stats.Removed)
	}
	plan := domain.Apply(s.known(), domain.Page{Window: window(true)})
	if plan.Stats.Removed != 1 || len(plan.Removals["acc"]) != 1 || plan.Removals["acc"][0] != "p" {
		t.Fatalf("want only the pending inside the window removed, got %+v %v", plan.Stats, plan.Removals)
	}
}

func TestAddedAndRemovedInOnePage(t *testing.T) {
	t.Parallel()
	plan := domain.Apply(domain.Known{}, domain.Page{Upserts: []domain.Incoming{in("p", true, "-1.00", 0, "")}, Removed: []domain.Key{{ID: "p"}}})
	if len(plan.Upserts["acc"]) != 0 || len(plan.Removals["acc"]) != 1 {
		t.Fatalf("the ledger must see the last word only: %v %v", plan.Upserts, plan.Removals)
	}
}

func TestBudget(t *testing.T) {
	t.Parallel()
	now := day0
	var b domain.Budget
	for i := 0; i < 24; i++ {
		if ok, _ := b.Allow(now, 24, 1); !ok {
			t.Fatalf("request %d refused", i+1)
		}
		b.Spend(now, 1)
		now = now.Add(time.Minute)
	}
	ok, retry := b.Allow(now, 24, 1)
	if ok || !retry.Equal(day0.Add(24*time.Hour)) {
		t.Fatalf("the 25th request in a day must wait for the window, got %v %v", ok, retry)
	}
	if ok, _ := b.Allow(day0.Add(24*time.Hour), 24, 1); !ok {
		t.Fatal("a new day must allow again")
	}
	if ok, _ := b.Allow(now, 0, 100); !ok {
		t.Fatal("no limit must allow")
	}
}

func TestWindowStartAndScheduleDecisions(t *testing.T) {
	t.Parallel()
	now := day0
	if got := domain.WindowStart(nil, nil, now); !got.Equal(now.AddDate(0, 0, -90)) {
		t.Fatalf("first window %v", got)
	}
	wm := now.AddDate(0, 0, -2)
	if got := domain.WindowStart(&wm, nil, now); !got.Equal(wm.AddDate(0, 0, -30)) {
		t.Fatalf("later window %v", got)
	}
	start := now.AddDate(0, 0, -5)
	if got := domain.WindowStart(&wm, &start, now); !got.Equal(start) {
		t.Fatalf("start_date %v", got)
	}
	last := now.Add(-10 * time.Minute)
	if soon, wait := domain.TooSoon(&last, 15, false, now); !soon || wait != 5*time.Minute {
		t.Fatalf("too soon: %v %v", soon, wait)
	}
	if soon, _ := domain.TooSoon(&last, 15, true, now); soon {
		t.Fatal("force must skip the wait")
	}
	if soon, _ := domain.TooSoon(nil, 15, false, now); soon {
		t.Fatal("a first sync is never too soon")
	}
	if domain.Stale(&last, 15, now) || !domain.Stale(&last, 4, now) {
		t.Fatal("stale is older than twice the interval")
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	now := day0
	past, future := now.Add(-time.Minute), now.Add(time.Hour)
	active := domain.Schedulable{Provider: "sandbox", Status: "active", AutoSync: true, NextSyncAt: &past}
	full := domain.State{Budget: domain.Budget{WindowStart: now.Add(-time.Hour), Used: 24}}
	cases := []struct {
		name string
		c    domain.Schedulable
		st   domain.State
		run  bool
	}{
		{"due", active, domain.State{}, true},
		{"needs reauth stops the schedule", func() domain.Schedulable { c := active; c.Status = "needs_reauth"; return c }(), domain.State{}, false},
		{"auto-sync off", func() domain.Schedulable { c := active; c.AutoSync = false; return c }(), domain.State{}, false},
		{"not due (Retry-After or backoff)", func() domain.Schedulable { c := active; c.NextSyncAt = &future; return c }(), domain.State{}, false},
		{"sandbox has no budget", active, full, true},
		{"simplefin past 24 requests waits", func() domain.Schedulable { c := active; c.Provider = "simplefin"; return c }(), full, false},
		{"simplefin with budget left", func() domain.Schedulable { c := active; c.Provider = "simplefin"; return c }(), domain.State{Budget: domain.Budget{WindowStart: now.Add(-time.Hour), Used: 20}}, true},
	}
	for _, c := range cases {
		if got := domain.Decide(c.c, c.st, now); got.Run != c.run {
			t.Errorf("%s: run=%v (%s), want %v", c.name, got.Run, got.Reason, c.run)
		}
	}
	if n := domain.WindowRequests(now.AddDate(0, 0, -90), now); n != 2 {
		t.Errorf("a 90-day window costs %d requests, want 2", n)
	}
}
