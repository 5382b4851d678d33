package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/modules/accounts/internal/store"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/money"
)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// newEnvAt is newEnv with the service's clock fixed at now, so opening entries and
// sync times fall on known days.
func newEnvAt(t *testing.T, db *database.DB, now time.Time) *env {
	t.Helper()
	e := newEnv(t, db)
	az, err := authz.New(db)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = app.NewService(e.store, az, fixedClock(now))
	return e
}

// TestStreamLedger streams more entries than the old keyset pages held (500), with
// ties on booked_at, random ids and entries on both edges of the period: every
// entry of [from, to) must arrive once, in (booked_at, id) order, with every field.
func TestStreamLedger(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		// Random (v4) ids, so that id order differs from insertion order and the
		// tie-break on id is really exercised.
		e.svc.NewID = uuid.New
		a, _, err := e.svc.UpsertProviderAccount(ctx, e.alice, app.ProviderAccountInput{
			Link: app.ProviderLink{ConnectionID: uuid.New(), Provider: "sandbox", ProviderAccountID: "stream"},
			Name: "Busy", AccountType: "checking", Currency: "EUR",
		})
		if err != nil {
			t.Fatal(err)
		}
		from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		to := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
		var ups []app.ProviderTransactionInput
		add := func(id string, at time.Time, amount string) {
			ups = append(ups, app.ProviderTransactionInput{ProviderTransactionID: id, Type: "deposit", Amount: money.MustParse(amount),
				Description: "Entry " + id, Counterparty: map[bool]string{true: "Shop " + id}[len(ups)%4 == 0],
				Pending: len(ups)%7 == 0, BookedAt: at})
		}
		for i := 0; i < 1200; i++ {
			// Three entries share each hour.
			add(fmt.Sprintf("p%04d", i), from.Add(time.Duration(i/3)*time.Hour), fmt.Sprintf("%d.%02d", 1+i%50, i%100))
		}
		add("before", from.Add(-time.Microsecond), "1")
		add("first", from, "2")
		add("last", to.Add(-time.Microsecond), "3")
		add("at-to", to, "4")
		if _, err := e.svc.SyncProviderTransactions(ctx, e.alice, app.ProviderTransactionsInput{AccountID: a.ID, Upserts: ups}); err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(ups))
		for i, u := range ups {
			ids[i] = u.ProviderTransactionID
		}
		stored, err := e.store.TransactionsByProviderID(ctx, a.ID, ids)
		if err != nil || len(stored) != len(ups) {
			t.Fatalf("stored %d of %d: %v", len(stored), len(ups), err)
		}
		var want []domain.Transaction
		for _, x := range stored {
			if !x.BookedAt.Before(from) && x.BookedAt.Before(to) {
				want = append(want, x)
			}
		}
		sort.Slice(want, func(i, j int) bool {
			if !want[i].BookedAt.Equal(want[j].BookedAt) {
				return want[i].BookedAt.Before(want[j].BookedAt)
			}
			return want[i].ID.String() < want[j].ID.String()
		})

		var got []domain.Transaction
		err = e.store.StreamLedger(ctx, a.ID, from, to, func(x domain.Transaction) error {
			got = append(got, x)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || len(got) != 1202 {
			t.Fatalf("streamed %d entries, want %d (1,202)", len(got), len(want))
		}
		for i := range want {
			w, g := want[i], got[i]
			if g.ID != w.ID {
				t.Fatalf("entry %d is %s (%s), want %s (%s)", i, g.ProviderTransactionID, g.BookedAt, w.ProviderTransactionID, w.BookedAt)
			}
			if g.AccountID != a.ID || g.UserID != e.alice.UserID || g.ProviderTransactionID != w.ProviderTransactionID ||
				g.Type != w.Type || !g.Amount.Equal(w.Amount) || g.Currency != "EUR" || g.Description != w.Description ||
				g.Counterparty != w.Counterparty || g.Status != w.Status || !g.BookedAt.Equal(w.BookedAt) ||
				g.BookedAt.Location() != time.UTC || !g.CreatedAt.Equal(w.CreatedAt) || g.TransferID.Valid || g.ExternalID != "" {
				t.Fatalf("entry %d is %+v, want %+v", i, g, w)
			}
		}
		// from is inclusive (four entries fall on it), to exclusive.
		if !got[0].BookedAt.Equal(from) || got[len(got)-1].ProviderTransactionID != "last" {
			t.Fatalf("edges: first %s at %s, last %s", got[0].ProviderTransactionID, got[0].BookedAt, got[len(got)-1].ProviderTransactionID)
		}

		// fn's error stops the walk at once and comes back as it is.
		stop := errors.New("enough")
		calls := 0
		err = e.svc.StreamTransactions(ctx, e.alice, a.ID, from, to, func(x domain.Transaction) error {
			if !x.Counts() {
				t.Fatalf("the use case streamed pending provider entry %s, which is out of the balance", x.ProviderTransactionID)
			}
			calls++
			if calls == 700 {
				return stop
			}
			return nil
		})
		if err != stop || calls != 700 {
			t.Fatalf("stopped after %d calls with %v", calls, err)
		}
		// An empty period calls fn never.
		err = e.svc.StreamTransactions(ctx, e.alice, a.ID, to.Add(time.Hour), to.Add(2*time.Hour), func(domain.Transaction) error {
			return errors.New("called on an empty period")
		})
		if err != nil {
			t.Fatal(err)
		}
		// Another user reads nothing: the use case authorizes before it streams.
		err = e.svc.StreamTransactions(ctx, e.bob, a.ID, from, to, func(domain.Transaction) error {
			return errors.New("called for another user")
		})
		if !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("bob streamed alice's ledger: %v", err)
		}
		e.verify(t)
	})
}

