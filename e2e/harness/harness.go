// Package harness boots the real Kontor application, the same fx graph main runs, on
// 127.0.0.1:0 against a fresh database, and gives tests an HTTP client for it. End-to-end
// suites and module handler tests both use it, so they exercise what ships.
package harness

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/cmd/kontor/bootstrap"
	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/httpserver"
)

// Engine chooses the database an Instance runs on.
type Engine int

// The engines.
const (
	// SQLite runs on a fresh embedded SQLite file (the default).
	SQLite Engine = iota
	// Postgres runs on a fresh database in the test binary's PostgreSQL container;
	// the test is skipped without Docker, and fails instead when CI=true.
	Postgres
	// Auto prefers PostgreSQL and falls back to SQLite, saying so, when Docker is
	// missing outside CI. The e2e suite uses it.
	Auto
)

// Options configure an Instance.
type Options struct {
	Engine Engine
	// RateLimits turns the rate-limit policies on; they are off by default so tests
	// that register many users from one IP are not throttled.
	RateLimits bool
	// Env holds extra KONTOR_* settings.
	Env map[string]string
	// Logs, when set, receives the application's logs (default: discarded unless
	// KONTOR_TEST_LOGS=1).
	Logs io.Writer
}

// Instance is a running Kontor.
type Instance struct {
	// BaseURL is http://127.0.0.1:<port>.
	BaseURL string
	// Config is the configuration the instance runs with.
	Config config.Config
	// DB is the instance's database, for assertions a client cannot make.
	DB *database.DB
	// Engine is the engine actually in use.
	Engine Engine

	app *fx.App
}

// Main runs the tests and stops the shared PostgreSQL container; call it from TestMain.
func Main(m *testing.M) { dbtest.Main(m) }

// Start boots Kontor for t and stops it when t ends.
func Start(t testing.TB, opts Options) *Instance {
	t.Helper()
	inst := &Instance{Engine: opts.Engine}
	env := map[string]string{
		"KONTOR_ADDR":       "127.0.0.1:0",
		"KONTOR_ENV":        "development",
		"KONTOR_SECRET_KEY": "test-secret-key-0123456789abcdef0123456789abcdef",
		"KONTOR_DATA_DIR":   t.TempDir(),
		"KONTOR_LOG_LEVEL":  "warn",
	}
	switch opts.Engine {
	case Postgres:
		env["KONTOR_DATABASE_URL"] = dbtest.NewPostgresURL(t)
	case Auto:
		if url, ok := postgresIfAvailable(t); ok {
			env["KONTOR_DATABASE_URL"] = url
			inst.Engine = Postgres
		} else {
			inst.Engine = SQLite
		}
	}
	if !opts.RateLimits {
		env["KONTOR_RATE_LIMIT_DISABLED"] = "true"
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("harness config: %v", err)
	}
	inst.Config = cfg
	logs := opts.Logs
	if logs == nil {
		logs = io.Discard
		if os.Getenv("KONTOR_TEST_LOGS") == "1" {
			logs = os.Stderr
		}
	}
	var srv *httpserver.Server
	app := fx.New(bootstrap.Options(cfg, logs), fx.NopLogger, fx.Populate(&srv, &inst.DB))
	if err := app.Err(); err != nil {
		t.Fatalf("harness: build app: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatalf("harness: start app: %v", err)
	}
	inst.app = app
	inst.BaseURL = "http://" + srv.Addr()
	t.Cleanup(func() {
		// Stopping waits for in-flight requests, River's running jobs and open event
		// streams; on a loaded 2-core machine that has taken over 30 s.
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		if err := app.Stop(ctx); err != nil {
			t.Errorf("harness: stop app: %v", err)
		}
	})
	return inst
}

// Stop stops the instance before the test ends (e.g. to test graceful shutdown).
func (i *Instance) Stop(ctx context.Context) error { return i.app.Stop(ctx) }

// postgresIfAvailable returns a fresh PostgreSQL database URL, or false (with a log
// line) when Docker is missing outside CI; in CI it fails the test instead.
func postgresIfAvailable(t testing.TB) (url string, ok bool) {
	t.Helper()
	if dbtest.InCI() {
		return dbtest.NewPostgresURL(t), true
	}
	probe := &skipCatcher{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != errSkipped {
				panic(r)
			}
		}()
		url = dbtest.NewPostgresURL(probe)
	}()
	if probe.skipped {
		t.Logf("e2e: no Docker engine here, so this suite runs on embedded SQLite (%s); CI runs it on PostgreSQL", strings.TrimSpace(probe.reason))
		return "", false
	}
	return url, true
}
