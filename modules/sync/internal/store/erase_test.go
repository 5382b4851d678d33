package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/sync/internal/store"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// syncRows inserts a row in every sync table for a connection of user.
func syncRows(t *testing.T, db *database.DB, user, conn uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	stmts := []struct {
		q    string
		args []any
	}{
		{"INSERT INTO sync_leases (connection_id) VALUES (?)", []any{conn}},
		{"INSERT INTO sync_states (connection_id, updated_at) VALUES (?, ?)", []any{conn, now}},
		{"INSERT INTO sync_runs (id, connection_id, user_id, kind, trigger, status, started_at, stats, fence) VALUES (?, ?, ?, 'transactions', 'manual', 'succeeded', ?, '{}', 1)", []any{uuid.New(), conn, user, now}},
		{"INSERT INTO sync_accounts (connection_id, provider_account_id, account_id) VALUES (?, 'pa', ?)", []any{conn, uuid.New()}},
		{"INSERT INTO sync_provider_transactions (connection_id, provider_account_id, provider_id, canonical_id, pending, amount, booked_on, hash) VALUES (?, 'pa', 'p1', 'p1', FALSE, '1.00', ?, 'h')", []any{conn, now}},
		{"INSERT INTO sync_suggestions (id, connection_id, user_id, account_id, provider_account_id, posted_id, pending_id, status, created_at) VALUES (?, ?, ?, ?, 'pa', 'p1', 'p0', 'open', ?)", []any{uuid.New(), conn, user, uuid.New(), now}},
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s.q, s.args...); err != nil {
			t.Fatalf("%s: %v", s.q, err)
		}
	}
}

func connectionRows(t *testing.T, db *database.DB, conn uuid.UUID) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"sync_leases", "sync_states", "sync_runs", "sync_accounts", "sync_provider_transactions", "sync_suggestions"} {
		var n int
		if err := db.NewSelect().TableExpr(table).ColumnExpr("count(*)").Where("connection_id = ?", conn).Scan(context.Background(), &n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func TestEraseUserDeletesTheUsersSyncRowsOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ada, bob := uuid.New(), uuid.New()
		adaConn, bobConn := uuid.New(), uuid.New()
		syncRows(t, db, ada, adaConn)
		syncRows(t, db, bob, bobConn)

		if err := store.New(db).EraseUser(context.Background(), ada); err != nil {
			t.Fatal(err)
		}
		for table, n := range connectionRows(t, db, adaConn) {
			if n != 0 {
				t.Errorf("%s keeps %d rows of the erased user", table, n)
			}
		}
		for table, n := range connectionRows(t, db, bobConn) {
			if n != 1 {
				t.Errorf("%s has %d rows of the other user, want 1", table, n)
			}
		}
	})
}
