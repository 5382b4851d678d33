package statements_test

import (
	"io"
	"testing"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/cmd/kontor/bootstrap"
	"github.com/kontor-app/kontor/platform/config"
)

// TestModuleWiresIntoTheApplication checks the whole fx graph with the module in it.
func TestModuleWiresIntoTheApplication(t *testing.T) {
	cfg, err := config.Load(nil, func(k string) string {
		return map[string]string{"KONTOR_SECRET_KEY": "test-secret-key-0123456789abcdef0123456789abcdef", "KONTOR_DATA_DIR": t.TempDir()}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.ValidateApp(bootstrap.Options(cfg, io.Discard)); err != nil {
		t.Fatalf("fx graph: %v", err)
	}
}
