package api

import (
	"testing"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
)

func TestNegotiate(t *testing.T) {
	cases := []struct {
		format, accept string
		want           domain.Format
		code           apperr.Code
	}{
		{"", "", domain.JSON, ""},
		{"", "*/*", domain.JSON, ""},
		{"", "application/json", domain.JSON, ""},
		{"", "text/csv", domain.CSV, ""},
		{"", "Application/PDF", domain.PDF, ""},
		{"", "text/html, text/csv;q=0.5, application/pdf;q=0.9", domain.PDF, ""},
		{"", "application/pdf;q=0, text/*", domain.CSV, ""},
		{"", "text/html, application/xml;q=0.9, */*;q=0.8", domain.JSON, ""},
		{"", "text/html", "", apperr.NotAcceptable},
		{"", "application/json;q=0", "", apperr.NotAcceptable},
		{"csv", "application/json", domain.CSV, ""},
		{"pdf", "text/html", domain.PDF, ""},
		{"xml", "", "", apperr.ValidationFailed},
		{"JSON", "", "", apperr.ValidationFailed},
	}
	for _, c := range cases {
		got, err := Negotiate(c.format, c.accept)
		if c.code != "" {
			if !apperr.Is(err, c.code) {
				t.Errorf("Negotiate(%q, %q): error %v, want %s", c.format, c.accept, err, c.code)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Negotiate(%q, %q) = %q, %v; want %q", c.format, c.accept, got, err, c.want)
		}
	}
}
