// Package jobs runs Kontor's background jobs on River (github.com/riverqueue/river,
// MPL-2.0, used unmodified) under the fx lifecycle, on the same *sql.DB as bun:
//
//   - SQLite: riverdriver/riversqlite. One process; River's leader is that process.
//   - PostgreSQL: riverdriver/riverdatabasesql over the pgx stdlib pool
//     (platform/database opens PostgreSQL through pgx for this reason: on bun's own
//     pgdriver River's leader election fails with "there is no parameter $2", so
//     periodic jobs and River's maintenance never run). The driver polls (no
//     LISTEN/NOTIFY): a new job is fetched within a second, a leader that died is
//     replaced within River's election interval (about 5 s plus its TTL).
//
// River's tables come from Kontor's migrator: migrations/{sqlite,postgres} hold
// River's own migration SQL, one file per River version, together with the rows
// rivermigrate keeps in river_migration (TestRiverMigrationsMatchRiver keeps them
// equal to what River ships).
//
// Modules add work through the "jobs" value group: a Registration adds workers
// (AddWorker) and periodic jobs (Registry.AddPeriodic). Jobs are enqueued with
// InsertTx inside the transaction that makes the change that needs them, so a
// change and its job commit or roll back together. UniqueWhileLive makes a job
// unique by its args while one is waiting or running.
//
// With several instances on one PostgreSQL database, each runs jobs, and River's
// elected leader alone inserts periodic jobs (once per period across the cluster)
// and runs the maintenance (rescuing stuck jobs, cleaning finished ones). River can
// run a job twice (its rescuer re-runs a job it believes stuck), so workers must be
// idempotent or fence their writes.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"
	"go.uber.org/fx"

	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
)

// Registration is what a module provides into the "jobs" value group to add its
// workers and periodic jobs before the client starts:
//
//	fx.Provide(fx.Annotate(func(d Deps) jobs.Registration {
//		return func(r *jobs.Registry) error {
//			jobs.AddWorker(r, &syncWorker{...})
//			return r.AddPeriodic(jobs.Periodic{ID: "sync_schedule", Interval: time.Minute, Args: ...})
//		}
//	}, fx.ResultTags(`group:"jobs"`)))
type Registration func(r *Registry) error

// Registry collects workers and periodic jobs while the client is built.
type Registry struct {
	workers  *river.Workers
	periodic []*river.PeriodicJob
	ids      map[string]bool
	// longest is the longest timeout a worker declared (DeclareTimeout).
	longest time.Duration
}

// DeclareTimeout tells the client that a worker's jobs may run for up to d (its
// Timeout). River's rescuer takes a job still "running" after RescueAfter(longest)
// to belong to a process that died, and runs it again; without a declaration that
// happens after River's default of an hour, during which a job unique while it
// lives (a connection's sync) blocks its successors.
func (r *Registry) DeclareTimeout(d time.Duration) {
	r.longest = max(r.longest, d)
}

// RescueAfter is how long a job may stay "running" before the rescuer runs it
// again: a minute past the longest declared timeout (a job that ran that long was
// cancelled by its own timeout already, so only a dead process leaves one behind).
// Zero means River's default.
func RescueAfter(longest time.Duration) time.Duration {
	if longest <= 0 {
		return 0
	}
	return longest + time.Minute
}

// AddWorker registers w for the job kind its args type names. Registering one kind
// twice panics (a programming error, found at start).
func AddWorker[T river.JobArgs](r *Registry, w river.Worker[T]) {
	river.AddWorker(r.workers, w)
}

// AddWorkFunc registers a plain function as the worker of T's kind.
func AddWorkFunc[T river.JobArgs](r *Registry, fn func(ctx context.Context, job *river.Job[T]) error) {
	river.AddWorker(r.workers, river.WorkFunc(fn))
}

// Periodic is a job the elected leader inserts every Interval.
type Periodic struct {
	// ID names the periodic job; unique among periodic jobs.
	ID string
	// Interval is the period, at least a second (River's ByPeriod granularity).
	Interval time.Duration
	// Args builds the job's arguments at each period. Its worker must be registered.
	Args func() river.JobArgs
	// RunOnStart inserts one at once when a leader is elected, then every Interval.
	RunOnStart bool
}

// AddPeriodic schedules p. Each insertion is unique within its period (River's
// UniqueOpts.ByPeriod), so a change of leader mid-period does not run it twice.
func (r *Registry) AddPeriodic(p Periodic) error {
	if p.ID == "" || p.Interval < time.Second || p.Args == nil {
		return fmt.Errorf("jobs: periodic job %q needs an ID, an Interval of at least a second and Args", p.ID)
	}
	if r.ids[p.ID] {
		return fmt.Errorf("jobs: periodic job %q added twice", p.ID)
	}
	r.ids[p.ID] = true
	interval := p.Interval
	r.periodic = append(r.periodic, river.NewPeriodicJob(
		river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			return p.Args(), &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: interval}}
		},
		&river.PeriodicJobOpts{ID: p.ID, RunOnStart: p.RunOnStart},
	))
	return nil
}

// UniqueWhileLive returns unique options that allow one job per args (the fields
// tagged `river:"unique"`, or all of them) while it is available, scheduled,
// pending, running or waiting to retry; once it completes, is cancelled or is
// discarded, the same args may be enqueued again. A second insert meanwhile returns
// the existing job with Inserted.Duplicate set.
func UniqueWhileLive() river.UniqueOpts {
	return river.UniqueOpts{
		ByArgs: true,
		ByState: []rivertype.JobState{
			rivertype.JobStateAvailable,
			rivertype.JobStatePending,
			rivertype.JobStateRetryable,
			rivertype.JobStateRunning,
			rivertype.JobStateScheduled,
		},
	}
}