// TestInsightQueriesUseIndexes holds the ledger stream to one walk of the
// (account_id, booked_at, id) index, never sorted, and the latest entries to the
// (user_id, booked_at, id) index; see TestListQueriesUseIndexes.
func TestInsightQueriesUseIndexes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		st := store.New(db)
		from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		sql := st.StreamQueryForTest(uuid.New(), from, from.AddDate(1, 0, 0))
		plan := explain(t, db, sql)
		if !strings.Contains(plan, "transactions_account_booked") || strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort") {
			t.Errorf("the stream does not walk (account_id, booked_at, id)\n%s\nplan:\n%s", sql, plan)
		}
		sql = st.LatestQueryForTest(uuid.New(), 10)
		if plan := explain(t, db, sql); !strings.Contains(plan, "transactions_user_booked") {
			t.Errorf("the latest entries do not walk (user_id, booked_at, id)\n%s\nplan:\n%s", sql, plan)
		}
	})
}

type denyAll struct{}

func (denyAll) Authorize(context.Context, authn.Subject, authz.Resource, string) error {
	return apperr.New(apperr.Forbidden, "no")
}

// TestInsight reads one user's accounts, daily changes and latest entries, with
// another user's data beside them that must never show.
func TestInsight(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
		e := newEnvAt(t, db, now)
		order := func(n int) func(*app.AccountFieldsText) {
			return func(f *app.AccountFieldsText) { f.SortOrder = app.Set(n) }
		}
		rec := func(acc domain.Account, sub authn.Subject, typ, amount, at string) {
			t.Helper()
			if _, err := e.record(ctx, sub, app.RecordTransactionText{AccountID: acc.ID, Type: typ, Amount: amount, BookedAt: ptr(at), Description: acc.Name + " " + typ}); err != nil {
				t.Fatal(err)
			}
		}
		wallet := e.create(t, e.alice, "Wallet", "cash", "USD", "", order(3))
		card := e.create(t, e.alice, "Card", "credit_card", "USD", "-50", order(1))
		euro := e.create(t, e.alice, "Euro", "savings", "EUR", "", order(2))
		old := e.create(t, e.alice, "Old", "checking", "USD", "", order(5))
		rec(wallet, e.alice, "deposit", "100", "2025-01-01T10:00:00Z")
		rec(wallet, e.alice, "purchase", "30.5", "2025-01-03T09:00:00Z")
		rec(wallet, e.alice, "fee", "0.25", "2025-01-03T18:00:00Z")
		rec(euro, e.alice, "deposit", "10", "2025-02-01T00:00:00Z")
		rec(old, e.alice, "deposit", "5", "2024-12-31T23:59:59Z")
		if _, err := e.update(ctx, e.alice, app.UpdateAccountText{ID: old.ID, Fields: app.AccountFieldsText{IsArchived: app.Set(true)}}); err != nil {
			t.Fatal(err)
		}
		conn := uuid.New()
		linked, _, err := e.svc.UpsertProviderAccount(ctx, e.alice, app.ProviderAccountInput{
			Link: app.ProviderLink{ConnectionID: conn, Provider: "sandbox", ProviderAccountID: "b1"},
			Name: "Brokerage", AccountType: "brokerage", Currency: "USD", Balance: money.MustParse("1000"),
		})
		if err != nil {
			t.Fatal(err)
		}
		bobs := e.create(t, e.bob, "Bob's", "checking", "USD", "", order(0))
		rec(bobs, e.bob, "deposit", "7", "2025-01-01T00:00:00Z")
		rec(bobs, e.bob, "deposit", "8", "2025-03-11T00:00:00Z")

		snaps, err := e.svc.Snapshots(ctx, e.alice)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, s := range snaps {
			lines = append(lines, fmt.Sprintf("%s %s %s %s/%s %s archived=%v linked=%v", s.Name, s.Type, s.Currency, s.Balance, s.LedgerSum, s.Status, s.IsArchived, s.ConnectionID.Valid))
		}
		want := []string{
			"Brokerage brokerage USD 1000.00/1000.00 active archived=false linked=true",
			"Card credit_card USD -50.00/-50.00 active archived=false linked=false",
			"Euro savings EUR 10.00/10.00 active archived=false linked=false",
			"Wallet cash USD 69.25/69.25 active archived=false linked=false",
			"Old checking USD 5.00/5.00 active archived=true linked=false",
		}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Fatalf("snapshots:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
		if snaps[0].ID != linked.ID || snaps[0].ConnectionID.UUID != conn || snaps[0].LastSyncedAt == nil || !snaps[0].LastSyncedAt.Equal(now) ||
			snaps[1].ID != card.ID || snaps[1].LastSyncedAt != nil {
			t.Fatalf("linked snapshot %+v, manual %+v", snaps[0], snaps[1])
		}
		bobSnaps, err := e.svc.Snapshots(ctx, e.bob)
		if err != nil || len(bobSnaps) != 1 || bobSnaps[0].ID != bobs.ID || bobSnaps[0].LedgerSum.String() != "15.00" {
			t.Fatalf("bob's snapshots %+v %v", bobSnaps, err)
		}

		h, err := e.svc.DailyChanges(ctx, e.alice, time.Date(2025, 1, 2, 15, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		var days []string
		for _, d := range h.Days {
			days = append(days, d.Day.Format(time.DateOnly)+" "+string(d.Currency)+" "+d.Delta.String())
		}
		// The card's opening and the brokerage's both fall on the clock's day.
		if got := strings.Join(days, ", "); got != "2025-01-03 USD -30.75, 2025-02-01 EUR 10.00, 2025-03-10 USD 950.00" {
			t.Fatalf("daily changes: %s", got)
		}
		if len(h.FirstDay) != 2 || !h.FirstDay["USD"].Equal(time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)) ||
			!h.FirstDay["EUR"].Equal(time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("first days %v", h.FirstDay)
		}

		recent, err := e.svc.RecentTransactions(ctx, e.alice, 3)
		if err != nil || len(recent) != 3 {
			t.Fatalf("recent %+v %v", recent, err)
		}
		// The two openings share the clock's instant; the later id comes first.
		openings := []string{recent[0].AccountName, recent[1].AccountName}
		if !recent[0].Transaction.BookedAt.Equal(now) || !recent[1].Transaction.BookedAt.Equal(now) ||
			recent[0].Transaction.ID.String() < recent[1].Transaction.ID.String() ||
			fmt.Sprint(sortedCopy(openings)) != "[Brokerage Card]" {
			t.Fatalf("latest two %+v", recent[:2])
		}
		x := recent[2]
		if x.AccountName != "Euro" || x.Transaction.AccountID != euro.ID || x.Transaction.Type != domain.Deposit ||
			x.Transaction.Amount.String() != "10.00" || x.Transaction.Currency != "EUR" || x.Transaction.Description != "Euro deposit" ||
			!x.Transaction.BookedAt.Equal(time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)) || x.Transaction.UserID != e.alice.UserID {
			t.Fatalf("third latest %+v", x)
		}
		all, err := e.svc.RecentTransactions(ctx, e.alice, 1000)
		if err != nil || len(all) != 7 {
			t.Fatalf("all of alice's entries: %d %v", len(all), err)
		}
		for i, r := range all {
			if r.Transaction.UserID != e.alice.UserID || (i > 0 && r.Transaction.BookedAt.After(all[i-1].Transaction.BookedAt)) {
				t.Fatalf("entry %d of alice's latest: %+v", i, r)
			}
		}
		if none, err := e.svc.RecentTransactions(ctx, e.alice, 0); err != nil || len(none) != 0 {
			t.Fatalf("n = 0: %+v %v", none, err)
		}
		e.verify(t)

		// A balance that drifted from its ledger shows beside the ledger's sum.
		if _, err := db.NewUpdate().Table("accounts").Set("balance_amount = ?", money.MustParse("70")).Where("id = ?", wallet.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		snaps, err = e.svc.Snapshots(ctx, e.alice)
		if err != nil || snaps[3].Name != "Wallet" || snaps[3].Balance.String() != "70.00" || snaps[3].LedgerSum.String() != "69.25" {
			t.Fatalf("drifted snapshot %+v %v", snaps, err)
		}

		// Every read asks the authorizer first.
		denied := app.NewService(e.store, denyAll{}, nil)
		_, err = denied.Snapshots(ctx, e.alice)
		wantCode(t, err, apperr.Forbidden)
		_, err = denied.DailyChanges(ctx, e.alice, now)
		wantCode(t, err, apperr.Forbidden)
		_, err = denied.RecentTransactions(ctx, e.alice, 10)
		wantCode(t, err, apperr.Forbidden)
	})
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func TestParseInstant(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	good := map[string]time.Time{
		"2025-01-31 12:00:00+00:00":           utc("2025-01-31T12:00:00Z"),
		"2025-01-31 12:00:00.5+00:00":         utc("2025-01-31T12:00:00.5Z"),
		"2025-01-31 12:00:00.123456+00:00":    utc("2025-01-31T12:00:00.123456Z"),
		"2025-01-31T12:00:00.123456789Z":      utc("2025-01-31T12:00:00.123456789Z"),
		"2025-01-31 12:00:00":                 utc("2025-01-31T12:00:00Z"),
		"2024-02-29 14:30:00+02:30":           utc("2024-02-29T12:00:00Z"),
		"2025-12-31 21:00:00.000001-03:00":    utc("2026-01-01T00:00:00.000001Z"),
		"0001-01-01 00:00:00+00:00":           {},
		"2025-06-30 23:59:59.999999999+00:00": utc("2025-06-30T23:59:59.999999999Z"),
	}
	for s, want := range good {
		got, ok := store.ParseInstantForTest(s)
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseInstant(%q) = %v, %v; want %v", s, got, ok, want)
		}
		if ref, err := time.Parse("2006-01-02 15:04:05.999999999Z07:00", strings.Replace(s, "T", " ", 1)); err == nil && !ref.Equal(got) {
			t.Errorf("parseInstant(%q) = %v, time.Parse says %v", s, got, ref)
		}
	}
	for _, s := range []string{"", "2025-02-30 00:00:00+00:00", "2025-13-01 00:00:00", "2025-01-31 24:00:00", "2025-01-31 12:00:00.",
		"2025-01-31 12:00:00.1234567890+00:00", "2025-01-31 12:00", "abcd-01-31 12:00:00", "2025-01-31 12:00:00+0000",
		"2025-01-31 12:00:00+00:60", "2025-01-31 12:00:00 UTC", "2025-01-31"} {
		if got, ok := store.ParseInstantForTest(s); ok {
			t.Errorf("parseInstant(%q) accepted as %v", s, got)
		}
	}
	// What the fast path leaves goes through the driver's other layouts.
	for _, c := range []struct {
		src  any
		want time.Time
	}{
		{"2025-01-31 12:00", utc("2025-01-31T12:00:00Z")},
		{[]byte("2025-01-31"), utc("2025-01-31T00:00:00Z")},
		{"2025-01-31T12:00:00.5+01:00", utc("2025-01-31T11:00:00.5Z")},
		{time.Date(2025, 1, 31, 13, 0, 0, 0, time.FixedZone("CET", 3600)), utc("2025-01-31T12:00:00Z")},
	} {
		if got, err := store.ScanInstantForTest(c.src); err != nil || !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("scan %v = %v, %v; want %v", c.src, got, err, c.want)
		}
	}
	if _, err := store.ScanInstantForTest("yesterday"); err == nil {
		t.Error("scanned \"yesterday\" as a time")
	}
	if _, err := store.ScanInstantForTest(42); err == nil {
		t.Error("scanned 42 as a time")
	}
}
