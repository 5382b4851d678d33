package idempotency

import (
	"context"
	"log/slog"
	"time"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/periodic"
)

// JanitorInterval is how often expired keys are deleted.
const JanitorInterval = time.Hour

// Module provides the *Store (KONTOR_IDEMPOTENCY_LEASE sets its lease) and runs the janitor that deletes expired keys, once at
// start and then every JanitorInterval, until the application stops.
var Module = fx.Module("idempotency",
	fx.Provide(newModuleStore),
	fx.Invoke(startJanitor),
)

// newModuleStore is the application's store: leases as configured, and response
// bodies sealed under the server's secret key.
func newModuleStore(db *database.DB, cfg config.Config) *Store {
	return NewStore(db, WithLease(cfg.IdempotencyLease), WithSecret(cfg.SecretKey, cfg.PreviousSecretKeys...))
}

func startJanitor(lc fx.Lifecycle, log *slog.Logger, s *Store) {
	periodic.Every(lc, log, "idempotency-janitor", JanitorInterval, func(ctx context.Context) error {
		n, err := s.DeleteExpired(ctx, time.Now())
		if n > 0 {
			log.DebugContext(ctx, "idempotency: expired keys deleted", "count", n)
		}
		return err
	})
}