// Inserted reports an insert.
type Inserted struct {
	// JobID is the job's id (the existing job's when Duplicate).
	JobID int64
	// Duplicate is true when a live job with the same unique key already existed
	// and nothing was inserted.
	Duplicate bool
}

// Client is the process's River client.
type Client struct {
	river   *river.Client[*sql.Tx]
	dialect database.Dialect
}

// River returns the underlying River client, for what this package does not wrap
// (listing or cancelling jobs, subscriptions in tests).
func (c *Client) River() *river.Client[*sql.Tx] { return c.river }

// Insert enqueues a job outside any transaction. opts may be nil; the args type's
// InsertOpts method, if any, applies first.
func (c *Client) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (Inserted, error) {
	res, err := c.river.Insert(ctx, args, opts)
	return inserted(res, err)
}

// InsertTx enqueues a job in tx, the transaction of the change that needs it: the
// job exists only if tx commits. tx must be a bun.Tx (what database.RunInTx hands
// its function is one); opts may be nil.
func (c *Client) InsertTx(ctx context.Context, tx bun.IDB, args river.JobArgs, opts *river.InsertOpts) (Inserted, error) {
	sqlTx, err := sqlTxOf(tx)
	if err != nil {
		return Inserted{}, err
	}
	res, err := c.river.InsertTx(ctx, sqlTx, args, opts)
	return inserted(res, err)
}

func sqlTxOf(db bun.IDB) (*sql.Tx, error) {
	switch tx := db.(type) {
	case bun.Tx:
		return tx.Tx, nil
	case *bun.Tx:
		return tx.Tx, nil
	default:
		return nil, fmt.Errorf("jobs: InsertTx needs a bun.Tx, got %T (enqueue inside database.RunInTx, or use Insert)", db)
	}
}

func inserted(res *rivertype.JobInsertResult, err error) (Inserted, error) {
	if err != nil {
		return Inserted{}, fmt.Errorf("enqueue job: %w", err)
	}
	return Inserted{JobID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate}, nil
}

// Params are the client's dependencies.
type Params struct {
	fx.In
	Config        config.Config
	Log           *slog.Logger
	DB            *database.DB
	Registrations []Registration `group:"jobs"`
	Lc            fx.Lifecycle
}

// New builds the client with every module's registrations and the janitor, starts
// it with the application and stops it before the database closes: Stop lets
// running jobs finish for up to the shutdown timeout, then cancels them.
func New(p Params) (*Client, error) {
	reg := &Registry{workers: river.NewWorkers(), ids: map[string]bool{}}
	for _, r := range append([]Registration{janitor(p.Config.Jobs.JanitorInterval, p.Log)}, p.Registrations...) {
		if err := r(reg); err != nil {
			return nil, err
		}
	}
	c, err := newClient(p.DB, clientOptions{
		Workers:         max(p.Config.Jobs.Workers, 1),
		Log:             p.Log,
		ShutdownTimeout: p.Config.ShutdownTimeout,
	}, reg)
	if err != nil {
		return nil, err
	}
	p.Lc.Append(fx.Hook{
		OnStart: func(context.Context) error { return c.Start() },
		OnStop:  c.Stop,
	})
	return c, nil
}

type clientOptions struct {
	Workers         int
	Log             *slog.Logger
	ShutdownTimeout time.Duration
	// FetchPollInterval overrides River's 1 s (tests).
	FetchPollInterval time.Duration
}

func newClient(db *database.DB, o clientOptions, reg *Registry) (*Client, error) {
	cfg := &river.Config{
		Logger:               o.Log.With("component", "river"),
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.Workers}},
		Workers:              reg.workers,
		PeriodicJobs:         reg.periodic,
		RescueStuckJobsAfter: RescueAfter(reg.longest),
		SoftStopTimeout:      o.ShutdownTimeout,
		FetchPollInterval:    o.FetchPollInterval,
		ErrorHandler:         &errorLogger{log: o.Log},
	}
	var (
		rc  *river.Client[*sql.Tx]
		err error
	)
	switch db.Dialect {
	case database.Postgres:
		rc, err = river.NewClient(riverdatabasesql.New(db.DB.DB), cfg)
	default:
		rc, err = river.NewClient(riversqlite.New(db.DB.DB), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("jobs: river client: %w", err)
	}
	return &Client{river: rc, dialect: db.Dialect}, nil
}

// Start starts fetching and running jobs. River keeps the context it is given for
// its whole life, so it gets one that only Stop ends, never the start hook's.
func (c *Client) Start() error {
	if err := c.river.Start(context.Background()); err != nil {
		return fmt.Errorf("jobs: start river: %w", err)
	}
	return nil
}

// Stop stops fetching, waits for running jobs (their contexts are cancelled after
// the shutdown timeout) and returns when River has stopped or ctx ends.
func (c *Client) Stop(ctx context.Context) error {
	if err := c.river.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("jobs: stop river: %w", err)
	}
	return nil
}

// errorLogger logs failed and panicking jobs; River retries them by its policy.
type errorLogger struct{ log *slog.Logger }

func (e *errorLogger) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	e.log.WarnContext(ctx, "job failed", "job_id", job.ID, "kind", job.Kind, "attempt", job.Attempt, "error", err.Error())
	return nil
}

func (e *errorLogger) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	e.log.ErrorContext(ctx, "job panicked", "job_id", job.ID, "kind", job.Kind, "attempt", job.Attempt, "panic", fmt.Sprint(panicVal), "trace", trace)
	return nil
}

// Module provides the *Client to the application.
var Module = fx.Module("jobs", fx.Provide(New))
