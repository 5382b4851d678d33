package identity_test

import (
	"io"
	"log/slog"
	"testing"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/modules/identity"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/events"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/openapi"
)

// TestModuleGraph checks that the module provides what the application consumes
// from it, given only what the platform provides, without starting anything.
func TestModuleGraph(t *testing.T) {
	type consumed struct {
		fx.In
		Auth   authn.Authenticator
		Users  identity.Directory
		Routes []httpserver.Routes `group:"routes"`
		Specs  []openapi.Spec      `group:"openapi"`
	}
	err := fx.ValidateApp(
		fx.Supply(config.Config{SecretKey: "0123456789abcdef0123456789abcdef", BaseURL: "https://kontor.example"}),
		fx.Provide(func() *database.DB { return nil }),
		fx.Provide(func() *authz.Authorizer { return nil }),
		fx.Provide(func() *events.Bus { return nil }),
		fx.Supply(slog.New(slog.NewTextHandler(io.Discard, nil))),
		identity.Module,
		fx.Invoke(func(consumed) {}),
	)
	if err != nil {
		t.Fatal(err)
	}
}
