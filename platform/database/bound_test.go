package database_test

import (
	"context"
	"errors"
	"testing"

	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

type boundProbe struct {
	ID   int64  `bun:"id"`
	Note string `bun:"note"`
}

// TestScanBoundBindsItsArguments: the arguments travel as parameters (a value full
// of quotes and placeholders reaches the database as it is), the rows scan like
// bun's Scan, and inside RunInTx the query sees the transaction's own writes.
func TestScanBoundBindsItsArguments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE bound_probe (id INTEGER PRIMARY KEY, note TEXT NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		tricky := `it's "?" $1 -- not SQL`
		if _, err := db.NewInsert().Model(&[]boundProbe{{1, "one"}, {2, tricky}, {3, "three"}}).ModelTableExpr("bound_probe").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		query := "SELECT id, note FROM bound_probe WHERE note = ? OR id = ? ORDER BY id"
		if db.Dialect == database.Postgres {
			query = "SELECT id, note FROM bound_probe WHERE note = $1 OR id = $2 ORDER BY id"
		}
		var rows []boundProbe
		if err := db.ScanBound(ctx, &rows, query, tricky, 3); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0] != (boundProbe{2, tricky}) || rows[1] != (boundProbe{3, "three"}) {
			t.Fatalf("rows %+v", rows)
		}
		done := errors.New("rolled back")
		err := db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO bound_probe (id, note) VALUES (4, 'in the transaction')"); err != nil {
				return err
			}
			var inside []boundProbe
			if err := db.ScanBound(ctx, &inside, query, "in the transaction", 0); err != nil {
				return err
			}
			if len(inside) != 1 || inside[0].ID != 4 {
				t.Errorf("inside the transaction: %+v", inside)
			}
			return done
		})
		if !errors.Is(err, done) {
			t.Fatal(err)
		}
		if err := db.ScanBound(ctx, &rows, query, "in the transaction", 0); err != nil || len(rows) != 0 {
			t.Fatalf("after the rollback: %+v %v", rows, err)
		}
	})
}
