package database

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun/migrate"
)

// migrationLockWait bounds how long a starting instance waits for another one to
// finish migrating.
var migrationLockWait = 2 * time.Minute

// lockMigrations takes the migration lock, waiting while another instance holds it:
// bun's Lock fails at once when the lock row exists, so two instances started
// together (docker compose up, a rolling deploy) would otherwise see one of them die.
func lockMigrations(ctx context.Context, m *migrate.Migrator) error {
	deadline := time.Now().Add(migrationLockWait)
	delay := 50 * time.Millisecond
	for {
		err := m.Lock(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w; another instance has held the migration lock for %s (if none is running, a crashed one left it: DELETE FROM bun_migration_locks)", err, migrationLockWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

// migrationAdvisoryKey is the PostgreSQL advisory lock that serializes migrating
// instances ("kontor" in ASCII).
const migrationAdvisoryKey = 0x6b6f6e746f72

// exclusive serializes migrations across processes on PostgreSQL with a session
// advisory lock, held on one connection until release: unlike bun's lock row it
// waits instead of failing, covers creating the bookkeeping tables (concurrent
// CREATE TABLE IF NOT EXISTS can fail on PostgreSQL), and is released by the server
// if the process dies. SQLite serializes writers itself; there it does nothing.
func exclusive(ctx context.Context, db *DB) (release func(), err error) {
	if db == nil || db.Dialect != Postgres {
		return func() {}, nil
	}
	conn, err := db.DB.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	lockCtx, cancel := context.WithTimeout(ctx, migrationLockWait)
	defer cancel()
	if _, err := conn.ExecContext(lockCtx, fmt.Sprintf("SELECT pg_advisory_lock(%d)", migrationAdvisoryKey)); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("wait for other instances to finish migrating: %w", err)
	}
	return func() {
		_, _ = conn.ExecContext(context.Background(), fmt.Sprintf("SELECT pg_advisory_unlock(%d)", migrationAdvisoryKey))
		_ = conn.Close()
	}, nil
}
