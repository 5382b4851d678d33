package connections

import (
	"strings"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/connections/internal/api"
	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/modules/connections/internal/ofx"
	"github.com/kontor-app/kontor/modules/connections/internal/sandboxbank"
	"github.com/kontor-app/kontor/modules/connections/internal/simplefin"
	"github.com/kontor-app/kontor/modules/connections/internal/store"
	"github.com/kontor-app/kontor/modules/connections/internal/web"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/events"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/outbound"
	"github.com/kontor-app/kontor/platform/secretbox"
)

// CallbackPath is the page route providers redirect to after a consent; the
// OAuth redirect_uri is KONTOR_BASE_URL followed by it.
const CallbackPath = "/connections/callback"

// Module provides the connections use cases to the application: the JSON routes, the pages,
// the module's part of the OpenAPI document, and the Sync contract. The store, the
// provider adapters and the adapters onto other modules stay private. It needs the
// platform's *outbound.Client (outbound.Module) for every provider call.
var Module = fx.Module("connections",
	fx.Provide(
		fx.Private,
		fx.Annotate(store.New, fx.As(new(app.Repository))),
		newAuthorizer,
		newAccounts,
		newSealer,
		newRegistry,
		newPublisher,
		newRunRecorder,
		newService,
	),
	fx.Provide(
		newContract,
		func(c contract) Sync { return c },
		fx.Annotate(newAPIRoutes, fx.As(new(httpserver.Routes)), fx.ResultTags(`group:"routes"`)),
		fx.Annotate(newWebRoutes, fx.As(new(httpserver.Routes)), fx.ResultTags(`group:"routes"`)),
		fx.Annotate(api.Spec, fx.ResultTags(`group:"openapi"`)),
	),
)

func newAuthorizer(a *authz.Authorizer) app.Authorizer { return a }

func newAccounts(s accounts.ProviderSync, d accounts.Directory) app.Accounts {
	return accountsAdapter{sync: s, dir: d}
}

// newSealer seals credentials with the platform's secretbox under the server's
// secret key.
func newSealer(cfg config.Config) (app.Sealer, error) { return secretbox.NewFromConfig(cfg) }

// newRegistry lists the provider adapters this build offers: OFX files and
// SimpleFIN Bridge always, and the sandbox bank when it is served (KONTOR_SANDBOX), reached over HTTP at
// KONTOR_SANDBOX_URL through the outbound client like any bank. The client is the
// application's one *outbound.Client (platform/outbound.Module): the module builds
// no HTTP client of its own.
func newRegistry(cfg config.Config, client *outbound.Client) (app.Registry, error) {
	files, bridge := ofx.New(), simplefin.New(simplefin.Options{Client: client})
	reg := app.Registry{files.Info().Slug: files, bridge.Info().Slug: bridge}
	if cfg.Sandbox {
		bank, err := sandboxbank.New(sandboxbank.Config{BaseURL: cfg.SandboxURL, HTTPClient: client.Client})
		if err != nil {
			return nil, err
		}
		reg[bank.Info().Slug] = bank
	}
	return reg, nil
}

// newPublisher announces status changes on the platform's event bus.
func newPublisher(bus *events.Bus, db *database.DB) app.Publisher {
	return eventPublisher{bus: bus, db: db}
}

// recorderIn takes the ImportRecorder another module (sync) may provide.
type recorderIn struct {
	fx.In
	Recorder ImportRecorder `optional:"true"`
}

// newRunRecorder records imports as sync runs through the ImportRecorder the
// sync module provides, or not at all without one.
func newRunRecorder(in recorderIn) app.RunRecorder {
	if in.Recorder == nil {
		return app.NoRunRecorder{}
	}
	return in.Recorder
}

func newService(repo app.Repository, sealer app.Sealer, az app.Authorizer, acc app.Accounts, reg app.Registry, pub app.Publisher, runs app.RunRecorder, cfg config.Config) *app.Service {
	return app.NewService(app.Deps{
		Repo: repo, Sealer: sealer, Authorizer: az, Accounts: acc, Providers: reg, Publisher: pub, Runs: runs,
		RedirectURI: strings.TrimSuffix(cfg.BaseURL, "/") + CallbackPath,
	})
}

func newContract(svc *app.Service) contract { return contract{svc: svc} }

func newAPIRoutes(svc *app.Service) *api.Routes { return api.New(svc) }

func newWebRoutes(svc *app.Service) *web.Routes { return web.New(svc) }
