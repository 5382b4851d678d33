package sync

import (
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/fx"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/connections"
	"github.com/kontor-app/kontor/modules/sync/internal/api"
	"github.com/kontor-app/kontor/modules/sync/internal/app"
	"github.com/kontor-app/kontor/modules/sync/internal/store"
	"github.com/kontor-app/kontor/modules/sync/internal/web"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/events"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/jobs"
)

// Module provides the sync use cases to the application: the JSON routes, the
// pages, the module's part of the OpenAPI document, the Syncer contract and the
// scheduler's River jobs. The store and the adapters onto other modules stay private.
var Module = fx.Module("sync",
	fx.Provide(
		fx.Private,
		fx.Annotate(store.New, fx.As(new(app.Repository))),
		newConnections,
		newLedger,
		newAuthorizer,
		newQueue,
		newPublisher,
		newService,
	),
	fx.Provide(
		newContract,
		func(c contract) Syncer { return c },
		func(c contract) Health { return c },
		newImportRecorder,
		fx.Annotate(newAPIRoutes, fx.As(new(httpserver.Routes)), fx.ResultTags(`group:"routes"`)),
		fx.Annotate(newWebRoutes, fx.As(new(httpserver.Routes)), fx.ResultTags(`group:"routes"`)),
		fx.Annotate(api.Spec, fx.ResultTags(`group:"openapi"`)),
		fx.Annotate(registration, fx.ResultTags(`group:"jobs"`)),
	),
	fx.Invoke(func(q *queue, c *jobs.Client) { q.client = c }),
)

func init() {
	// The drift event joins the platform's event types (API.md lists the rest).
	events.Register(events.Type(app.EventDriftDetected))
}

func newConnections(c connections.Sync) app.Connections { return connectionsAdapter{c: c} }

func newLedger(a accounts.ProviderSync, l accounts.Ledger) app.Ledger {
	return ledgerAdapter{a: a, l: l}
}

func newAuthorizer(a *authz.Authorizer) app.Authorizer { return a }

func newQueue() *queue { return &queue{} }

func newPublisher(bus *events.Bus, db *database.DB) app.Publisher { return publisher{bus: bus, db: db} }

func newService(repo app.Repository, conns app.Connections, ledger app.Ledger, az app.Authorizer, q *queue, pub app.Publisher, log *slog.Logger) *app.Service {
	return app.NewService(app.Deps{Repo: repo, Connections: conns, Ledger: ledger, Authorizer: az, Queue: q, Publisher: pub, Log: log})
}

func newContract(svc *app.Service) contract { return contract{svc: svc} }

func newAPIRoutes(svc *app.Service) *api.Routes { return api.New(svc) }

func newWebRoutes(svc *app.Service, stream *events.Stream) *web.Routes {
	var h fiber.Handler
	if stream != nil {
		h = stream.Handle
	}
	return web.New(svc, h)
}

// newImportRecorder records statement imports for the connections module. It
// is built from the store and the event log alone, not from the use cases
// (which depend on the connections module), so the graph has no cycle.
func newImportRecorder(repo app.Repository, pub app.Publisher, log *slog.Logger) connections.ImportRecorder {
	return importRecorder{svc: app.NewService(app.Deps{Repo: repo, Publisher: pub, Log: log})}
}
