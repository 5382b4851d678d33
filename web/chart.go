package web

import (
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kontor-app/kontor/platform/money"
)

// ChartPoint is one value of a line chart: an exact amount on a day.
type ChartPoint struct {
	Date  time.Time
	Value money.Amount
}

// LineChartProps describes a LineChart: one series of amounts in one currency over
// time. Title and Description become the SVG's <title> and <desc>, which screen
// readers announce; the same figures are offered as a table below the chart. ID
// must be unique on the page.
type LineChartProps struct {
	ID          string
	Title       string
	Description string
	Currency    money.Currency
	Points      []ChartPoint
	// Color is the series colour, such as an account's own; "" or anything but
	// a hex colour draws the brand colour.
	Color string
}

// BarDatum is one bar of a BarChart.
type BarDatum struct {
	Label string
	Value money.Amount
}

// BarChartProps describes a BarChart: labelled amounts in one currency, drawn as
// horizontal bars from a zero line, negative ones (debts) to the left.
type BarChartProps struct {
	ID          string
	Title       string
	Description string
	Currency    money.Currency
	Bars        []BarDatum
}

// BalanceHistoryProps describes a BalanceHistoryChart for one account.
type BalanceHistoryProps struct {
	AccountName string
	Currency    money.Currency
	Points      []ChartPoint
	// Color is the account's colour, drawn as the series colour when set.
	Color string
}

// The line chart's drawing area in SVG user units; the SVG scales to its box.
const (
	chartWidth  = 640.0
	chartHeight = 220.0
	chartLeft   = 8.0
	chartRight  = 8.0
	chartTop    = 12.0
	chartBottom = 24.0
)

// rat returns a as an exact rational, so that scaling amounts to coordinates starts
// from the exact value; only the final coordinate is rounded, to a tenth of a unit.
func rat(a money.Amount) *big.Rat {
	r, ok := new(big.Rat).SetString(a.String())
	if !ok {
		return new(big.Rat)
	}
	return r
}

// scale maps v from [lo, hi] onto [from, to]; a flat range maps to the middle.
func scale(v, lo, hi *big.Rat, from, to float64) float64 {
	span := new(big.Rat).Sub(hi, lo)
	if span.Sign() == 0 {
		return (from + to) / 2
	}
	f := new(big.Rat).Quo(new(big.Rat).Sub(v, lo), span)
	share, _ := f.Float64()
	return from + share*(to-from)
}

func coord(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// lineGeometry is what the line chart template draws.
type lineGeometry struct {
	Line, Area      string
	ZeroY           string
	HasZero         bool
	MaxLabel        string
	MinLabel        string
	FirstDate       string
	LastDate        string
	LastX, LastY    string
	LastValueLabel  string
	Width, Height   string
	BaselineY       string
	PlotLeft, Right string
}

// geometry lays the points out: a polyline path, the area under it, the zero line
// when the values cross it, and the labels of the extremes and the dates.
func (p LineChartProps) geometry() lineGeometry {
	g := lineGeometry{Width: coord(chartWidth), Height: coord(chartHeight), BaselineY: coord(chartHeight - chartBottom),
		PlotLeft: coord(chartLeft), Right: coord(chartWidth - chartRight)}
	if len(p.Points) == 0 {
		return g
	}
	lo, hi := rat(p.Points[0].Value), rat(p.Points[0].Value)
	minA, maxA := p.Points[0].Value, p.Points[0].Value
	for _, pt := range p.Points[1:] {
		v := rat(pt.Value)
		if v.Cmp(lo) < 0 {
			lo, minA = v, pt.Value
		}
		if v.Cmp(hi) > 0 {
			hi, maxA = v, pt.Value
		}
	}
	zero := new(big.Rat)
	top, bottom := chartTop, chartHeight-chartBottom
	n := len(p.Points)
	var line, area strings.Builder
	var x, y float64
	for i, pt := range p.Points {
		x = chartLeft
		if n > 1 {
			x = chartLeft + float64(i)*(chartWidth-chartLeft-chartRight)/float64(n-1)
		}
		y = scale(rat(pt.Value), lo, hi, bottom, top)
		if i == 0 {
			line.WriteString("M" + coord(x) + " " + coord(y))
		} else {
			line.WriteString(" L" + coord(x) + " " + coord(y))
		}
	}
	g.Line = line.String()
	base := bottom
	if lo.Sign() < 0 && hi.Sign() > 0 {
		base = scale(zero, lo, hi, bottom, top)
		g.HasZero, g.ZeroY = true, coord(base)
	} else if hi.Sign() <= 0 && lo.Sign() < 0 {
		base = top
	}
	area.WriteString(g.Line + " L" + coord(x) + " " + coord(base) + " L" + coord(chartLeft) + " " + coord(base) + " Z")
	g.Area = area.String()
	g.MaxLabel = Money(maxA, p.Currency)
	g.MinLabel = Money(minA, p.Currency)
	g.FirstDate = p.Points[0].Date.UTC().Format(DateLayout)
	g.LastDate = p.Points[n-1].Date.UTC().Format(DateLayout)
	g.LastX, g.LastY = coord(x), coord(y)
	g.LastValueLabel = Money(p.Points[n-1].Value, p.Currency)
	return g
}

// barGeometry is one bar as the bar chart template draws it.
type barGeometry struct {
	Label      string
	ValueLabel string
	// Exact is the full figure with its currency, for the value's tooltip.
	Exact    string
	Negative bool
	X, Y, W  string
	TextY    string
}

// Bar chart layout in SVG user units.
const (
	barWidth  = 640.0
	barRow    = 34.0
	barHeight = 18.0
	barLabel  = 150.0
	barValue  = 130.0
)

// barsHeight is the SVG height for the bars.
func (p BarChartProps) barsHeight() string { return coord(float64(len(p.Bars))*barRow + 6) }

// bars lays the bars out against one scale from the most negative to the most
// positive value, zero included, so bars of debts and assets compare honestly.
func (p BarChartProps) bars() []barGeometry {
	lo, hi := new(big.Rat), new(big.Rat)
	for _, b := range p.Bars {
		v := rat(b.Value)
		if v.Cmp(lo) < 0 {
			lo = v
		}
		if v.Cmp(hi) > 0 {
			hi = v
		}
	}
	// The value column is as wide as its longest figure (13-unit type is about
	// 7.8 units a character), so a long figure never runs into its bar.
	valueWidth := barValue
	labels := make([]string, len(p.Bars))
	for i, b := range p.Bars {
		labels[i] = shortFigure(Money(b.Value, p.Currency))
		if w := float64(utf8.RuneCountInString(labels[i]))*7.8 + 12; w > valueWidth {
			valueWidth = w
		}
	}
	from, to := barLabel, barWidth-valueWidth
	zeroX := scale(new(big.Rat), lo, hi, from, to)
	if lo.Sign() == 0 && hi.Sign() == 0 {
		zeroX = from
	}
	out := make([]barGeometry, len(p.Bars))
	for i, b := range p.Bars {
		x := scale(rat(b.Value), lo, hi, from, to)
		if lo.Sign() == 0 && hi.Sign() == 0 {
			x = from
		}
		left, w := zeroX, x-zeroX
		if w < 0 {
			left, w = x, -w
		}
		if w < 1 && !b.Value.IsZero() {
			w = 1
		}
		y := float64(i)*barRow + 4
		out[i] = barGeometry{
			Label: b.Label, ValueLabel: labels[i], Exact: Money(b.Value, p.Currency) + " " + string(p.Currency), Negative: b.Value.IsNegative(),
			X: coord(left), Y: coord(y), W: coord(w), TextY: coord(y + barHeight/2 + 4),
		}
	}
	return out
}

// chartIDs are the ids the SVG's aria-labelledby points at.
func chartTitleID(id string) string { return id + "-title" }
func chartDescID(id string) string  { return id + "-desc" }

// balanceHistoryLine turns BalanceHistoryProps into the line chart it draws.
func (p BalanceHistoryProps) line() LineChartProps {
	desc := "No balance history yet."
	if n := len(p.Points); n > 0 {
		desc = "The end-of-day balance of " + p.AccountName + " from " + Date(p.Points[0].Date) +
			" (" + Money(p.Points[0].Value, p.Currency) + " " + string(p.Currency) + ") to " +
			Date(p.Points[n-1].Date) + " (" + Money(p.Points[n-1].Value, p.Currency) + " " + string(p.Currency) + ")."
	}
	return LineChartProps{ID: "balance-history", Title: "Balance history of " + p.AccountName, Description: desc, Currency: p.Currency, Points: p.Points, Color: p.Color}
}

// chartAmount formats a figure for a chart's table.
func chartAmount(a money.Amount, c money.Currency) string { return Money(a, c) }

// brandColor is the series colour of a chart without one of its own.
const brandColor = "#0b5f6b"

// SafeColor returns c when it is a hex colour (#rgb, #rgba, #rrggbb or
// #rrggbbaa) and "" otherwise, so a person's colour can go into an SVG fill
// and nothing else can.
func SafeColor(c string) string {
	if len(c) != 4 && len(c) != 5 && len(c) != 7 && len(c) != 9 || c[0] != '#' {
		return ""
	}
	for i := 1; i < len(c); i++ {
		ch := c[i]
		if !('0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f' || 'A' <= ch && ch <= 'F') {
			return ""
		}
	}
	return c
}

// seriesColor is the colour a line chart draws its series in.
func (p LineChartProps) seriesColor() string {
	if c := SafeColor(p.Color); c != "" {
		return c
	}
	return brandColor
}

// ownColor reports whether the series has its own colour, which the stylesheet
// then leaves alone.
func (p LineChartProps) ownColor() bool { return SafeColor(p.Color) != "" }

// shortFigure cuts a formatted figure to at most eight decimals, with an
// ellipsis when it had more, so a wei-exact balance fits beside its bar; the
// exact figure is in the tooltip and the chart's table.
func shortFigure(s string) string {
	if dot := strings.IndexByte(s, '.'); dot >= 0 && len(s)-dot-1 > 8 {
		return s[:dot+9] + "…"
	}
	return s
}
