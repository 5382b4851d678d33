package database_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestRunInTxCommitsAndRollsBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE tx_probe (id INTEGER PRIMARY KEY, note TEXT NOT NULL UNIQUE)"); err != nil {
			t.Fatal(err)
		}
		err := db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO tx_probe (id, note) VALUES (1, 'kept')")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err = db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO tx_probe (id, note) VALUES (2, 'lost')"); err != nil {
				return err
			}
			// A nested call joins the outer transaction and sees its write.
			return db.RunInTx(ctx, func(ctx context.Context, inner bun.IDB) error {
				var n int
				if err := db.Conn(ctx).QueryRowContext(ctx, "SELECT count(*) FROM tx_probe").Scan(&n); err != nil {
					return err
				}
				if n != 2 {
					t.Errorf("nested transaction sees %d rows, want 2", n)
				}
				return boom
			})
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM tx_probe").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("rows after rollback = %d, want 1", n)
		}
		_, err = db.ExecContext(ctx, "INSERT INTO tx_probe (id, note) VALUES (3, 'kept')")
		if !database.IsUniqueViolation(err) {
			t.Fatalf("duplicate insert: IsUniqueViolation(%v) = false", err)
		}
	})
}

func TestMigrateDownAndUpAgain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		m, err := database.NewMigrator(db)
		if err != nil {
			t.Fatal(err)
		}
		down, err := m.Down(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(down) == 0 {
			t.Fatal("Down rolled back nothing")
		}
		up, err := m.Up(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(up) != len(down) {
			t.Fatalf("Up applied %d migrations, Down rolled back %d", len(up), len(down))
		}
	})
}

// TestPostgresScansTimesInUTC holds pgx to pgdriver's behaviour: a timestamptz comes
// back in UTC even when the process's local zone is not UTC, so JSON times end in "Z".
func TestPostgresScansTimesInUTC(t *testing.T) {
	db := dbtest.NewPostgres(t)
	saved := time.Local
	time.Local = time.FixedZone("UTC+5", 5*3600)
	t.Cleanup(func() { time.Local = saved })
	// A fresh connection picks up the codec registered after connect.
	db.SetMaxIdleConns(0)
	var got time.Time
	if err := db.QueryRowContext(context.Background(), "SELECT '2026-11-28 12:00:00+00'::timestamptz").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got.Location() != time.UTC {
		t.Fatalf("timestamptz scanned in %v, want UTC", got.Location())
	}
	if want := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	var row struct {
		bun.BaseModel `bun:"table:t"`
		At            time.Time `bun:"at"`
	}
	if err := db.NewSelect().ColumnExpr("'2026-11-28 12:00:00+02'::timestamptz AS at").Scan(context.Background(), &row); err != nil {
		t.Fatal(err)
	}
	if row.At.Location() != time.UTC || row.At.Hour() != 10 {
		t.Fatalf("bun scanned %v, want 10:00 UTC", row.At)
	}
}

// TestAfterCommitRunsOnlyAfterTheOutermostCommit: functions registered inside a
// transaction run once it commits (after a nested RunInTx, only with the outer
// commit) and never when it rolls back; outside a transaction they run at once.
func TestAfterCommitRunsOnlyAfterTheOutermostCommit(t *testing.T) {
	db := dbtest.NewSQLite(t)
	ctx := context.Background()
	var ran []string
	err := db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		database.AfterCommit(ctx, func() { ran = append(ran, "outer") })
		err := db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			database.AfterCommit(ctx, func() { ran = append(ran, "inner") })
			return nil
		})
		if len(ran) != 0 {
			t.Errorf("ran %v before the outer commit", ran)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ran) != 2 || ran[0] != "outer" || ran[1] != "inner" {
		t.Fatalf("after commit ran %v, want [outer inner]", ran)
	}
	ran = nil
	boom := errors.New("boom")
	_ = db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		database.AfterCommit(ctx, func() { ran = append(ran, "rolled back") })
		return boom
	})
	if len(ran) != 0 {
		t.Fatalf("ran %v after a rollback", ran)
	}
	database.AfterCommit(ctx, func() { ran = append(ran, "now") })
	if len(ran) != 1 {
		t.Fatal("outside a transaction AfterCommit did not run at once")
	}
}
