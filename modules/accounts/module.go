package accounts

import (
	"go.uber.org/fx"

	"github.com/kontor-app/kontor/modules/accounts/internal/api"
	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/store"
	"github.com/kontor-app/kontor/modules/accounts/internal/web"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/httpserver"
)

// Module provides the accounts use cases to the application: the JSON routes, the
// module's part of the OpenAPI document, and the Ledger, Insight, ProviderSync and
// Directory contracts other modules use. The store stays private to the module.
var Module = fx.Module("accounts",
	fx.Provide(
		fx.Private,
		fx.Annotate(store.New, fx.As(new(app.Repository))),
		newAuthorizer,
		newService,
	),
	fx.Provide(
		newContract,
		func(c *Contract) Ledger { return c },
		func(c *Contract) Insight { return c },
		func(c *Contract) ProviderSync { return c },
		func(c *Contract) Directory { return c },
		fx.Annotate(newAPIRoutes, fx.As(new(httpserver.Routes)), fx.ResultTags(`group:"routes"`)),
		fx.Annotate(newWebRoutes, fx.As(new(httpserver.Routes)), fx.ResultTags(`group:"routes"`)),
		fx.Annotate(api.Spec, fx.ResultTags(`group:"openapi"`)),
	),
)

func newAuthorizer(a *authz.Authorizer) app.Authorizer { return a }

func newService(repo app.Repository, az app.Authorizer) *app.Service {
	return app.NewService(repo, az, app.SystemClock{})
}

func newContract(svc *app.Service) *Contract { return &Contract{svc: svc} }

func newAPIRoutes(svc *app.Service) *api.Routes { return api.New(svc) }

func newWebRoutes(svc *app.Service) *web.Routes { return web.New(svc) }
