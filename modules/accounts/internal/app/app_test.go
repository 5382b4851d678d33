package app

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/apperr"
)

func TestCursorRoundTrip(t *testing.T) {
	id := uuid.New()
	c := encodeCursor("accounts", "-balance", "12.50", id)
	pos, err := decodeCursor(c, "accounts", "-balance")
	if err != nil || pos.Value != "12.50" || pos.ID != id {
		t.Fatalf("round trip: %+v %v", pos, err)
	}
	for _, bad := range []string{"x", "!!!", encodeCursor("accounts", "name", "a", id), encodeCursor("transactions", "-balance", "1", id)} {
		if _, err := decodeCursor(bad, "accounts", "-balance"); !apperr.Is(err, apperr.InvalidCursor) {
			t.Errorf("cursor %q accepted: %v", bad, err)
		}
	}
}

func TestParseIfMatch(t *testing.T) {
	tests := []struct {
		header string
		ok     bool
	}{{`W/"3"`, true}, {`"3"`, true}, {`3`, true}, {`*`, true}, {``, true}, {`W/"2", W/"3"`, true}, {`W/"4"`, false}, {`3x`, false}}
	for _, tt := range tests {
		if versionExpected(ParseIfMatch(tt.header), 3) != tt.ok {
			t.Errorf("If-Match %q at version 3: %v", tt.header, !tt.ok)
		}
	}
	if ETag(7) != `W/"7"` {
		t.Fatal(ETag(7))
	}
}

func TestPointDates(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	tests := []struct {
		start, end, interval, want string
	}{
		{"2025-01-01", "2025-01-03", IntervalDay, "[2025-01-01 2025-01-02 2025-01-03]"},
		{"2025-01-01", "2025-01-15", IntervalWeek, "[2025-01-05 2025-01-12 2025-01-15]"},
		{"2025-01-06", "2025-01-12", IntervalWeek, "[2025-01-12]"},
		{"2024-12-15", "2025-02-10", IntervalMonth, "[2024-12-31 2025-01-31 2025-02-10]"},
		{"2025-03-01", "2025-03-01", IntervalMonth, "[2025-03-01]"},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range pointDates(d(tt.start), d(tt.end), tt.interval, MaxPoints) {
			got = append(got, p.Format(time.DateOnly))
		}
		if fmt.Sprint(got) != tt.want {
			t.Errorf("%s..%s by %s = %v, want %s", tt.start, tt.end, tt.interval, got, tt.want)
		}
	}
}

func TestAccountFieldsCheck(t *testing.T) {
	f := AccountFieldsText{Name: Set(""), AccountType: Set("vault"), Currency: Set("usd"), BalanceAmount: Clear[string](),
		OverdraftLimit: Set("-1"), InterestRate: Set("abc"), Status: Set("frozen"), SortOrder: Set(2_000_000),
		ExternalID: Set(" "), LinkedAccountID: Set("x")}
	_, errs := ParseAccountFields(f)
	var names []string
	for _, e := range errs {
		names = append(names, e.Field)
	}
	want := "[name account_type currency external_id balance_amount overdraft_limit interest_rate status sort_order linked_account_id]"
	if fmt.Sprint(names) != want {
		t.Fatalf("fields %v, want %s", names, want)
	}
}
