// Package database opens Kontor's *bun.DB on SQLite (the pure-Go default) or on
// PostgreSQL, runs the embedded migrations, and offers RunInTx so that stores can
// compose several writes into one transaction.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/kontor-app/kontor/migrations"
	"github.com/kontor-app/kontor/platform/config"
)

// Dialect names the database engine in use.
type Dialect string

// The engines Kontor runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is Kontor's database handle.
type DB struct {
	*bun.DB
	Dialect Dialect
}

// Open connects to the database cfg selects. SQLite files get WAL, a busy timeout,
// foreign keys and IMMEDIATE transactions so that concurrent writers queue instead of
// failing with SQLITE_BUSY half-way through.
func Open(cfg config.Config) (*DB, error) {
	if cfg.IsPostgres() {
		return OpenPostgres(cfg.DatabaseURL)
	}
	return OpenSQLite(cfg.SQLitePath())
}

// OpenSQLite opens (creating if needed) the SQLite database file at path.
func OpenSQLite(path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(30000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	sqldb.SetMaxOpenConns(max(4, runtime.NumCPU()*2))
	sqldb.SetMaxIdleConns(max(4, runtime.NumCPU()*2))
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{DB: bun.NewDB(sqldb, sqlitedialect.New()), Dialect: SQLite}
	if err := db.PingContext(context.Background()); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return db, nil
}

// OpenPostgres connects to the PostgreSQL server at url through pgx's database/sql
// driver (pgx/v5/stdlib) under bun's pgdialect. pgx, unlike bun's own pgdriver, runs
// River's parameterised queries (its leader election among them) correctly. Bun
// formats its queries with the values inlined, so they carry no arguments and pgx
// sends them with the simple protocol in one round trip; queries with arguments
// (River's) use pgx's cached prepared statements. Timestamps are scanned in UTC
// whatever the process's time zone, as pgdriver did.
func OpenPostgres(url string) (*DB, error) {
	sqldb, err := OpenPostgresSQL(url)
	if err != nil {
		return nil, err
	}
	sqldb.SetMaxOpenConns(max(10, runtime.NumCPU()*8))
	sqldb.SetMaxIdleConns(max(10, runtime.NumCPU()*8))
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{DB: bun.NewDB(sqldb, pgdialect.New()), Dialect: Postgres}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return db, nil
}

// OpenPostgresSQL returns a *sql.DB on the pgx stdlib driver for url, configured as
// OpenPostgres configures Kontor's pool (UTC timestamps, connect timeout) but with
// database/sql's default pool limits. It does not connect yet.
func OpenPostgresSQL(url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres url: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	return sql.OpenDB(stdlib.GetConnector(*cfg, stdlib.OptionAfterConnect(scanTimesInUTC))), nil
}

// scanTimesInUTC makes pgx return timestamptz values in UTC rather than time.Local,
// so the JSON Kontor writes does not depend on the server's time zone.
func scanTimesInUTC(_ context.Context, conn *pgx.Conn) error {
	tm := conn.TypeMap()
	tm.RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID, Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
	return nil
}

type txKey struct{}

// txState is what RunInTx keeps in the context: the transaction and the functions
// to run once it has committed.
type txState struct {
	tx    bun.Tx
	mu    sync.Mutex
	after []func()
}

// RunInTx runs fn in a transaction, committing when fn returns nil. A call nested in
// another RunInTx joins the outer transaction, so use cases can compose stores.
// Functions registered with AfterCommit run after the outermost commit.
func (db *DB) RunInTx(ctx context.Context, fn func(ctx context.Context, tx bun.IDB) error) error {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		return fn(ctx, st.tx)
	}
	var st *txState
	err := db.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		st = &txState{tx: tx}
		return fn(context.WithValue(ctx, txKey{}, st), tx)
	})
	if err == nil && st != nil {
		st.mu.Lock()
		after := st.after
		st.mu.Unlock()
		for _, f := range after {
			f()
		}
	}
	return err
}

// AfterCommit runs fn after the transaction ctx carries (from RunInTx) commits, and
// never when it rolls back. Without such a transaction in ctx it runs fn at once.
// fn runs on the committing goroutine: keep it short and non-blocking.
func AfterCommit(ctx context.Context, fn func()) {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		st.mu.Lock()
		st.after = append(st.after, fn)
		st.mu.Unlock()
		return
	}
	fn()
}

// Conn returns the transaction ctx carries, or the pool when there is none.
func (db *DB) Conn(ctx context.Context) bun.IDB {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		return st.tx
	}
	return db.DB
}

// IsUniqueViolation reports whether err is a unique-constraint failure on either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "constraint failed: UNIQUE")
}

// IsNoRows reports whether err means a query found nothing.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// MigrationFiles returns the embedded migrations for the dialect.
func (db *DB) MigrationFiles() fs.FS {
	if db.Dialect == Postgres {
		return migrations.Postgres()
	}
	return migrations.SQLite()
}
