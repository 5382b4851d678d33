// Package negative is Kontor's schema-driven negative suite: it boots the real
// application on both engines, reads the OpenAPI document it serves and, for every
// operation, sends malformed, boundary and hostile requests derived from the
// operation's schema, holding each answer to the API conventions.
package negative

import (
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }
