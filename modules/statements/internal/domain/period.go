package domain

import (
	"time"

	"github.com/kontor-app/kontor/platform/apperr"
)

// DateLayout is how dates are written on the wire and in file names: YYYY-MM-DD.
const DateLayout = "2006-01-02"

// HumanDateLayout is how the PDF writes a day, the same as every page
// (web.DateLayout): "28 Nov 2026". Files for machines (CSV, JSON) keep DateLayout.
const HumanDateLayout = "2 Jan 2006"

// MaxPeriodYears bounds a statement period. A longer one is almost certainly a typo
// (a year of 0202 or 9999), and it would ask the database for everything it has.
const MaxPeriodYears = 100

// Preset names a period relative to today, as the period picker offers them.
type Preset string

// The presets. Custom means the dates given; the others ignore given dates.
const (
	ThisMonth   Preset = "this_month"
	LastMonth   Preset = "last_month"
	ThisQuarter Preset = "this_quarter"
	LastQuarter Preset = "last_quarter"
	ThisYear    Preset = "this_year"
	LastYear    Preset = "last_year"
	Custom      Preset = "custom"
)

// Presets lists the presets in the order the period picker shows them.
var Presets = []Preset{ThisMonth, LastMonth, ThisQuarter, LastQuarter, ThisYear, LastYear, Custom}

// Label is how the period picker names the preset.
func (p Preset) Label() string {
	switch p {
	case ThisMonth:
		return "This month"
	case LastMonth:
		return "Last month"
	case ThisQuarter:
		return "This quarter"
	case LastQuarter:
		return "Last quarter"
	case ThisYear:
		return "This year"
	case LastYear:
		return "Last year"
	case Custom:
		return "Custom dates"
	}
	return string(p)
}

// PeriodInput is a period as a request gives it: an optional preset and optional
// dates, all as text, so that one parser serves the API's query string and the
// page's form alike.
type PeriodInput struct {
	Preset    string
	StartDate string
	EndDate   string
}

// Period is a statement period: whole days from Start to End, both included, in UTC
// (the API's dates are UTC dates). Start and End are midnights.
type Period struct {
	Start time.Time
	End   time.Time
}

// From is the first instant of the period.
func (p Period) From() time.Time { return p.Start }

// Until is the first instant after the period, so an entry is inside when
// From() <= booked_at < Until().
func (p Period) Until() time.Time { return p.End.AddDate(0, 0, 1) }

// Contains reports whether t falls on one of the period's days.
func (p Period) Contains(t time.Time) bool {
	return !t.Before(p.From()) && t.Before(p.Until())
}

// StartDate is the first day as YYYY-MM-DD.
func (p Period) StartDate() string { return p.Start.Format(DateLayout) }

// EndDate is the last day as YYYY-MM-DD.
func (p Period) EndDate() string { return p.End.Format(DateLayout) }

// String reads like "2026-01-01 – 2026-01-31".
func (p Period) String() string { return p.StartDate() + " – " + p.EndDate() }

// ParsePeriod turns input into a Period, taking "today" from now (in UTC). With no
// preset and no dates it is the current month. A preset other than custom names its
// period and ignores the dates, so a form may keep old dates in its inputs. Otherwise
// the dates are used; a missing end date is today, and a missing start date is the
// first day of the end date's month. It returns a validation error naming each bad
// field: a date not in YYYY-MM-DD form, an unknown preset, a start after the end, or
// a period longer than MaxPeriodYears.
func ParsePeriod(in PeriodInput, now time.Time) (Period, error) {
	today := civilDay(now)
	var fields apperr.Fields

	preset := Preset(in.Preset)
	if in.Preset == "" {
		preset = Custom
		if in.StartDate == "" && in.EndDate == "" {
			preset = ThisMonth
		}
	}
	if preset != Custom {
		p, ok := presetPeriod(preset, today)
		if !ok {
			fields.Add("period", "must be one of this_month, last_month, this_quarter, last_quarter, this_year, last_year, custom")
			return Period{}, fields.Err()
		}
		return p, nil
	}

	start, startOK := parseDate(in.StartDate)
	end, endOK := parseDate(in.EndDate)
	if in.StartDate != "" && !startOK {
		fields.Add("start_date", "must be a date in the form YYYY-MM-DD, such as 2026-01-31")
	}
	if in.EndDate != "" && !endOK {
		fields.Add("end_date", "must be a date in the form YYYY-MM-DD, such as 2026-01-31")
	}
	if err := fields.Err(); err != nil {
		return Period{}, err
	}
	if in.EndDate == "" {
		end = today
	}
	if in.StartDate == "" {
		start = time.Date(end.Year(), end.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	if start.After(end) {
		fields.Add("start_date", "must not be after end_date (%s)", end.Format(DateLayout))
		return Period{}, fields.Err()
	}
	if end.After(start.AddDate(MaxPeriodYears, 0, 0)) {
		fields.Add("end_date", "must be at most %d years after start_date", MaxPeriodYears)
		return Period{}, fields.Err()
	}
	return Period{Start: start, End: end}, nil
}

// presetPeriod returns the period a preset names on the day today.
func presetPeriod(p Preset, today time.Time) (Period, bool) {
	y, m := today.Year(), today.Month()
	q := (int(m)-1)/3*3 + 1 // the first month of today's quarter
	switch p {
	case ThisMonth:
		return months(y, m, 1), true
	case LastMonth:
		return months(y, m-1, 1), true
	case ThisQuarter:
		return months(y, time.Month(q), 3), true
	case LastQuarter:
		return months(y, time.Month(q-3), 3), true
	case ThisYear:
		return months(y, time.January, 12), true
	case LastYear:
		return months(y-1, time.January, 12), true
	}
	return Period{}, false
}

// months returns the period of n whole months starting with month m of year y;
// time.Date normalises a month of 0 or below into the year before.
func months(y int, m time.Month, n int) Period {
	start := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	return Period{Start: start, End: start.AddDate(0, n, -1)}
}

// parseDate reads a YYYY-MM-DD date, rejecting anything else, including dates that
// do not exist such as 2026-02-30.
func parseDate(s string) (time.Time, bool) {
	if len(s) != len(DateLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// civilDay is the UTC midnight of t's UTC date.
func civilDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// DayOf returns the UTC midnight of t's UTC date; daily figures are keyed by it.
func DayOf(t time.Time) time.Time { return civilDay(t) }
