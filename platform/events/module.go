package events

import (
	"context"
	_ "embed"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"go.uber.org/fx"

	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/jobs"
	"github.com/kontor-app/kontor/platform/openapi"
)

//go:embed openapi.json
var openapiJSON []byte

// Spec returns the event stream's part of the OpenAPI document.
func Spec() openapi.Spec { return openapi.Spec{Name: "events", JSON: openapiJSON} }

// PruneKind is the kind of the daily job that deletes events older than Retention.
const PruneKind = "events_prune"

// PruneArgs are the arguments of the prune job.
type PruneArgs struct{}

// Kind implements river.JobArgs.
func (PruneArgs) Kind() string { return PruneKind }

// pruneJob registers the prune worker and runs it daily on the leader.
func pruneJob(l *Log, log *slog.Logger) jobs.Registration {
	return func(r *jobs.Registry) error {
		jobs.AddWorkFunc(r, func(ctx context.Context, job *river.Job[PruneArgs]) error {
			n, err := l.Prune(ctx, time.Now().Add(-Retention))
			if err != nil {
				return err
			}
			if n > 0 {
				log.InfoContext(ctx, "event log pruned", "deleted", n)
			}
			return nil
		})
		return r.AddPeriodic(jobs.Periodic{ID: PruneKind, Interval: 24 * time.Hour, Args: func() river.JobArgs { return PruneArgs{} }})
	}
}

func newBus(db *database.DB, cfg config.Config, log *slog.Logger) *Bus {
	return NewBus(NewLog(db), log, cfg.Jobs.EventsPollInterval)
}

func newStream(bus *Bus, cfg config.Config, log *slog.Logger) *Stream {
	return NewStream(bus, cfg.Jobs.EventsHeartbeat, log)
}

// startBus ties the Bus to the lifecycle. It depends on the HTTP server so that its
// hooks are appended after the server's: fx stops in reverse order, so the Bus
// closes, and with it every open stream, before the server's graceful shutdown
// starts waiting for connections to finish.
func startBus(lc fx.Lifecycle, bus *Bus, _ *httpserver.Server) {
	lc.Append(fx.Hook{
		OnStart: bus.Start,
		OnStop:  func(context.Context) error { return bus.Close() },
	})
}

// Module provides the *Bus (Publish, Subscribe, Replay), GET /api/v1/events with its
// OpenAPI part, and the daily prune job.
var Module = fx.Module("events",
	fx.Provide(
		newBus,
		newStream,
		fx.Annotate(func(s *Stream) httpserver.Routes { return s }, fx.ResultTags(`group:"routes"`)),
		fx.Annotate(Spec, fx.ResultTags(`group:"openapi"`)),
		fx.Annotate(func(b *Bus, log *slog.Logger) jobs.Registration { return pruneJob(b.Log(), log) }, fx.ResultTags(`group:"jobs"`)),
	),
	fx.Invoke(startBus),
)
