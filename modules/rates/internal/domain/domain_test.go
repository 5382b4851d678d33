package domain

import (
	"testing"
	"time"

	"github.com/kontor-app/kontor/platform/money"
)

func day(s string) time.Time {
	d, _ := time.Parse(DateLayout, s)
	return d
}

func TestConvertUsesTheLatestDirectRateAndListsWhatIsMissing(t *testing.T) {
	balances := map[money.Currency]money.Amount{
		"EUR": money.MustParse("1000.00"),
		"GBP": money.MustParse("-234.56"),
		"ETH": money.MustParse("1.123456789012345677"),
		"BTC": money.MustParse("0.5"),
		"USD": money.MustParse("10"),
	}
	rates := []Rate{
		{Currency: "GBP", Quote: "EUR", Rate: money.MustParse("1.10"), Date: day("2026-11-01")},
		{Currency: "GBP", Quote: "EUR", Rate: money.MustParse("1.17"), Date: day("2026-11-27")},
		{Currency: "ETH", Quote: "EUR", Rate: money.MustParse("3012.50"), Date: day("2026-11-28")},
		// A rate into another currency is never inverted or chained.
		{Currency: "EUR", Quote: "USD", Rate: money.MustParse("1.05"), Date: day("2026-11-28")},
		{Currency: "BTC", Quote: "USD", Rate: money.MustParse("90000"), Date: day("2026-11-28")},
	}
	c, err := Convert("EUR", balances, rates)
	if err != nil {
		t.Fatal(err)
	}
	// 1000 - 234.56*1.17 + 1.123456789012345677*3012.50
	// = 1000 - 274.4352 + 3384.4136... = 4109.9784... -> 4109.98
	if got := c.Total.String(); got != "4109.98" {
		t.Errorf("total = %s, want 4109.98", got)
	}
	if len(c.Missing) != 2 || c.Missing[0] != "BTC" || c.Missing[1] != "USD" {
		t.Errorf("missing = %v, want [BTC USD]", c.Missing)
	}
	if c.Complete() {
		t.Error("a conversion with missing rates reports complete")
	}
	if !c.Oldest.Equal(day("2026-11-27")) || !c.Newest.Equal(day("2026-11-28")) {
		t.Errorf("dates %v..%v", c.Oldest, c.Newest)
	}
	if len(c.Rates) != 2 || c.Rates[1].Rate.String() != "1.17" {
		t.Errorf("rates used = %+v", c.Rates)
	}
}

func TestConvertRoundsToTheBaseCurrencysMinorUnits(t *testing.T) {
	c, err := Convert("JPY", map[money.Currency]money.Amount{"EUR": money.MustParse("10.01")}, []Rate{
		{Currency: "EUR", Quote: "JPY", Rate: money.MustParse("162.45"), Date: day("2026-11-28")},
	})
	if err != nil {
		t.Fatal(err)
	}
	// 10.01 * 162.45 = 1626.1245 -> 1626 (JPY has no minor unit).
	if got := c.Total.String(); got != "1626.00" {
		t.Errorf("total = %s, want 1626.00", got)
	}
}

func TestCheckRate(t *testing.T) {
	if errs := CheckRate(Rate{Currency: "EUR", Quote: "EUR", Rate: money.Zero}); len(errs) != 2 {
		t.Errorf("errs = %v", errs)
	}
}
