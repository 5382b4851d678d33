// Package periodic runs background chores (janitors, schedulers) on a fixed interval
// under the fx lifecycle: once at start, then every interval, stopped cleanly with the
// application.
package periodic

import (
	"context"
	"log/slog"
	"time"

	"go.uber.org/fx"
)

// Every runs fn at start and then every interval until the application stops. A failed
// run is logged and retried at the next tick; stopping waits for a run in progress.
func Every(lc fx.Lifecycle, log *slog.Logger, name string, interval time.Duration, fn func(ctx context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				defer close(done)
				loop(ctx, log, name, interval, fn)
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

func loop(ctx context.Context, log *slog.Logger, name string, interval time.Duration, fn func(ctx context.Context) error) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			log.ErrorContext(ctx, "periodic job failed", "job", name, "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
