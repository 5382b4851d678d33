package httpserver

import (
	"errors"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/platform/apperr"
)

// TestCheckJSONRefusesDeepNesting holds the nesting bound: a body of nothing but "["
// once cost time quadratic in its length; now anything past maxJSONDepth levels is a
// malformed_json problem, and a body at the bound still passes the check.
func TestCheckJSONRefusesDeepNesting(t *testing.T) {
	for _, body := range []string{
		strings.Repeat("[", maxJSONDepth+1),
		strings.Repeat("[", 100_000),
		strings.Repeat(`{"a":`, maxJSONDepth+1) + "1" + strings.Repeat("}", maxJSONDepth+1),
	} {
		err := checkJSON([]byte(body), nil)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.MalformedJSON {
			t.Fatalf("%d bytes of nesting: %v, want malformed_json", len(body), err)
		}
	}
	ok := strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth)
	if err := checkJSON([]byte(ok), nil); err != nil {
		t.Fatalf("%d levels: %v", maxJSONDepth, err)
	}
}
