package sync

import (
	"context"
	"log/slog"
	"time"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/connections"
	"github.com/kontor-app/kontor/modules/sync/internal/api"
	"github.com/kontor-app/kontor/modules/sync/internal/app"
	"github.com/kontor-app/kontor/modules/sync/internal/store"
	"github.com/kontor-app/kontor/modules/sync/internal/web"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/periodic"
)

// TickInterval is how often the scheduler looks for due connections. Until the
// River job engine lands (platform/jobs), the tick runs on platform/periodic in
// every instance; the per-connection lease makes each due connection run once.
const TickInterval = time.Minute

// Module provides the sync use cases to the application: the JSON routes, the
// pages, the module's part of the OpenAPI document, the Syncer contract and the
// scheduler. The store and the adapters onto other modules stay private.
var Module = fx.Module("sync",
	fx.Provide(
		fx.Private,
		fx.Annotate(store.New, fx.As(new(app.Repository))),
		newConnections,
		newLedger,
		newAuthorizer,
		newService,
	),
	fx.Provide(
		newContract,
		func(c contract) Syncer { return c },
		fx.Annotate(newAPIRoutes, fx.As(new(httpserver.Routes)), fx.ResultTags(`group:"routes"`)),
		fx.Annotate(newWebRoutes, fx.As(new(httpserver.Routes)), fx.ResultTags(`group:"routes"`)),
		fx.Annotate(api.Spec, fx.ResultTags(`group:"openapi"`)),
	),
	fx.Invoke(startScheduler),
)

func newConnections(c connections.Sync) app.Connections { return connectionsAdapter{c: c} }

func newLedger(a accounts.ProviderSync) app.Ledger { return ledgerAdapter{a: a} }

func newAuthorizer(a *authz.Authorizer) app.Authorizer { return a }

func newService(repo app.Repository, conns app.Connections, ledger app.Ledger, az app.Authorizer, log *slog.Logger) *app.Service {
	return app.NewService(app.Deps{Repo: repo, Connections: conns, Ledger: ledger, Authorizer: az, Log: log})
}

func newContract(svc *app.Service) contract { return contract{svc: svc} }

func newAPIRoutes(svc *app.Service) *api.Routes { return api.New(svc) }

func newWebRoutes(svc *app.Service) *web.Routes { return web.New(svc) }

// startScheduler runs the scheduler's tick under the application's lifecycle.
func startScheduler(lc fx.Lifecycle, log *slog.Logger, svc *app.Service) {
	periodic.Every(lc, log, "sync-scheduler", TickInterval, func(ctx context.Context) error {
		_, err := svc.Tick(ctx)
		return err
	})
}
