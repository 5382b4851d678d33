// Package e2e holds Kontor's end-to-end suites: the real application, booted by the
// harness on 127.0.0.1:0 against a fresh PostgreSQL (embedded SQLite without Docker,
// outside CI), driven over HTTP and in a real Chromium.
package e2e

import (
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }
