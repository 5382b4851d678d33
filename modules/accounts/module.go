package accounts

import (
	"go.uber.org/fx"

	"github.com/kontor-app/kontor/modules/accounts/internal/api"
	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/store"
	"github.com/kontor-app/kontor/modules/accounts/internal/web"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/userdata"
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
		fx.Annotate(newUserData, fx.As(new(UserData))),
		fx.Annotate(func(u UserData) userdata.Exporter { return u }, fx.ResultTags(userdata.ExportersGroup)),
		fx.Annotate(func(u UserData) userdata.Eraser { return u }, fx.ResultTags(userdata.ErasersGroup)),
	),
)

// newUserData is the module's part of the data export (through the JSON API's own
// views, so the files hold what the API serves) and of an account's deletion.
func newUserData(svc *app.Service, db *database.DB) userData {
	return userData{Exporter: api.NewExporter(svc), Store: store.New(db)}
}

type userData struct {
	*api.Exporter
	*store.Store
}

func newAuthorizer(a *authz.Authorizer) app.Authorizer { return a }

func newService(repo app.Repository, az app.Authorizer) *app.Service {
	return app.NewService(repo, az, app.SystemClock{})
}

func newContract(svc *app.Service) *Contract { return &Contract{svc: svc} }

func newAPIRoutes(svc *app.Service) *api.Routes { return api.New(svc) }

func newWebRoutes(svc *app.Service) *web.Routes { return web.New(svc) }
