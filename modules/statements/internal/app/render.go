package app

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/money"
)

// newRenderer returns the sink that writes format into w.
func newRenderer(f domain.Format, w io.Writer) (sink, error) {
	switch f {
	case domain.JSON:
		return newJSONRenderer(w), nil
	case domain.CSV:
		return newCSVRenderer(w), nil
	case domain.PDF:
		return newPDFRenderer(w), nil
	}
	return nil, fmt.Errorf("statements: no renderer for format %q", f)
}

// timestamp writes t the way the API writes every timestamp: RFC 3339 in UTC, with
// fractional seconds only when there are any.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// displayAmount writes a for people, exactly: thousands separated by commas and at
// least the currency's minor units, but never rounded, so the figures of a printed
// statement add up to the last digit just as the JSON ones do ("1,234.5678" stays
// as it is; JPY 1000 prints as "1,000").
func displayAmount(a money.Amount, c money.Currency) string {
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
