package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/jobs"
)

// janitorRun is one janitor job in river_job.
type janitorRun struct {
	ID          int64     `bun:"id"`
	State       string    `bun:"state"`
	Attempt     int       `bun:"attempt"`
	ScheduledAt time.Time `bun:"scheduled_at"`
}

func janitorRuns(t *testing.T, db *database.DB) []janitorRun {
	t.Helper()
	var runs []janitorRun
	err := db.NewSelect().Table("river_job").Column("id", "state", "attempt", "scheduled_at").
		Where("kind = ?", jobs.JanitorKind).Order("id").Scan(context.Background(), &runs)
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func completedRuns(t *testing.T, db *database.DB) int {
	n := 0
	for _, r := range janitorRuns(t, db) {
		if r.State == "completed" {
			n++
		}
	}
	return n
}

func waitUntil(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPeriodicJobRunsOncePerPeriodAcrossInstances boots Kontor on PostgreSQL with the
// janitor every second: River elects a leader and the janitor really runs (on bun's
// old pgdriver the election failed and it never did). A second instance on the same
// database joins; with both running the janitor still runs at most once per period
// and one leader is recorded. When the first instance (the leader until then) stops,
// the second takes over and the janitor keeps running.
func TestPeriodicJobRunsOncePerPeriodAcrossInstances(t *testing.T) {
	const period = time.Second
	env := map[string]string{"KONTOR_JOB_JANITOR_INTERVAL": period.String()}
	a := harness.Start(t, harness.Options{Engine: harness.Postgres, Env: env})
	waitUntil(t, "the janitor to run on the first instance", 90*time.Second, func() bool { return completedRuns(t, a.DB) >= 1 })

	shared := map[string]string{"KONTOR_JOB_JANITOR_INTERVAL": period.String(), "KONTOR_DATABASE_URL": a.Config.DatabaseURL}
	b := harness.Start(t, harness.Options{Engine: harness.SQLite, Env: shared})
	if !b.Config.IsPostgres() {
		t.Fatal("second instance is not on PostgreSQL")
	}
	before := completedRuns(t, a.DB)
	waitUntil(t, "four more janitor runs with two instances", 90*time.Second, func() bool { return completedRuns(t, a.DB) >= before+4 })

	var leaders int
	if err := a.DB.NewSelect().Table("river_leader").ColumnExpr("count(*)").Scan(context.Background(), &leaders); err != nil {
		t.Fatal(err)
	}
	if leaders != 1 {
		t.Fatalf("river_leader has %d rows, want 1", leaders)
	}
	perPeriod := map[int64][]int64{}
	for _, r := range janitorRuns(t, a.DB) {
		if r.State == "completed" && r.Attempt != 1 {
			t.Errorf("janitor job %d completed on attempt %d, want 1", r.ID, r.Attempt)
		}
		bucket := r.ScheduledAt.UnixNano() / int64(period)
		perPeriod[bucket] = append(perPeriod[bucket], r.ID)
	}
	for bucket, ids := range perPeriod {
		if len(ids) > 1 {
			t.Errorf("janitor ran %d times in the period starting %s: jobs %v", len(ids), time.Unix(0, bucket*int64(period)).UTC(), ids)
		}
	}

	// The first instance led alone before the second started; stop it and the
	// second must be elected and keep the schedule.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	after := completedRuns(t, b.DB)
	waitUntil(t, "the janitor to run under the second instance", 90*time.Second, func() bool { return completedRuns(t, b.DB) >= after+2 })
}
