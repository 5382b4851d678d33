package statements

import (
	"log/slog"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/identity"
	"github.com/kontor-app/kontor/modules/statements/internal/api"
	"github.com/kontor-app/kontor/modules/statements/internal/app"
	"github.com/kontor-app/kontor/modules/statements/internal/web"
	kontorsync "github.com/kontor-app/kontor/modules/sync"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/httpserver"
)

// Module provides the statements use cases to the application: the statement API
// route and its part of the OpenAPI document, the dashboard at "/" and the statement
// pages. The adapters onto the accounts and identity contracts stay private.
var Module = fx.Module("statements",
	fx.Provide(
		fx.Private,
		newLedger,
		newDirectory,
		newAuthorizer,
		newInsight,
		newSyncHealth,
		newService,
		newDashboardService,
	),
	fx.Provide(
		fx.Annotate(newAPIRoutes, fx.As(new(httpserver.Routes)), fx.ResultTags(`group:"routes"`)),
		fx.Annotate(newWebRoutes, fx.As(new(httpserver.Routes)), fx.ResultTags(`group:"routes"`)),
		fx.Annotate(api.Spec, fx.ResultTags(`group:"openapi"`)),
	),
)

func newLedger(l accounts.Ledger) app.Ledger { return ledgerAdapter{accounts: l} }

func newDirectory(d identity.Directory) app.Directory { return directoryAdapter{users: d} }

func newAuthorizer(a *authz.Authorizer) app.Authorizer { return a }

func newInsight(i accounts.Insight) app.Insight { return insightAdapter{accounts: i} }

// syncHealthIn takes the sync module's Health contract when the application
// has that module.
type syncHealthIn struct {
	fx.In
	Health kontorsync.Health `optional:"true"`
}

// newSyncHealth is the sync module's view of broken, stale and drifting linked
// accounts, or nothing without that module.
func newSyncHealth(in syncHealthIn) app.SyncHealth {
	if in.Health == nil {
		return app.NoSyncHealth{}
	}
	return syncHealthAdapter{sync: in.Health}
}

func newService(l app.Ledger, d app.Directory, a app.Authorizer) *app.Service {
	return app.NewService(l, d, a, app.SystemClock{})
}

func newDashboardService(i app.Insight, s app.SyncHealth, a app.Authorizer) *app.DashboardService {
	return app.NewDashboardService(i, s, a, app.SystemClock{})
}

func newAPIRoutes(svc *app.Service, log *slog.Logger) *api.Routes { return api.New(svc, log) }

func newWebRoutes(svc *app.Service, dash *app.DashboardService, log *slog.Logger) *web.Routes {
	return web.New(svc, dash, log)
}
