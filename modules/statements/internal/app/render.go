package app

import (
	"fmt"
	"io"
	"time"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
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
