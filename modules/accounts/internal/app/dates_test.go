package app

import (
	"errors"
	"testing"

	"github.com/kontor-app/kontor/platform/apperr"
)

// TestYearZeroDatesAreRefused holds the decoders to a rule both engines can keep:
// year 0 parses in Go but PostgreSQL's calendar has no year 0, so a query with it
// once answered 500 there; it is a field error on every engine.
func TestYearZeroDatesAreRefused(t *testing.T) {
	fieldOf := func(err error) string {
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.ValidationFailed || len(ae.Fields) == 0 {
			t.Fatalf("got %v, want validation_failed", err)
		}
		return ae.Fields[0].Field
	}
	if _, err := ParseHistory(HistoryText{EndDate: "0000-01-01"}); fieldOf(err) != "end_date" {
		t.Fatalf("history end_date: %v", err)
	}
	if _, err := ParseListTransactions(ListTransactionsText{StartDate: "0000-12-31"}); fieldOf(err) != "start_date" {
		t.Fatalf("transactions start_date: %v", err)
	}
	if _, err := ParseHistory(HistoryText{StartDate: "0001-01-01", EndDate: "0001-01-02"}); err != nil {
		t.Fatalf("year 1 is a date: %v", err)
	}
}
