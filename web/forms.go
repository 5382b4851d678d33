package web

import (
	"slices"
	"strconv"
	"strings"

	"github.com/kontor-app/kontor/platform/apperr"
)

// FormProblems are a form's problems: messages by field name, shown under the
// fields, and a summary in words for the top of the form (see the FormErrors
// component).
type FormProblems struct {
	Fields  map[string]string
	Summary []string
	// Title, when set, heads the summary instead of the count of problems to fix
	// (a refusal to wait out is not a problem the person can fix in the form).
	Title string
}

// Field returns the message to show under the field name, or "".
func (f FormProblems) Field(name string) string { return f.Fields[name] }

// Present reports whether there is anything to show.
func (f FormProblems) Present() bool { return len(f.Summary) > 0 || len(f.Fields) > 0 }

// Form describes a form for ErrorsOf: the labels its fields show, and the
// error codes besides validation that the form explains itself.
type Form struct {
	// Labels name the fields as the form's labels do, by field name.
	Labels map[string]string
	// Codes are the codes the form explains, each with the field its message
	// belongs to ("" when the message goes into the summary only).
	Codes map[apperr.Code]string
	// Order lists the fields in the order the form shows them; the summary
	// follows it, so a person reads the problems top to bottom. Fields it does
	// not list come after, in the order the errors name them.
	Order []string
}

// Label returns the label of field, or the field's name when it has none.
func (f Form) Label(field string) string {
	if l := f.Labels[field]; l != "" {
		return l
	}
	return field
}

// Words replaces the field names in a message, such as "must not be after
// end_date", with the labels the form shows.
func (f Form) Words(msg string) string {
	for name, label := range f.Labels {
		if strings.Contains(name, "_") && strings.Contains(msg, name) {
			msg = strings.ReplaceAll(msg, name, "“"+label+"”")
		}
	}
	return msg
}

// ErrorsOf turns a use-case error into what the form shows, with the status to
// answer: each field error under its field and, with the field's label, in the
// summary; a code the form explains in the summary and under its field. It
// reports false for any other error (forbidden, not found, internal), which
// goes to the error handler and its error page.
func (f Form) ErrorsOf(err error) (FormProblems, int, bool) {
	e, ok := apperr.As(err)
	if !ok {
		return FormProblems{}, 0, false
	}
	out := FormProblems{Fields: map[string]string{}}
	if e.Code == apperr.ValidationFailed {
		for _, fe := range f.ordered(e.Fields) {
			msg := f.Words(fe.Message)
			if _, seen := out.Fields[fe.Field]; !seen {
				out.Fields[fe.Field] = Sentence(msg)
			}
			out.Summary = append(out.Summary, f.Label(fe.Field)+": "+msg+".")
		}
		return out, apperr.Status(e.Code), true
	}
	field, ok := f.Codes[e.Code]
	if !ok {
		return FormProblems{}, 0, false
	}
	if field != "" {
		out.Fields[field] = e.Message
	}
	out.Summary = []string{e.Message}
	return out, apperr.Status(e.Code), true
}

// ordered returns fields in the form's Order, the others after them as given.
func (f Form) ordered(fields []apperr.FieldError) []apperr.FieldError {
	if len(f.Order) == 0 {
		return fields
	}
	rank := make(map[string]int, len(f.Order))
	for i, name := range f.Order {
		rank[name] = i
	}
	out := slices.Clone(fields)
	slices.SortStableFunc(out, func(a, b apperr.FieldError) int {
		ra, oka := rank[a.Field]
		rb, okb := rank[b.Field]
		switch {
		case oka && okb:
			return ra - rb
		case oka:
			return -1
		case okb:
			return 1
		}
		return 0
	})
	return out
}

// Sentence capitalises a message and ends it with a full stop.
func Sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// TooManyAttempts is what a form shows when its client was refused for sending
// it too often, with the wait of the Retry-After (in seconds) in words: "Too many
// attempts. Try again in 12 seconds."
func TooManyAttempts(retryAfter int) FormProblems {
	return FormProblems{Fields: map[string]string{}, Title: "Please wait", Summary: []string{"Too many attempts. Try again in " + Wait(retryAfter) + "."}}
}

// Wait writes a wait of seconds in words: in seconds below a minute ("1
// second", "45 seconds"), else in minutes rounded up ("1 minute", "3 minutes"),
// so a person who waits as told is let in. A wait below one second is "1
// second".
func Wait(seconds int) string {
	n, unit := max(seconds, 1), "second"
	if n >= 60 {
		n, unit = (n+59)/60, "minute"
	}
	if n != 1 {
		unit += "s"
	}
	return strconv.Itoa(n) + " " + unit
}
