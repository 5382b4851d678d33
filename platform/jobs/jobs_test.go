package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var quiet = slog.New(slog.NewTextHandler(testLogs(), &slog.HandlerOptions{Level: slog.LevelDebug}))

func testLogs() io.Writer {
	if os.Getenv("KONTOR_TEST_LOGS") == "1" {
		return os.Stderr
	}
	return io.Discard
}

// syncArgs stands for a module's job: unique per connection while live.
type syncArgs struct {
	ConnectionID uuid.UUID `json:"connection_id" river:"unique"`
	Note         string    `json:"note"`
}

func (syncArgs) Kind() string { return "test_sync" }

func (syncArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{UniqueOpts: UniqueWhileLive()} }

// startClient builds and starts a client on db with reg's workers; it stops at the
// end of the test.
func startClient(t *testing.T, db *database.DB, shutdown time.Duration, regs ...Registration) *Client {
	t.Helper()
	reg := &Registry{workers: river.NewWorkers(), ids: map[string]bool{}}
	for _, r := range regs {
		if err := r(reg); err != nil {
			t.Fatal(err)
		}
	}
	c, err := newClient(db, clientOptions{Workers: 4, Log: quiet, ShutdownTimeout: shutdown, FetchPollInterval: 100 * time.Millisecond}, reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = c.Stop(ctx)
	})
	return c
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func jobState(t *testing.T, c *Client, id int64) rivertype.JobState {
	t.Helper()
	j, err := c.river.JobGet(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j.State
}

// TestRiverSchemaIsCurrent: after Kontor's migrator, River's own migrator finds
// nothing to apply, so the committed SQL files are River's full schema.
func TestRiverSchemaIsCurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		var res *rivermigrate.ValidateResult
		var err error
		if db.Dialect == database.Postgres {
			m, merr := rivermigrate.New(riverdatabasesql.New(db.DB.DB), nil)
			if merr != nil {
				t.Fatal(merr)
			}
			res, err = m.Validate(context.Background(), nil)
		} else {
			m, merr := rivermigrate.New(riversqlite.New(db.DB.DB), nil)
			if merr != nil {
				t.Fatal(merr)
			}
			res, err = m.Validate(context.Background(), nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK {
			t.Fatalf("River's migrator still has work after Kontor's: %v", res.Messages)
		}
	})
}

// TestInsertTxGoesWithTheTransaction: a job enqueued in a rolled-back transaction
// never exists; one enqueued in a committed transaction runs.
func TestInsertTxGoesWithTheTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE probe (id INTEGER PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		var ran atomic.Int32
		c := startClient(t, db, 5*time.Second, func(r *Registry) error {
			AddWorkFunc(r, func(ctx context.Context, job *river.Job[syncArgs]) error {
				ran.Add(1)
				return nil
			})
			return nil
		})
		boom := errors.New("boom")
		var lost Inserted
		err := db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO probe (id) VALUES (1)"); err != nil {
				return err
			}
			var err error
			if lost, err = c.InsertTx(ctx, tx, syncArgs{ConnectionID: uuid.New()}, nil); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		if _, err := c.river.JobGet(ctx, lost.JobID); !errors.Is(err, river.ErrNotFound) {
			t.Fatalf("job of a rolled-back transaction: JobGet err = %v, want ErrNotFound", err)
		}
		var kept Inserted
		err = db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO probe (id) VALUES (2)"); err != nil {
				return err
			}
			var err error
			kept, err = c.InsertTx(ctx, tx, syncArgs{ConnectionID: uuid.New()}, nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the committed job to complete", func() bool { return jobState(t, c, kept.JobID) == rivertype.JobStateCompleted })
		if n := ran.Load(); n != 1 {
			t.Fatalf("worker ran %d times, want 1", n)
		}
		if _, err := c.InsertTx(ctx, db.DB, syncArgs{}, nil); err == nil {
			t.Fatal("InsertTx accepted a handle that is not a transaction")
		}
	})
}

