package web_test

import (
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/web"
)

var testForm = web.Form{
	Labels: map[string]string{"start_date": "From", "end_date": "To", "email": "E-mail address"},
	Codes:  map[apperr.Code]string{apperr.EmailTaken: "email", apperr.Conflict: ""},
}

// TestFormErrorsOf holds the one mapping of use-case errors to form errors every
// module's pages share.
func TestFormErrorsOf(t *testing.T) {
	t.Parallel()
	f, status, ok := testForm.ErrorsOf(apperr.Validation(
		apperr.FieldError{Field: "start_date", Message: "must not be after end_date"},
		apperr.FieldError{Field: "start_date", Message: "must be a date"},
		apperr.FieldError{Field: "limit", Message: "must be a whole number"},
	))
	if !ok || status != http.StatusUnprocessableEntity {
		t.Fatalf("validation: %v %d", ok, status)
	}
	if got := f.Field("start_date"); got != "Must not be after “To”." {
		t.Errorf("field message %q: the first error of a field, in words, as a sentence", got)
	}
	want := []string{"From: must not be after “To”.", "From: must be a date.", "limit: must be a whole number."}
	if !reflect.DeepEqual(f.Summary, want) {
		t.Errorf("summary %q, want %q", f.Summary, want)
	}
	f, status, ok = testForm.ErrorsOf(apperr.New(apperr.EmailTaken, "That address is taken."))
	if !ok || status != http.StatusConflict || f.Field("email") != "That address is taken." || len(f.Summary) != 1 {
		t.Errorf("a code the form explains under a field: %+v %d %v", f, status, ok)
	}
	f, _, ok = testForm.ErrorsOf(apperr.New(apperr.Conflict, "Changed meanwhile."))
	if !ok || len(f.Fields) != 0 || f.Summary[0] != "Changed meanwhile." || !f.Present() {
		t.Errorf("a code the form explains in the summary only: %+v", f)
	}
	for _, err := range []error{apperr.New(apperr.Forbidden, "no"), apperr.New(apperr.NotFound, "gone"), errors.New("boom")} {
		if _, _, ok := testForm.ErrorsOf(err); ok {
			t.Errorf("%v went to the form, not the error page", err)
		}
	}
	ordered := testForm
	ordered.Order = []string{"email", "start_date", "end_date"}
	f, _, _ = ordered.ErrorsOf(apperr.Validation(
		apperr.FieldError{Field: "limit", Message: "must be a whole number"},
		apperr.FieldError{Field: "end_date", Message: "must be a date"},
		apperr.FieldError{Field: "email", Message: "is required"},
	))
	if want := []string{"E-mail address: is required.", "To: must be a date.", "limit: must be a whole number."}; !reflect.DeepEqual(f.Summary, want) {
		t.Errorf("summary in the form's order: %q, want %q", f.Summary, want)
	}
	if (web.FormProblems{}).Present() {
		t.Error("no problems are present")
	}
}

// TestWaitInWords: a Retry-After reads as seconds below a minute and as whole
// minutes, rounded up, from a minute on.
func TestWaitInWords(t *testing.T) {
	t.Parallel()
	for secs, want := range map[int]string{0: "1 second", 1: "1 second", 12: "12 seconds", 59: "59 seconds",
		60: "1 minute", 61: "2 minutes", 120: "2 minutes", 900: "15 minutes"} {
		if got := web.Wait(secs); got != want {
			t.Errorf("Wait(%d) = %q, want %q", secs, got, want)
		}
	}
	f := web.TooManyAttempts(12)
	if !reflect.DeepEqual(f.Summary, []string{"Too many attempts. Try again in 12 seconds."}) || len(f.Fields) != 0 || f.Title != "Please wait" {
		t.Errorf("TooManyAttempts(12) = %+v", f)
	}
}
