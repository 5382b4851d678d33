package sync_test

import (
	"log/slog"
	"testing"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/connections"
	kontorsync "github.com/kontor-app/kontor/modules/sync"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/events"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/jobs"
	"github.com/kontor-app/kontor/platform/openapi"
)

// TestModuleGraph checks that the module provides its contract, routes and
// OpenAPI part given the contracts it consumes, without starting anything.
func TestModuleGraph(t *testing.T) {
	type consumed struct {
		fx.In
		Syncer kontorsync.Syncer
		Routes []httpserver.Routes `group:"routes"`
		Jobs   []jobs.Registration `group:"jobs"`
		Specs  []openapi.Spec      `group:"openapi"`
	}
	err := fx.ValidateApp(
		fx.Provide(func() *database.DB { return nil }),
		fx.Provide(func() *authz.Authorizer { return nil }),
		fx.Provide(func() *slog.Logger { return slog.Default() }),
		fx.Provide(func() connections.Sync { return nil }),
		fx.Provide(func() accounts.ProviderSync { return nil }),
		fx.Provide(func() accounts.Ledger { return nil }),
		fx.Provide(func() *events.Bus { return nil }),
		fx.Provide(func() *events.Stream { return nil }),
		fx.Provide(func() *jobs.Client { return nil }),
		kontorsync.Module,
		fx.Invoke(func(consumed) {}),
	)
	if err != nil {
		t.Fatal(err)
	}
}