// TestUniqueWhileLive: while a connection's job waits or runs, enqueuing it again
// returns the same job; once it has completed, a new one is accepted.
func TestUniqueWhileLive(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		release := make(chan struct{})
		started := make(chan int64, 4)
		c := startClient(t, db, 5*time.Second, func(r *Registry) error {
			AddWorkFunc(r, func(ctx context.Context, job *river.Job[syncArgs]) error {
				started <- job.ID
				<-release
				return nil
			})
			return nil
		})
		conn := uuid.New()
		first, err := c.Insert(ctx, syncArgs{ConnectionID: conn, Note: "manual"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if first.Duplicate {
			t.Fatal("first insert reported as duplicate")
		}
		// Waiting: the same connection (other non-unique fields) collapses.
		var again Inserted
		err = db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			again, err = c.InsertTx(ctx, tx, syncArgs{ConnectionID: conn, Note: "schedule"}, nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !again.Duplicate || again.JobID != first.JobID {
			t.Fatalf("second insert while waiting = %+v, want duplicate of job %d", again, first.JobID)
		}
		// Running: still one.
		if id := <-started; id != first.JobID {
			t.Fatalf("started job %d, want %d", id, first.JobID)
		}
		running, err := c.Insert(ctx, syncArgs{ConnectionID: conn}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !running.Duplicate || running.JobID != first.JobID {
			t.Fatalf("insert while running = %+v, want duplicate of job %d", running, first.JobID)
		}
		// Another connection is independent.
		other, err := c.Insert(ctx, syncArgs{ConnectionID: uuid.New()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if other.Duplicate {
			t.Fatal("a different connection's job was collapsed")
		}
		close(release)
		waitFor(t, "the first job to complete", func() bool { return jobState(t, c, first.JobID) == rivertype.JobStateCompleted })
		next, err := c.Insert(ctx, syncArgs{ConnectionID: conn}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if next.Duplicate || next.JobID == first.JobID {
			t.Fatalf("insert after completion = %+v, want a new job", next)
		}
	})
}

// TestPeriodicJobRunsOnTheLeader: a periodic job is inserted by the elected leader
// and runs, on both engines; on bun's old pgdriver the election failed and this
// never happened.
func TestPeriodicJobRunsOnTheLeader(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		var runs atomic.Int32
		startClient(t, db, 5*time.Second, func(r *Registry) error {
			AddWorkFunc(r, func(ctx context.Context, job *river.Job[JanitorArgs]) error {
				runs.Add(1)
				return nil
			})
			return r.AddPeriodic(Periodic{ID: "janitor", Interval: time.Second, Args: func() river.JobArgs { return JanitorArgs{} }, RunOnStart: true})
		})
		waitFor(t, "three runs of the periodic job", func() bool { return runs.Load() >= 3 })
	})
}

// TestRegistryRejectsBadPeriodicJobs covers the registration errors.
func TestRegistryRejectsBadPeriodicJobs(t *testing.T) {
	reg := &Registry{workers: river.NewWorkers(), ids: map[string]bool{}}
	args := func() river.JobArgs { return JanitorArgs{} }
	if err := reg.AddPeriodic(Periodic{ID: "x", Interval: 500 * time.Millisecond, Args: args}); err == nil {
		t.Fatal("an interval under a second accepted")
	}
	if err := reg.AddPeriodic(Periodic{Interval: time.Second, Args: args}); err == nil {
		t.Fatal("empty id accepted")
	}
	if err := reg.AddPeriodic(Periodic{ID: "x", Interval: time.Second, Args: args}); err != nil {
		t.Fatal(err)
	}
	if err := reg.AddPeriodic(Periodic{ID: "x", Interval: time.Second, Args: args}); err == nil {
		t.Fatal("duplicate id accepted")
	}
}

// TestStopWaitsForRunningJobs: Stop lets a running job finish; one that outlives
// the shutdown timeout has its context cancelled and Stop still returns.
func TestStopWaitsForRunningJobs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		started := make(chan struct{}, 1)
		release := make(chan struct{})
		var finished atomic.Bool
		c := startClient(t, db, time.Minute, func(r *Registry) error {
			AddWorkFunc(r, func(ctx context.Context, job *river.Job[syncArgs]) error {
				started <- struct{}{}
				<-release
				finished.Store(true)
				return nil
			})
			return nil
		})
		res, err := c.Insert(ctx, syncArgs{ConnectionID: uuid.New()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		<-started
		stopped := make(chan error, 1)
		go func() { stopped <- c.Stop(context.Background()) }()
		select {
		case err := <-stopped:
			t.Fatalf("Stop returned (%v) while a job was running", err)
		default:
		}
		close(release)
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		if !finished.Load() {
			t.Fatal("Stop returned before the running job finished")
		}
		var state string
		if err := db.QueryRowContext(ctx, "SELECT state FROM river_job WHERE id = ?", res.JobID).Scan(&state); err != nil {
			t.Fatal(err)
		}
		if state != string(rivertype.JobStateCompleted) {
			t.Fatalf("job state after a graceful stop = %s, want completed", state)
		}
	})
}

// TestStopCancelsJobsAfterTheShutdownTimeout: a job that ignores the stop has its
// context cancelled once the shutdown timeout passes.
func TestStopCancelsJobsAfterTheShutdownTimeout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		started := make(chan struct{}, 1)
		var cancelled atomic.Bool
		c := startClient(t, db, 200*time.Millisecond, func(r *Registry) error {
			AddWorkFunc(r, func(ctx context.Context, job *river.Job[syncArgs]) error {
				started <- struct{}{}
				<-ctx.Done()
				cancelled.Store(true)
				return ctx.Err()
			})
			return nil
		})
		if _, err := c.Insert(ctx, syncArgs{ConnectionID: uuid.New()}, nil); err != nil {
			t.Fatal(err)
		}
		<-started
		stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := c.Stop(stopCtx); err != nil {
			t.Fatal(err)
		}
		if !cancelled.Load() {
			t.Fatal("the running job's context was not cancelled after the shutdown timeout")
		}
	})
}

// TestDeclaredTimeoutSetsTheRescue: a worker's declared timeout moves River's
// rescue of stuck jobs from its default hour to a minute past it, and River
// accepts the configuration on both engines.
func TestDeclaredTimeoutSetsTheRescue(t *testing.T) {
	if got := RescueAfter(0); got != 0 {
		t.Fatalf("no declaration: %s, want River's default (0)", got)
	}
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		reg := &Registry{workers: river.NewWorkers(), ids: map[string]bool{}}
		reg.DeclareTimeout(5 * time.Minute)
		reg.DeclareTimeout(30 * time.Minute)
		reg.DeclareTimeout(time.Minute)
		if got := RescueAfter(reg.longest); got != 31*time.Minute {
			t.Fatalf("rescue after %s, want 31m (the longest timeout and a minute)", got)
		}
		AddWorkFunc(reg, func(context.Context, *river.Job[syncArgs]) error { return nil })
		if _, err := newClient(db, clientOptions{Workers: 1, Log: quiet, ShutdownTimeout: time.Second}, reg); err != nil {
			t.Fatal(err)
		}
	})
}
