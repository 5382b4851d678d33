package domain

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/money"
)

func TestNetWorthWalksBackFromTheCurrentBalances(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 6, 30, 15, 0, 0, 0, time.UTC)
	day := func(daysAgo int) time.Time { return DayOf(today).AddDate(0, 0, -daysAgo) }
	accounts := []AccountSnapshot{
		{Currency: "USD", Balance: money.MustParse("1000")},
		{Currency: "USD", Balance: money.MustParse("-200"), Type: "credit_card"},
		{Currency: "EUR", Balance: money.MustParse("50.5")},
	}
	changes := []DayChange{
		{Currency: "USD", Day: day(0), Delta: money.MustParse("100")},
		{Currency: "USD", Day: day(10), Delta: money.MustParse("300")},
		{Currency: "USD", Day: day(45), Delta: money.MustParse("-20")},
		{Currency: "EUR", Day: day(5), Delta: money.MustParse("50.5")},
	}
	first := map[money.Currency]time.Time{"USD": day(400), "EUR": day(5)}
	got := NetWorth(accounts, changes, first, day(60), today, 1)
	if len(got) != 2 || got[0].Currency != "EUR" || got[1].Currency != "USD" {
		t.Fatalf("currencies %+v", got)
	}
	usd := got[1]
	if !usd.Current.Equal(money.MustParse("800")) {
		t.Fatalf("USD now %s", usd.Current)
	}
	// 30 days ago the 100 and 300 had not happened yet; 90 days ago neither had the -20.
	if c := usd.Changes[0]; !c.Known || !c.Delta.Equal(money.MustParse("400")) {
		t.Fatalf("30-day change %+v", c)
	}
	if c := usd.Changes[1]; !c.Known || !c.Delta.Equal(money.MustParse("380")) {
		t.Fatalf("90-day change %+v", c)
	}
	if eur := got[0]; eur.Changes[0].Known {
		t.Fatalf("EUR began 5 days ago; its 30-day change is unknown: %+v", eur.Changes[0])
	}
	if n := len(usd.Series); n != 61 || !usd.Series[n-1].Value.Equal(usd.Current) || !usd.Series[0].Day.Equal(day(60)) {
		t.Fatalf("series: %d points, last %+v", n, usd.Series[n-1])
	}
	// At the end of the day 11 days ago: before the +300 and +100.
	if v := usd.Series[49]; !v.Day.Equal(day(11)) || !v.Value.Equal(money.MustParse("400")) {
		t.Fatalf("point 11 days ago: %+v", v)
	}
}

func TestAllocateAndAttention(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)
	old := now.Add(-72 * time.Hour)
	recent := now.Add(-time.Hour)
	accounts := []AccountSnapshot{
		{ID: uuid.New(), Name: "Checking", Type: "checking", Currency: "USD", Balance: money.FromInt(100), LedgerSum: money.FromInt(100), Status: "active"},
		{ID: uuid.New(), Name: "Card", Type: "credit_card", Currency: "USD", Balance: money.FromInt(-40), LedgerSum: money.FromInt(-30), Status: "active"},
		{ID: uuid.New(), Name: "Broker", Type: "brokerage", Currency: "USD", Balance: money.FromInt(500), LedgerSum: money.FromInt(500), Status: "active", Linked: true, LastSyncedAt: &old},
		{ID: uuid.New(), Name: "Fresh", Type: "savings", Currency: "USD", Balance: money.FromInt(1), LedgerSum: money.FromInt(1), Status: "active", Linked: true, LastSyncedAt: &recent},
		{ID: uuid.New(), Name: "Closed", Type: "loan", Currency: "USD", Balance: money.Zero, LedgerSum: money.FromInt(5), Status: "closed"},
	}
	al := Allocate(accounts)
	if len(al) != 1 || len(al[0].Slices) != 3 || al[0].Slices[0].Category != "cash" || !al[0].Slices[0].Amount.Equal(money.FromInt(101)) ||
		al[0].Slices[2].Category != "credit" || !al[0].Slices[2].Amount.Equal(money.FromInt(-40)) {
		t.Fatalf("allocation %+v", al)
	}
	att := NeedsAttention(accounts, now)
	if len(att) != 2 || att[0].Kind != BalanceDrift || att[0].AccountName != "Card" || att[1].Kind != StaleSync || att[1].AccountName != "Broker" {
		t.Fatalf("attention %+v", att)
	}
}

// TestNetWorthChartStartsAtTheFirstEntry pins that a currency whose history began
// inside the window is charted from its first day, not from weeks of zero.
func TestNetWorthChartStartsAtTheFirstEntry(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 6, 30, 15, 0, 0, 0, time.UTC)
	day := func(daysAgo int) time.Time { return DayOf(today).AddDate(0, 0, -daysAgo) }
	accounts := []AccountSnapshot{{Currency: "EUR", Balance: money.MustParse("80")}}
	changes := []DayChange{
		{Currency: "EUR", Day: day(10), Delta: money.MustParse("100")},
		{Currency: "EUR", Day: day(2), Delta: money.MustParse("-20")},
	}
	got := NetWorth(accounts, changes, map[money.Currency]time.Time{"EUR": day(10)}, day(28), today, 7)
	s := got[0].Series
	if len(s) == 0 || !s[0].Day.Equal(day(10)) || !s[0].Value.Equal(money.MustParse("100")) {
		t.Fatalf("series starts %+v, want 100 on %s", s, day(10))
	}
	for _, p := range s {
		if p.Value.IsZero() {
			t.Fatalf("a zero point before the history began: %+v", s)
		}
	}
	if last := s[len(s)-1]; !last.Day.Equal(day(0)) || !last.Value.Equal(money.MustParse("80")) {
		t.Fatalf("series ends %+v", last)
	}
}
