package web

import (
	"testing"
	"time"

	"github.com/kontor-app/kontor/platform/money"
)

func TestNumbersAndDatesOneWay(t *testing.T) {
	cases := map[string]string{
		Money(money.MustParse("-318.45"), "EUR"):             "−318.45",
		Money(money.MustParse("1000000"), "EUR"):             "1,000,000.00",
		Money(money.MustParse("10000"), "JPY"):               "10,000",
		Money(money.MustParse("1.5"), "BHD"):                 "1.500",
		Signed(money.MustParse("35.1"), "EUR"):               "+35.10",
		Signed(money.MustParse("-35.1"), "EUR"):              "−35.10",
		Signed(money.Zero, "EUR"):                            "0.00",
		Amount(money.MustParse("3012.5")):                    "3,012.50",
		Date(time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC)): "28 Nov 2026",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
