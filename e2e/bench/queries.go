package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/platform/database"
)

// QueryCounter is a bun query hook that counts every statement the application
// runs and the time spent in them, and can record their SQL. Add it to the
// application's *database.DB before the load starts.
type QueryCounter struct {
	n     atomic.Int64
	nanos atomic.Int64

	mu        sync.Mutex
	recording bool
	recorded  []string
}

var _ bun.QueryHook = (*QueryCounter)(nil)

// BeforeQuery does nothing; bun times the query itself.
func (q *QueryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

// AfterQuery counts the query and records its SQL while recording.
func (q *QueryCounter) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	q.n.Add(1)
	q.nanos.Add(int64(time.Since(e.StartTime)))
	q.mu.Lock()
	if q.recording {
		q.recorded = append(q.recorded, e.Query)
	}
	q.mu.Unlock()
}

// Count returns the number of queries so far and the time spent in them.
func (q *QueryCounter) Count() (int64, time.Duration) {
	return q.n.Load(), time.Duration(q.nanos.Load())
}

// Record runs fn and returns the SQL of every query run meanwhile, in order.
func (q *QueryCounter) Record(fn func()) []string {
	q.mu.Lock()
	q.recording, q.recorded = true, nil
	q.mu.Unlock()
	fn()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.recording = false
	return q.recorded
}

// Explain returns the plan of query on the seeded data: EXPLAIN (ANALYZE, BUFFERS)
// on PostgreSQL, which runs it, and EXPLAIN QUERY PLAN on SQLite.
func Explain(ctx context.Context, db *database.DB, query string) (string, error) {
	return explain(ctx, db, query, false)
}

// ExplainWithoutSeqScan is Explain on PostgreSQL with sequential and bitmap scans
// priced out (enable_seqscan and enable_bitmapscan off, for this query only): where
// the planner chose a Seq Scan, it shows the plain index plan it turned down and
// what that would have cost.
func ExplainWithoutSeqScan(ctx context.Context, db *database.DB, query string) (string, error) {
	return explain(ctx, db, query, true)
}

func explain(ctx context.Context, db *database.DB, query string, noSeqScan bool) (string, error) {
	if db.Dialect == database.Postgres {
		tx, err := db.DB.DB.BeginTx(ctx, nil)
		if err != nil {
			return "", err
		}
		defer tx.Rollback() //nolint:errcheck // read only
		if noSeqScan {
			if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off"); err != nil {
				return "", err
			}
		}
		rows, err := tx.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+query)
		if err != nil {
			return "", err
		}
		var lines []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				rows.Close()
				return "", err
			}
			lines = append(lines, line)
		}
		return strings.Join(lines, "\n"), closeRows(rows)
	}
	rows, err := db.DB.DB.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query)
	if err != nil {
		return "", err
	}
	var lines []string
	depth := map[int]int{}
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			rows.Close()
			return "", err
		}
		depth[id] = depth[parent] + 1
		lines = append(lines, fmt.Sprintf("%s%s", strings.Repeat("  ", depth[id]-1), detail))
	}
	return strings.Join(lines, "\n"), closeRows(rows)
}

// UsesIndex reports whether a plan walks an index for its table access and sorts
// nothing: on PostgreSQL no Seq Scan and no Sort node, on SQLite no SCAN of a table
// without an index and no temporary B-tree.
func UsesIndex(dialect database.Dialect, plan string) bool {
	if dialect == database.Postgres {
		return strings.Contains(plan, "Index") && !strings.Contains(plan, "Seq Scan") && !strings.Contains(plan, "Sort")
	}
	for _, line := range strings.Split(plan, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "INDEX") {
			return false
		}
	}
	return strings.Contains(plan, "INDEX") && !strings.Contains(plan, "TEMP B-TREE")
}
