package sync

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/kontor-app/kontor/modules/sync/internal/app"
	"github.com/kontor-app/kontor/modules/sync/internal/domain"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/events"
	"github.com/kontor-app/kontor/platform/jobs"
)

// TickInterval is how often the scheduler's periodic job looks for due
// connections; River's elected leader inserts it, so it runs once per interval
// across instances.
const TickInterval = time.Minute

// TickArgs are the arguments of the scheduler's periodic job.
type TickArgs struct{}

// Kind implements river.JobArgs.
func (TickArgs) Kind() string { return "sync_tick" }

// ConnectionArgs are the arguments of a connection's sync job; one job per
// connection while one waits or runs.
type ConnectionArgs struct {
	ConnectionID uuid.UUID `json:"connection_id" river:"unique"`
	Trigger      string    `json:"trigger"`
}

// Kind implements river.JobArgs.
func (ConnectionArgs) Kind() string { return "sync_connection" }

// InsertOpts makes the job unique per connection while it lives.
func (ConnectionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: jobs.UniqueWhileLive(), MaxAttempts: 5}
}

// queue gives the use cases River's client, which is built after them (its
// workers call the use cases), hence set once the application is assembled.
type queue struct {
	client *jobs.Client
}

var _ app.Queue = (*queue)(nil)

// EnqueueSync inserts a connection's sync job unless one is already live.
func (q *queue) EnqueueSync(ctx context.Context, connectionID uuid.UUID, trigger domain.Trigger) (bool, error) {
	res, err := q.client.Insert(ctx, ConnectionArgs{ConnectionID: connectionID, Trigger: string(trigger)}, nil)
	return res.Duplicate, err
}

// registration adds the scheduler's jobs: the tick every TickInterval, and the
// sync job.
func registration(svc *app.Service) jobs.Registration {
	return func(r *jobs.Registry) error {
		jobs.AddWorkFunc(r, func(ctx context.Context, _ *river.Job[TickArgs]) error {
			_, err := svc.Tick(ctx)
			return err
		})
		jobs.AddWorker[ConnectionArgs](r, &syncWorker{svc: svc})
		// A sync killed with its process is run again 31 minutes later at most,
		// not after River's default hour (its lease lapsed long before).
		r.DeclareTimeout(JobTimeout)
		return r.AddPeriodic(jobs.Periodic{ID: "sync_tick", Interval: TickInterval, Args: func() river.JobArgs { return TickArgs{} }, RunOnStart: true})
	}
}

// JobTimeout bounds one sync job. River's default (a minute) would cancel a
// first sync of a large history midway; pages applied before stay applied.
const JobTimeout = 30 * time.Minute

// syncWorker runs a connection's sync job.
type syncWorker struct {
	river.WorkerDefaults[ConnectionArgs]
	svc *app.Service
}

// Work runs the scheduled sync.
func (w *syncWorker) Work(ctx context.Context, job *river.Job[ConnectionArgs]) error {
	return w.svc.RunQueued(ctx, job.Args.ConnectionID, domain.Trigger(job.Args.Trigger))
}

// Timeout is JobTimeout.
func (w *syncWorker) Timeout(*river.Job[ConnectionArgs]) time.Duration { return JobTimeout }

// publisher writes the sync's events to the platform's event log in the
// transaction ctx carries.
type publisher struct {
	bus *events.Bus
	db  *database.DB
}

var _ app.Publisher = publisher{}

// Publish appends e to the event log.
func (p publisher) Publish(ctx context.Context, e app.Event) error {
	_, err := p.bus.Publish(ctx, p.db.Conn(ctx), events.Event{Type: events.Type(e.Type), UserID: e.UserID, ConnectionID: e.ConnectionID,
		AccountID: e.AccountID, SyncID: e.SyncID, Data: e.Data})
	return err
}
