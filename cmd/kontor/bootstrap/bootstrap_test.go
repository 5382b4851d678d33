package bootstrap_test

import (
	"io"
	"testing"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/cmd/kontor/bootstrap"
	"github.com/kontor-app/kontor/platform/config"
)

// TestValidateApp checks the whole dependency graph without starting anything.
func TestValidateApp(t *testing.T) {
	for _, dbURL := range []string{"", "postgres://kontor:kontor@127.0.0.1:1/kontor?sslmode=disable"} {
		cfg, err := config.Load(nil, func(k string) string {
			return map[string]string{
				"KONTOR_SECRET_KEY":   "0123456789abcdef0123456789abcdef",
				"KONTOR_DATA_DIR":     t.TempDir(),
				"KONTOR_DATABASE_URL": dbURL,
				"KONTOR_REDIS_URL":    "",
			}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := fx.ValidateApp(bootstrap.Options(cfg, io.Discard)); err != nil {
			t.Fatalf("database %q: %v", dbURL, err)
		}
	}
}
