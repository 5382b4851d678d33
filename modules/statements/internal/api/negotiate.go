package api

import (
	"strconv"
	"strings"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
)

// mediaFormats maps the media types a statement comes in to its formats.
var mediaFormats = map[string]domain.Format{
	"application/json": domain.JSON,
	"text/csv":         domain.CSV,
	"application/pdf":  domain.PDF,
}

// Negotiate picks the statement's format: the format parameter when given (it wins
// over Accept, being the more deliberate of the two), else the acceptable media type
// with the highest quality, JSON for no Accept or */*. An unknown format is a
// validation error; an Accept that allows none of the three is not_acceptable.
func Negotiate(format, accept string) (domain.Format, error) {
	if format != "" {
		f, ok := domain.ParseFormat(format)
		if !ok {
			return "", apperr.Validation(apperr.FieldError{Field: "format", Message: "must be one of json, csv, pdf"})
		}
		return f, nil
	}
	if strings.TrimSpace(accept) == "" {
		return domain.JSON, nil
	}
	best, bestQ := domain.Format(""), 0.0
	for _, part := range strings.Split(accept, ",") {
		mt, q := mediaRange(part)
		if q <= 0 {
			continue
		}
		var f domain.Format
		switch {
		case mt == "*/*" || mt == "application/*":
			f = domain.JSON
		case mt == "text/*":
			f = domain.CSV
		default:
			var ok bool
			if f, ok = mediaFormats[mt]; !ok {
				continue
			}
		}
		if q > bestQ {
			best, bestQ = f, q
		}
	}
	if best == "" {
		return "", apperr.New(apperr.NotAcceptable, "A statement is available as application/json, text/csv or application/pdf; the Accept header allows none of them. Use the format parameter or another Accept.")
	}
	return best, nil
}

// mediaRange reads one element of an Accept header: its media range in lower case
// and its quality (1 unless a valid q parameter says otherwise).
func mediaRange(part string) (string, float64) {
	fields := strings.Split(part, ";")
	mt := strings.ToLower(strings.TrimSpace(fields[0]))
	q := 1.0
	for _, p := range fields[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			parsed, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || parsed < 0 || parsed > 1 {
				return mt, 0
			}
			q = parsed
		}
	}
	return mt, q
}
