package httpserver

import (
	"fmt"
	"mime"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/platform/apperr"
)

// TextProblem says what is wrong with a piece of client text, or "" when nothing is.
// It is the one rule every text input passes, whichever way it arrives (a JSON string
// or key, a form field, a query parameter): the bytes must be valid UTF-8, altered
// by nothing on the way in, and hold no control character except tab, line feed and
// carriage return. NUL, the other C0 controls, DEL and the C1 controls have no place
// in names, descriptions, identifiers or searches, and some drivers and terminals
// treat them as syntax.
func TextProblem(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	for _, r := range s {
		if isForbiddenControl(r) {
			return "must not contain control characters such as NUL"
		}
	}
	return ""
}

func isForbiddenControl(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	}
	return false
}

// textInputs holds every query parameter and every url-encoded form field to
// TextProblem, names and values alike, before any handler sees them: a bad query
// parameter is a 400 invalid_parameter, a bad form field a 422 naming it.
func textInputs(c *fiber.Ctx) error {
	var bad *apperr.Error
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if bad != nil {
			return
		}
		name := string(k)
		if msg := TextProblem(name); msg != "" {
			bad = apperr.New(apperr.InvalidParameter, "A query parameter name %s.", msg)
			return
		}
		if msg := TextProblem(string(v)); msg != "" {
			bad = &apperr.Error{Code: apperr.InvalidParameter, Message: fmt.Sprintf("The query parameter %q %s.", name, msg),
				Fields: []apperr.FieldError{{Field: name, Message: msg}}}
		}
	})
	if bad != nil {
		return bad
	}
	if mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); mt == fiber.MIMEApplicationForm {
		c.Context().PostArgs().VisitAll(func(k, v []byte) {
			if bad != nil {
				return
			}
			name := string(k)
			if msg := TextProblem(name); msg != "" {
				bad = apperr.Validation(apperr.FieldError{Field: "form", Message: "has a field name that " + msg})
				return
			}
			if msg := TextProblem(string(v)); msg != "" {
				bad = apperr.Validation(apperr.FieldError{Field: name, Message: msg})
			}
		})
	}
	if bad != nil {
		return bad
	}
	return c.Next()
}
