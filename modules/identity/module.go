package identity

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/modules/identity/internal/api"
	"github.com/kontor-app/kontor/modules/identity/internal/app"
	"github.com/kontor-app/kontor/modules/identity/internal/store"
	"github.com/kontor-app/kontor/modules/identity/internal/web"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/events"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/periodic"
	"github.com/kontor-app/kontor/platform/userdata"
)

// Module provides the identity use cases to the application: the Authenticator the
// HTTP server authenticates every request with, the Directory other modules look
// users up in, the JSON and HTML routes, and the module's part of the OpenAPI
// document. The store and the credential adapters stay private to the module.
var Module = fx.Module("identity",
	fx.Provide(
		fx.Private,
		fx.Annotate(store.New, fx.As(new(app.Repository))),
		fx.Annotate(newHasher, fx.As(new(app.PasswordHasher))),
		fx.Annotate(newTokenIssuer, fx.As(new(app.TokenIssuer))),
		fx.Annotate(newClock, fx.As(new(app.Clock))),
		newAuthorizer,
		newService,
	),
	fx.Provide(
		fx.Annotate(asAuthenticator, fx.As(new(authn.Authenticator))),
		newDirectory,
		fx.Annotate(newAPIRoutes, fx.As(new(httpserver.Routes)), fx.ResultTags(`group:"routes"`)),
		fx.Annotate(newWebRoutes, fx.As(new(httpserver.Routes)), fx.ResultTags(`group:"routes"`)),
		fx.Annotate(api.Spec, fx.ResultTags(`group:"openapi"`)),
	),
	fx.Invoke(startJanitor, followRevocations),
)

// PurgeInterval is how often expired sessions and refresh tokens are deleted.
const PurgeInterval = time.Hour

func startJanitor(lc fx.Lifecycle, log *slog.Logger, svc *app.Service) {
	periodic.Every(lc, log, "identity-purge", PurgeInterval, func(ctx context.Context) error {
		_, err := svc.PurgeExpired(ctx)
		return err
	})
}

func newHasher() *app.Argon2Hasher { return app.NewArgon2Hasher(app.DefaultArgon2Params) }

func newTokenIssuer(cfg config.Config) *app.JWTIssuer { return app.NewJWTIssuer(cfg.SecretKey) }

func newClock() app.SystemClock { return app.SystemClock{} }

func newAuthorizer(a *authz.Authorizer) app.Authorizer { return a }

func asAuthenticator(svc *app.Service) *app.Service { return svc }

// serviceIn is what the identity use cases are built from: their ports, and the
// other modules' parts of a person's data export and of an account's deletion.
type serviceIn struct {
	fx.In

	Repo      app.Repository
	Hasher    app.PasswordHasher
	Tokens    app.TokenIssuer
	Authz     app.Authorizer
	Clock     app.Clock
	DB        *database.DB
	Bus       *events.Bus
	Log       *slog.Logger
	Exporters []userdata.Exporter `group:"user_exporters"`
	Erasers   []userdata.Eraser   `group:"user_erasers"`
}

// newService builds the use cases; identity's own files (profile, API keys) come
// first in an export.
func newService(in serviceIn) *app.Service {
	svc := app.NewService(in.Repo, in.Hasher, in.Tokens, in.Authz, in.Clock)
	exporters := append([]app.Exporter{api.NewExporter(svc)}, in.Exporters...)
	erasers := append([]app.Eraser{userdata.NewPlatformEraser(in.DB)}, in.Erasers...)
	return svc.WithExporters(exporters...).WithErasers(erasers...).WithAnnouncer(revocationAnnouncer{bus: in.Bus, db: in.DB, log: in.Log})
}

func newAPIRoutes(svc *app.Service, log *slog.Logger) *api.Routes { return api.New(svc, log) }

// newWebRoutes marks the session cookie Secure when the instance is served over
// HTTPS, where a browser would otherwise send it over plain HTTP too.
func newWebRoutes(svc *app.Service, cfg config.Config, log *slog.Logger) *web.Routes {
	return web.New(svc, strings.HasPrefix(cfg.BaseURL, "https://"), log)
}
