package harness

import (
	"errors"
	"fmt"
	"testing"
)

var errSkipped = errors.New("skipped")

// skipCatcher turns a Skip inside dbtest into a value, so Auto can fall back to
// SQLite instead of skipping the caller's whole test.
type skipCatcher struct {
	testing.TB
	skipped bool
	reason  string
}

func (s *skipCatcher) Skipf(format string, args ...any) {
	s.skipped = true
	s.reason = fmt.Sprintf(format, args...)
	panic(errSkipped)
}

func (s *skipCatcher) Skip(args ...any) {
	s.skipped = true
	s.reason = fmt.Sprint(args...)
	panic(errSkipped)
}
