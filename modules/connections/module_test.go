package connections_test

import (
	"strings"
	"testing"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/connections"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/events"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/openapi"
	"github.com/kontor-app/kontor/platform/outbound"
)

// TestModuleGraph checks that the module provides its contract, routes and OpenAPI
// part given the platform and the accounts module, without starting anything.
func TestModuleGraph(t *testing.T) {
	type consumed struct {
		fx.In
		Sync   connections.Sync
		Routes []httpserver.Routes `group:"routes"`
		Specs  []openapi.Spec      `group:"openapi"`
	}
	err := fx.ValidateApp(
		fx.Provide(func() *database.DB { return nil }),
		fx.Provide(func() *authz.Authorizer { return nil }),
		fx.Provide(func() config.Config { return config.Config{} }),
		fx.Provide(func() *events.Bus { return nil }),
		outbound.Module,
		accounts.Module,
		connections.Module,
		fx.Invoke(func(consumed) {}),
	)
	if err != nil {
		t.Fatal(err)
	}
}

// TestModuleTakesThePlatformOutboundClient checks that the module builds no HTTP
// client of its own: without platform/outbound's Module the graph lacks the one
// *outbound.Client every provider call goes through.
func TestModuleTakesThePlatformOutboundClient(t *testing.T) {
	err := fx.ValidateApp(
		fx.Provide(func() *database.DB { return nil }),
		fx.Provide(func() *authz.Authorizer { return nil }),
		fx.Provide(func() config.Config { return config.Config{} }),
		fx.Provide(func() *events.Bus { return nil }),
		accounts.Module,
		connections.Module,
		fx.Invoke(func(connections.Sync) {}),
	)
	if err == nil || !strings.Contains(err.Error(), "outbound.Client") {
		t.Fatalf("without outbound.Module: %v", err)
	}
}
