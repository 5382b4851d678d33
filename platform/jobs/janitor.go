package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// JanitorKind is the kind of the janitor job.
const JanitorKind = "kontor_janitor"

// JanitorArgs are the arguments of the janitor, a periodic job that does nothing but
// log: its completed runs in river_job show that a leader is elected and inserts
// periodic jobs (which River's maintenance also depends on).
type JanitorArgs struct{}

// Kind implements river.JobArgs.
func (JanitorArgs) Kind() string { return JanitorKind }

// janitor registers the janitor's worker and schedule (every interval, default an
// hour, and once when a leader is elected).
func janitor(interval time.Duration, log *slog.Logger) Registration {
	if interval <= 0 {
		interval = time.Hour
	}
	interval = max(interval, time.Second)
	return func(r *Registry) error {
		AddWorkFunc(r, func(ctx context.Context, job *river.Job[JanitorArgs]) error {
			log.DebugContext(ctx, "janitor ran", "job_id", job.ID)
			return nil
		})
		return r.AddPeriodic(Periodic{
			ID:         JanitorKind,
			Interval:   interval,
			Args:       func() river.JobArgs { return JanitorArgs{} },
			RunOnStart: true,
		})
	}
}
