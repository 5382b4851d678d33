package domain

import (
	"reflect"
	"testing"
)

func TestSettle(t *testing.T) {
	today := Date("2026-11-21")
	pending := []PendingTxn{
		{ID: "groceries", Cents: -4_250, Date: "2026-11-19"},
		{ID: "bistro", Cents: -5_000, Date: "2026-11-19", Tag: TagTip},
		{ID: "hold", Cents: -10_000, Date: "2026-11-19", Tag: TagHold},
		{ID: "yesterday", Cents: -1_000, Date: "2026-11-20", Tag: TagHold},
		{ID: "refund", Cents: 2_000, Date: "2026-11-10"},
	}
	got := Settle(pending, today)
	want := []*Settlement{
		{PostedCents: -4_250, PostedDate: "2026-11-20"},
		{PostedCents: -6_000, PostedDate: "2026-11-20"},
		{Cancelled: true},
		nil, // a day old: stays pending
		{PostedCents: 2_000, PostedDate: "2026-11-11"},
	}
	if !reflect.DeepEqual(got, want) {
		for i := range got {
			t.Errorf("%s: %+v, want %+v", pending[i].ID, got[i], want[i])
		}
	}
	// Without a hold, the first purchase is cancelled; a tip rounds to the cent.
	got = Settle([]PendingTxn{{ID: "credit", Cents: 500, Date: "2026-11-01"}, {ID: "a", Cents: -999, Date: "2026-11-01", Tag: TagTip}, {ID: "b", Cents: -1_001, Date: "2026-11-01", Tag: TagTip}}, today)
	if got[0].Cancelled || !got[1].Cancelled || got[2].PostedCents != -1_201 {
		t.Errorf("no hold: %+v %+v %+v", got[0], got[1], got[2])
	}
}

func TestHistoryIsDeterministicAndSixMonthsLong(t *testing.T) {
	a, b := History(Standard, "2026-11-20"), History(Standard, "2026-11-20")
	if !reflect.DeepEqual(a, b) || len(a) < 300 {
		t.Fatalf("history differs between runs or is short (%d)", len(a))
	}
	if a[0].Date != "2026-05-22" || a[len(a)-1].Date != "2026-11-20" {
		t.Errorf("history runs %s..%s", a[0].Date, a[len(a)-1].Date)
	}
	accounts := map[string]bool{}
	for _, x := range a {
		accounts[x.AccountID] = true
		if x.Pending && x.Date < "2026-11-19" {
			t.Errorf("pending older than a day: %+v", x)
		}
	}
	if len(accounts) != 5 {
		t.Errorf("history touches %d accounts, want 5", len(accounts))
	}
}

func TestFormatCents(t *testing.T) {
	for c, want := range map[int64]string{0: "0.00", 5: "0.05", -5: "-0.05", 123456: "1234.56", -100: "-1.00", -9223372036854775808: "-92233720368547758.08"} {
		if got := FormatCents(c); got != want {
			t.Errorf("FormatCents(%d) = %s, want %s", c, got, want)
		}
	}
}
