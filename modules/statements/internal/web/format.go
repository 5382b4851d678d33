package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/money"
	kweb "github.com/kontor-app/kontor/web"
)

// amount formats a for the screen exactly, grouped and with at least the currency's
// minor units, so the figures of a statement add up on screen as they do in the PDF.
func amount(a money.Amount, c money.Currency) string { return money.Format(a, c) }

// signed formats a change with an explicit sign, "+1,200.00" or "-35.10".
func signed(a money.Amount, c money.Currency) string {
	s := money.Format(a, c)
	if a.IsPositive() {
		return "+" + s
	}
	return s
}

func typeLabel(t string) string {
	if t == "" {
		return ""
	}
	s := strings.ReplaceAll(t, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

func date(t time.Time) string { return t.UTC().Format("2006-01-02") }

func changeLabel(days int) string {
	if days == 365 {
		return "1 year"
	}
	return strconv.Itoa(days) + " days"
}

// worthChart turns a currency's history into the dashboard's line chart.
func worthChart(w domain.CurrencyWorth) kweb.LineChartProps {
	points := make([]kweb.ChartPoint, len(w.Series))
	for i, p := range w.Series {
		points[i] = kweb.ChartPoint{Date: p.Day, Value: p.Value}
	}
	desc := "No history yet."
	if n := len(points); n > 0 {
		desc = "Net worth in " + string(w.Currency) + " at the end of every week from " + points[0].Date.Format("2 January 2006") +
			" (" + amount(points[0].Value, w.Currency) + ") to " + points[n-1].Date.Format("2 January 2006") + " (" + amount(points[n-1].Value, w.Currency) + ")."
	}
	return kweb.LineChartProps{ID: "net-worth-" + strings.ToLower(string(w.Currency)), Title: "Net worth in " + string(w.Currency) + " over the last year",
		Description: desc, Currency: w.Currency, Points: points}
}

// allocationChart turns a currency's allocation into the dashboard's bar chart.
func allocationChart(a domain.Allocation) kweb.BarChartProps {
	bars := make([]kweb.BarDatum, len(a.Slices))
	parts := make([]string, len(a.Slices))
	for i, s := range a.Slices {
		bars[i] = kweb.BarDatum{Label: domain.CategoryLabel(s.Category), Value: s.Amount}
		parts[i] = domain.CategoryLabel(s.Category) + " " + amount(s.Amount, a.Currency)
	}
	return kweb.BarChartProps{ID: "allocation-" + strings.ToLower(string(a.Currency)), Title: "Allocation of " + string(a.Currency) + " by category",
		Description: strings.Join(parts, "; ") + ".", Currency: a.Currency, Bars: bars}
}

func attentionLabel(k domain.AttentionKind) string {
	switch k {
	case domain.BalanceDrift:
		return "Balance drift"
	case domain.StaleSync:
		return "Stale sync"
	case domain.BrokenConnection:
		return "Connection broken"
	case domain.ProviderDrift:
		return "Differs from the bank"
	}
	return string(k)
}

// short writes a for a narrow place: exactly when it has at most eight decimals,
// otherwise cut to eight with an ellipsis. Where it is used, the exact figure is
// in the element's title and in the chart's table.
func short(a money.Amount, c money.Currency) string {
	s := money.Format(a, c)
	if dot := strings.IndexByte(s, '.'); dot >= 0 && len(s)-dot-1 > 8 {
		return s[:dot+9] + "…"
	}
	return s
}

func lower(s string) string { return strings.ToLower(s) }

// long reports whether a formatted amount is too wide to stay on one line of a
// phone's table (crypto figures with many decimals); such amounts may wrap between
// digits, shorter ones never do.
func long(formatted string) bool { return len(formatted) > 14 }
