package web

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/kontor-app/kontor/platform/money"
)

func renderString(t *testing.T, c templ.Component) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// assertSelfContained checks what the CSP and the no-network rule demand of a chart.
func assertSelfContained(t *testing.T, html string) {
	t.Helper()
	for _, bad := range []string{"style=", "<script", "http://", "https://", "onload", "onclick"} {
		if strings.Contains(html, bad) {
			t.Errorf("chart contains %q:\n%s", bad, html)
		}
	}
}

func TestLineChart(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := LineChartProps{ID: "nw-usd", Title: "Net worth in USD", Description: "From −10.00 to 1,234.50.", Currency: "USD", Points: []ChartPoint{
		{Date: day, Value: money.MustParse("-10")},
		{Date: day.AddDate(0, 0, 1), Value: money.MustParse("100.005")},
		{Date: day.AddDate(0, 0, 2), Value: money.MustParse("1234.5")},
	}}
	html := renderString(t, LineChart(p))
	for _, want := range []string{
		`<title id="nw-usd-title">Net worth in USD</title>`, `<desc id="nw-usd-desc">From −10.00 to 1,234.50.</desc>`,
		`aria-labelledby="nw-usd-title nw-usd-desc"`, `role="img"`, "chart__zero", "<table", "3 Jan 2026", "1,234.50", "100.00",
		"High 1,234.50", "Low −10.00",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("line chart lacks %q", want)
		}
	}
	assertSelfContained(t, html)
	g := p.geometry()
	// The lowest point sits on the bottom of the plot and the highest on its top.
	if !strings.HasPrefix(g.Line, "M8.0 196.0") || !strings.HasSuffix(g.Line, "L632.0 12.0") {
		t.Errorf("line %q", g.Line)
	}
}

func TestLineChartEdgeCases(t *testing.T) {
	if html := renderString(t, LineChart(LineChartProps{ID: "x", Title: "Empty"})); !strings.Contains(html, "no data yet") || strings.Contains(html, "<svg") {
		t.Errorf("empty chart: %s", html)
	}
	flat := LineChartProps{ID: "f", Title: "Flat", Currency: "EUR", Points: []ChartPoint{{Date: time.Now(), Value: money.FromInt(5)}}}
	if g := flat.geometry(); g.Line != "M8.0 104.0" {
		t.Errorf("a single point sits mid-height: %q", g.Line)
	}
}

func TestBarChart(t *testing.T) {
	p := BarChartProps{ID: "alloc", Title: "Allocation in USD", Description: "Cash 100, loans -50.", Currency: "USD", Bars: []BarDatum{
		{Label: "Cash", Value: money.FromInt(100)},
		{Label: "Loans", Value: money.FromInt(-50)},
	}}
	html := renderString(t, BarChart(p))
	for _, want := range []string{"<title id=\"alloc-title\">", "<desc id=\"alloc-desc\">", "chart__bar--negative", "<table", "−50.00", "Cash"} {
		if !strings.Contains(html, want) {
			t.Errorf("bar chart lacks %q", want)
		}
	}
	assertSelfContained(t, html)
	bars := p.bars()
	// One scale from -50 to 100: the zero line is a third of the way along.
	if bars[0].X != "270.0" || bars[1].X != "150.0" || bars[1].W != "120.0" || bars[0].W != "240.0" {
		t.Errorf("bars %+v", bars)
	}
}

func TestBalanceHistoryChart(t *testing.T) {
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	html := renderString(t, BalanceHistoryChart(BalanceHistoryProps{AccountName: "Savings", Currency: "EUR", Points: []ChartPoint{
		{Date: day, Value: money.FromInt(10)}, {Date: day.AddDate(0, 0, 1), Value: money.FromInt(20)},
	}}))
	for _, want := range []string{"Balance history of Savings", "1 Mar 2026 (10.00 EUR)", `id="balance-history"`} {
		if !strings.Contains(html, want) {
			t.Errorf("balance history lacks %q", want)
		}
	}
}

// TestBarValueNeverRunsIntoItsBar lays out an 18-decimal figure: its label is
// cut to eight decimals (the exact figure goes to the tooltip), and the bars end
// before the widest label begins.
func TestBarValueNeverRunsIntoItsBar(t *testing.T) {
	p := BarChartProps{ID: "eth", Title: "ETH", Currency: "ETH", Bars: []BarDatum{
		{Label: "Investments", Value: money.MustParse("123456.370370367037037028")},
		{Label: "Cash and bank", Value: money.MustParse("1")},
	}}
	bars := p.bars()
	if bars[0].ValueLabel != "123,456.37037036…" || bars[0].Exact != "123,456.370370367037037028 ETH" {
		t.Errorf("label %q, exact %q", bars[0].ValueLabel, bars[0].Exact)
	}
	for _, b := range bars {
		x, _ := strconv.ParseFloat(b.X, 64)
		w, _ := strconv.ParseFloat(b.W, 64)
		labelStart := 636 - float64(utf8.RuneCountInString(b.ValueLabel))*7.8
		if x+w > labelStart {
			t.Errorf("bar %s ends at %.1f, its value starts near %.1f", b.Label, x+w, labelStart)
		}
	}
}
