package rates

import (
	"time"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/modules/rates/internal/api"
	"github.com/kontor-app/kontor/modules/rates/internal/app"
	"github.com/kontor-app/kontor/modules/rates/internal/store"
	"github.com/kontor-app/kontor/modules/rates/internal/web"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/httpserver"
)

// Module provides the rates use cases, their API routes, pages and OpenAPI
// part, and the Converter the dashboard uses.
var Module = fx.Module("rates",
	fx.Provide(fx.Private, newService),
	fx.Provide(
		newConverter,
		fx.Annotate(api.New, fx.As(new(httpserver.Routes)), fx.ResultTags(`group:"routes"`)),
		fx.Annotate(web.New, fx.As(new(httpserver.Routes)), fx.ResultTags(`group:"routes"`)),
		fx.Annotate(api.Spec, fx.ResultTags(`group:"openapi"`)),
	),
)

func newService(db *database.DB, a *authz.Authorizer) *app.Service {
	return app.New(store.New(db), a, time.Now)
}

func newConverter(s *app.Service) Converter { return s }
