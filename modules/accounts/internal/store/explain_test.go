package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/store"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

// TestListQueriesUseIndexes asks each engine for the plan of every list query,
// first pages and pages deep in the cursor: each must walk an index rather than
// scan and sort the table. PostgreSQL is told to avoid sequential scans, because on
// the empty tables of a test it would rightly prefer them; the question here is
// whether a usable index exists.
func TestListQueriesUseIndexes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		st := store.New(db)
		user := uuid.New()
		after := &app.KeysetPosition{Value: "5", ID: uuid.New()}
		var queries []string
		for _, s := range []app.AccountSort{{Field: "sort_order"}, {Field: "name", Desc: true}, {Field: "balance"}, {Field: "created_at", Desc: true}} {
			q := app.AccountQuery{AccountFilter: app.AccountFilter{UserID: user}, Sort: s, Limit: 50}
			queries = append(queries, st.ListQueryForTest(q, true), st.ListQueryForTest(q, false))
			switch s.Field {
			case "balance":
				after.Value = "12.50"
			case "created_at":
				after.Value = time.Now().UTC().Format(time.RFC3339Nano)
			case "name":
				after.Value = "m"
			}
			q.After = after
			queries = append(queries, st.ListQueryForTest(q, true), st.ListQueryForTest(q, false))
		}
		deep := &app.KeysetPosition{Value: time.Now().UTC().Format(time.RFC3339Nano), ID: uuid.New()}
		queries = append(queries,
			st.TransactionsQueryForTest(app.TransactionQuery{TransactionFilter: app.TransactionFilter{UserID: user, AccountIDs: []uuid.UUID{uuid.New()}}, Limit: 50}),
			st.TransactionsQueryForTest(app.TransactionQuery{TransactionFilter: app.TransactionFilter{UserID: user, AccountIDs: []uuid.UUID{uuid.New()}}, Limit: 50, After: deep}),
			st.TransactionsQueryForTest(app.TransactionQuery{TransactionFilter: app.TransactionFilter{UserID: user}, Limit: 50, After: deep}),
		)
		for _, sql := range queries {
			plan := explain(t, db, sql)
			if db.Dialect == database.SQLite {
				if !strings.Contains(plan, "USING INDEX") || strings.Contains(plan, "USE TEMP B-TREE") {
					t.Errorf("no index walk for\n%s\nplan:\n%s", sql, plan)
				}
				continue
			}
			if !strings.Contains(plan, "Index") || strings.Contains(plan, "Sort") {
				t.Errorf("no index walk for\n%s\nplan:\n%s", sql, plan)
			}
		}
	})
}

func explain(t *testing.T, db *database.DB, sql string) string {
	t.Helper()
	ctx := context.Background()
	prefix := "EXPLAIN QUERY PLAN "
	if db.Dialect == database.Postgres {
		prefix = "EXPLAIN "
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		rows, err := tx.QueryContext(ctx, prefix+sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, line)
		}
		return strings.Join(lines, "\n")
	}
	rows, err := db.QueryContext(ctx, prefix+sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}
