package domain

import (
	"strings"

	"github.com/kontor-app/kontor/platform/money"
)

// Format is a statement's file format.
type Format string

// The formats a statement is available in.
const (
	JSON Format = "json"
	CSV  Format = "csv"
	PDF  Format = "pdf"
)

// Formats lists every format, JSON first as the default.
var Formats = []Format{JSON, CSV, PDF}

// ParseFormat returns s as a Format.
func ParseFormat(s string) (Format, bool) {
	for _, f := range Formats {
		if string(f) == s {
			return f, true
		}
	}
	return "", false
}

// MediaType is the format's Content-Type.
func (f Format) MediaType() string {
	switch f {
	case CSV:
		return "text/csv; charset=utf-8"
	case PDF:
		return "application/pdf"
	}
	return "application/json"
}

// IsDownload reports whether the format is sent as a file to save rather than shown.
func (f Format) IsDownload() bool { return f == CSV || f == PDF }

// FileName is the name a statement of account number for period is saved under:
// statement-<account_number>-<start>-<end>.<ext>. Characters that could break a
// Content-Disposition header or a file system are replaced by "_".
func FileName(accountNumber string, p Period, f Format) string {
	return "statement-" + safeFilePart(accountNumber) + "-" + p.StartDate() + "-" + p.EndDate() + "." + string(f)
}

func safeFilePart(s string) string {
	if s == "" {
		return "account"
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			b[i] = '_'
		}
	}
	return string(b)
}

// Display writes a for people, exactly: thousands separated by commas and at
// least the currency's minor units, but never rounded, so the figures of a printed
// statement add up to the last digit just as the JSON ones do ("1,234.5678" stays
// as it is; JPY 1000 prints as "1,000").
func Display(a money.Amount, c money.Currency) string {
	s := a.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	units := int(c.MinorUnits())
	frac = strings.TrimRight(frac, "0")
	if len(frac) < units {
		frac += strings.Repeat("0", units-len(frac))
	}
	var b strings.Builder
	b.Grow(len(s) + len(intPart)/3 + 1)
	b.WriteString(sign)
	first := len(intPart) % 3
	if first == 0 {
		first = 3
	}
	b.WriteString(intPart[:first])
	for i := first; i < len(intPart); i += 3 {
		b.WriteByte(',')
		b.WriteString(intPart[i : i+3])
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}
