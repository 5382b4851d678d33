package domain

import (
	"testing"
	"time"

	"github.com/kontor-app/kontor/platform/apperr"
)

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 17, 22, 30, 0, 0, time.UTC)
	tests := []struct {
		name       string
		in         PeriodInput
		start, end string
	}{
		{"default is the current month", PeriodInput{}, "2026-05-01", "2026-05-31"},
		{"this month", PeriodInput{Preset: "this_month"}, "2026-05-01", "2026-05-31"},
		{"last month", PeriodInput{Preset: "last_month"}, "2026-04-01", "2026-04-30"},
		{"this quarter", PeriodInput{Preset: "this_quarter"}, "2026-04-01", "2026-06-30"},
		{"last quarter", PeriodInput{Preset: "last_quarter"}, "2026-01-01", "2026-03-31"},
		{"this year", PeriodInput{Preset: "this_year"}, "2026-01-01", "2026-12-31"},
		{"last year", PeriodInput{Preset: "last_year"}, "2025-01-01", "2025-12-31"},
		{"a preset ignores stale dates", PeriodInput{Preset: "last_month", StartDate: "2020-01-01", EndDate: "bad"}, "2026-04-01", "2026-04-30"},
		{"custom dates", PeriodInput{Preset: "custom", StartDate: "2025-02-03", EndDate: "2025-03-04"}, "2025-02-03", "2025-03-04"},
		{"dates without a preset are custom", PeriodInput{StartDate: "2025-02-03", EndDate: "2025-02-03"}, "2025-02-03", "2025-02-03"},
		{"a missing end is today", PeriodInput{StartDate: "2026-03-10"}, "2026-03-10", "2026-05-17"},
		{"a missing start is the first of the end's month", PeriodInput{EndDate: "2024-02-20"}, "2024-02-01", "2024-02-20"},
		{"a leap day", PeriodInput{StartDate: "2024-02-29", EndDate: "2024-02-29"}, "2024-02-29", "2024-02-29"},
		{"exactly one hundred years", PeriodInput{StartDate: "1926-05-17", EndDate: "2026-05-17"}, "1926-05-17", "2026-05-17"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePeriod(tc.in, now)
			if err != nil {
				t.Fatalf("ParsePeriod: %v", err)
			}
			if p.StartDate() != tc.start || p.EndDate() != tc.end {
				t.Fatalf("period %s, want %s – %s", p, tc.start, tc.end)
			}
		})
	}
}

func TestParsePeriodInQuarterBoundaries(t *testing.T) {
	t.Parallel()
	// January's last quarter lies in the year before, which time.Date normalises.
	p, err := ParsePeriod(PeriodInput{Preset: "last_quarter"}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || p.String() != "2025-10-01 – 2025-12-31" {
		t.Fatalf("last quarter from 1 January: %v, %v", p, err)
	}
	p, err = ParsePeriod(PeriodInput{Preset: "last_month"}, time.Date(2026, 3, 31, 23, 59, 0, 0, time.UTC))
	if err != nil || p.String() != "2026-02-01 – 2026-02-28" {
		t.Fatalf("last month from 31 March: %v, %v", p, err)
	}
	// "Today" is the UTC date, whatever zone now is in.
	p, err = ParsePeriod(PeriodInput{}, time.Date(2026, 6, 1, 1, 0, 0, 0, time.FixedZone("CEST", 2*3600)))
	if err != nil || p.String() != "2026-05-01 – 2026-05-31" {
		t.Fatalf("this month at 01:00 CEST on 1 June: %v, %v", p, err)
	}
}

func TestParsePeriodRejects(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 17, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		in     PeriodInput
		fields []string
	}{
		{"start after end", PeriodInput{StartDate: "2026-02-02", EndDate: "2026-02-01"}, []string{"start_date"}},
		{"start after a defaulted end", PeriodInput{StartDate: "2027-01-01"}, []string{"start_date"}},
		{"not a date", PeriodInput{StartDate: "yesterday", EndDate: "2026-02-01"}, []string{"start_date"}},
		{"both bad", PeriodInput{StartDate: "2026-2-1", EndDate: "01/02/2026"}, []string{"start_date", "end_date"}},
		{"no such day", PeriodInput{StartDate: "2026-02-29", EndDate: "2026-03-01"}, []string{"start_date"}},
		{"a time is not a date", PeriodInput{StartDate: "2026-02-01T00:00:00Z"}, []string{"start_date"}},
		{"over a hundred years", PeriodInput{StartDate: "1926-05-16", EndDate: "2026-05-17"}, []string{"end_date"}},
		{"absurd years", PeriodInput{StartDate: "0001-01-01", EndDate: "9999-12-31"}, []string{"end_date"}},
		{"unknown preset", PeriodInput{Preset: "next_month"}, []string{"period"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePeriod(tc.in, now)
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.ValidationFailed {
				t.Fatalf("error %v, want validation_failed", err)
			}
			if len(e.Fields) != len(tc.fields) {
				t.Fatalf("fields %v, want %v", e.Fields, tc.fields)
			}
			for i, f := range tc.fields {
				if e.Fields[i].Field != f {
					t.Fatalf("fields %v, want %v", e.Fields, tc.fields)
				}
			}
		})
	}
}

func TestPeriodBounds(t *testing.T) {
	t.Parallel()
	p := Period{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)}
	inside := []time.Time{p.Start, time.Date(2026, 1, 31, 23, 59, 59, 999999999, time.UTC)}
	outside := []time.Time{p.Start.Add(-time.Nanosecond), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	for _, ts := range inside {
		if !p.Contains(ts) {
			t.Errorf("%s should be inside %s", ts, p)
		}
	}
	for _, ts := range outside {
		if p.Contains(ts) {
			t.Errorf("%s should be outside %s", ts, p)
		}
	}
}

func TestFileName(t *testing.T) {
	t.Parallel()
	p := Period{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)}
	if got := FileName("ACC-12345", p, CSV); got != "statement-ACC-12345-2026-01-01-2026-01-31.csv" {
		t.Fatalf("FileName = %q", got)
	}
	if got := FileName(`a"b/c; d`, p, PDF); got != "statement-a_b_c__d-2026-01-01-2026-01-31.pdf" {
		t.Fatalf("FileName with unsafe characters = %q", got)
	}
}
