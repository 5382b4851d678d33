// Package dbtest gives tests real databases: a fresh migrated SQLite file, and a fresh
// migrated PostgreSQL database cloned from a template inside one testcontainers
// PostgreSQL per test binary. Without Docker the PostgreSQL half is skipped with a
// message, except when CI=true, where a missing engine fails the test.
package dbtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"

	"github.com/kontor-app/kontor/platform/database"
)

// PostgresImage is the image tests start, from KONTOR_TEST_POSTGRES_IMAGE.
func PostgresImage() string {
	if v := os.Getenv("KONTOR_TEST_POSTGRES_IMAGE"); v != "" {
		return v
	}
	return "postgres:16-alpine"
}

// InCI reports whether the tests run in CI, where nothing may be skipped.
func InCI() bool { return os.Getenv("CI") == "true" }

var (
	pgOnce      sync.Once
	pgContainer *tcpostgres.PostgresContainer
	pgBaseURL   string
	pgErr       error
	pgSeq       atomic.Int64
	pgTemplated sync.Once
	pgTplErr    error
)

// Main runs the package's tests and then stops the PostgreSQL container, if one was
// started (Ryuk, the usual reaper, cannot run here). Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if pgContainer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = pgContainer.Terminate(ctx)
		cancel()
	}
	os.Exit(code)
}

// PostgresServer starts (once per test binary) a PostgreSQL container and returns a URL
// of its admin database. It skips the test when Docker is missing outside CI.
func PostgresServer(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		pgContainer, pgErr = tcpostgres.Run(ctx, PostgresImage(),
			tcpostgres.WithDatabase("kontor"),
			tcpostgres.WithUsername("kontor"),
			tcpostgres.WithPassword("kontor"),
			tcpostgres.BasicWaitStrategies(),
			testcontainers.WithCmdArgs("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300"),
		)
		if pgErr != nil {
			return
		}
		pgBaseURL, pgErr = pgContainer.ConnectionString(ctx, "sslmode=disable")
	})
	if pgErr != nil {
		if InCI() {
			t.Fatalf("PostgreSQL container could not start (required when CI=true): %v", pgErr)
		}
		t.Skipf("PostgreSQL tests skipped: no Docker engine here (%v); CI runs them", firstLine(pgErr))
	}
	return pgBaseURL
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func withDatabase(url, name string) string {
	// The container URL ends in /kontor?sslmode=disable.
	i := strings.LastIndex(url, "/")
	rest := url[i+1:]
	q := ""
	if j := strings.IndexByte(rest, '?'); j >= 0 {
		q = rest[j:]
	}
	return url[:i+1] + name + q
}

// NewPostgresURL creates a fresh, migrated PostgreSQL database and returns its URL.
func NewPostgresURL(t testing.TB) string {
	t.Helper()
	base := PostgresServer(t)
	pgTemplated.Do(func() {
		admin, err := database.OpenPostgres(base)
		if err != nil {
			pgTplErr = err
			return
		}
		defer admin.Close()
		ctx := context.Background()
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE kontor_template"); err != nil {
			pgTplErr = err
			return
		}
		tpl, err := database.OpenPostgres(withDatabase(base, "kontor_template"))
		if err != nil {
			pgTplErr = err
			return
		}
		defer tpl.Close()
		pgTplErr = migrateUp(tpl)
	})
	if pgTplErr != nil {
		t.Fatalf("prepare PostgreSQL template: %v", pgTplErr)
	}
	name := fmt.Sprintf("kontor_test_%d_%d", os.Getpid(), pgSeq.Add(1))
	admin, err := database.OpenPostgres(base)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(context.Background(), "CREATE DATABASE "+name+" TEMPLATE kontor_template"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return withDatabase(base, name)
}

// NewPostgres returns a fresh, migrated PostgreSQL database closed at the end of t.
func NewPostgres(t testing.TB) *database.DB {
	t.Helper()
	db, err := database.OpenPostgres(NewPostgresURL(t))
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// NewSQLitePath returns the path of a fresh SQLite file in t's temp folder.
func NewSQLitePath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "kontor.db")
}

// NewSQLite returns a fresh, migrated SQLite database closed at the end of t.
func NewSQLite(t testing.TB) *database.DB {
	t.Helper()
	db, err := database.OpenSQLite(NewSQLitePath(t))
	if err != nil {
		t.Fatalf("open SQLite: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := migrateUp(db); err != nil {
		t.Fatalf("migrate SQLite: %v", err)
	}
	return db
}

func migrateUp(db *database.DB) error {
	m, err := database.NewMigrator(db)
	if err != nil {
		return err
	}
	_, err = m.Up(context.Background())
	return err
}

// Each runs fn as a subtest against a fresh SQLite and a fresh PostgreSQL database, so
// one store suite holds both dialects to the same behaviour.
func Each(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, NewSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, NewPostgres(t)) })
}
