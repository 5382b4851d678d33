// Package bootstrap composes Kontor: the platform and every module in one fx
// application. main and the end-to-end harness both build the app from here, so tests
// run exactly what ships.
package bootstrap

import (
	"context"
	"io"
	"log/slog"
	"os"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/connections"
	"github.com/kontor-app/kontor/modules/identity"
	"github.com/kontor-app/kontor/modules/rates"
	"github.com/kontor-app/kontor/modules/sandbox"
	"github.com/kontor-app/kontor/modules/statements"
	kontorsync "github.com/kontor-app/kontor/modules/sync"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/events"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/idempotency"
	"github.com/kontor-app/kontor/platform/jobs"
	"github.com/kontor-app/kontor/platform/logging"
	"github.com/kontor-app/kontor/platform/openapi"
	"github.com/kontor-app/kontor/platform/outbound"
	"github.com/kontor-app/kontor/platform/ratelimit"
	"github.com/kontor-app/kontor/web"
	"github.com/kontor-app/kontor/web/apidocs"
)

// Options returns the whole application for cfg. Migrations are applied on start.
func Options(cfg config.Config, logOut io.Writer) fx.Option {
	if logOut == nil {
		logOut = os.Stderr
	}
	return fx.Options(
		fx.Supply(cfg),
		fx.Provide(func(lc fx.Lifecycle) *slog.Logger { return logging.NewBuffered(lc, cfg, logOut) }),
		fx.WithLogger(func(log *slog.Logger) fxevent.Logger {
			l := &fxevent.SlogLogger{Logger: log}
			l.UseLogLevel(slog.LevelDebug)
			return l
		}),
		fx.Provide(openDatabase),
		authz.Module,
		ratelimit.Module,
		idempotency.Module,
		openapi.Module,
		httpserver.Module,
		identity.Module,
		accounts.Module,
		statements.Module,
		rates.Module,
		sandbox.Module,
		connections.Module,
		jobs.Module,
		events.Module,
		kontorsync.Module,
		outbound.Module,
		web.Module,
		apidocs.Module,
		fx.Invoke(func(*httpserver.Server) {}),
		fx.Invoke(func(*jobs.Client) {}),
	)
}

// openDatabase opens the database, applies pending migrations and closes it on stop.
func openDatabase(lc fx.Lifecycle, cfg config.Config, log *slog.Logger) (*database.DB, error) {
	db, err := database.Open(cfg)
	if err != nil {
		return nil, err
	}
	m, err := database.NewMigrator(db)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	applied, err := m.Up(context.Background())
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("migrations applied", "count", len(applied), "migrations", applied)
	}
	lc.Append(fx.StopHook(db.Close))
	return db, nil
}
