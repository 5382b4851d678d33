package idempotency

import (
	"context"
	"log/slog"
	"time"

	"go.uber.org/fx"
)

// JanitorInterval is how often expired keys are deleted.
const JanitorInterval = time.Hour

// Module provides the *Store and runs the janitor that deletes expired keys, once at
// start and then every JanitorInterval, until the application stops.
var Module = fx.Module("idempotency",
	fx.Provide(NewStore),
	fx.Invoke(startJanitor),
)

func startJanitor(lc fx.Lifecycle, s *Store) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				defer close(done)
				s.sweep(ctx, JanitorInterval, time.Now)
			}()
			return nil
		},
		OnStop: func(stop context.Context) error {
			cancel()
			select {
			case <-done:
				return nil
			case <-stop.Done():
				return stop.Err()
			}
		},
	})
}

// sweep deletes expired keys now and every interval until ctx ends.
func (s *Store) sweep(ctx context.Context, interval time.Duration, now func() time.Time) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		n, err := s.DeleteExpired(ctx, now())
		switch {
		case err != nil && ctx.Err() == nil:
			slog.ErrorContext(ctx, "idempotency: expired keys could not be deleted", "error", err.Error())
		case n > 0:
			slog.DebugContext(ctx, "idempotency: expired keys deleted", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
