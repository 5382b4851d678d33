package accounts_test

import (
	"testing"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/openapi"
)

// TestModuleGraph checks that the module provides its contracts, routes and OpenAPI
// part given only what the platform provides, without starting anything.
func TestModuleGraph(t *testing.T) {
	type consumed struct {
		fx.In
		Ledger    accounts.Ledger
		Insight   accounts.Insight
		Sync      accounts.ProviderSync
		Directory accounts.Directory
		Routes    []httpserver.Routes `group:"routes"`
		Specs     []openapi.Spec      `group:"openapi"`
	}
	err := fx.ValidateApp(
		fx.Provide(func() *database.DB { return nil }),
		fx.Provide(func() *authz.Authorizer { return nil }),
		accounts.Module,
		fx.Invoke(func(consumed) {}),
	)
	if err != nil {
		t.Fatal(err)
	}
}
