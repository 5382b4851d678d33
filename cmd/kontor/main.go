// Command kontor serves Kontor, manages its database migrations, backs it up and
// restores it, copies an SQLite database into PostgreSQL, and prints its version.
//
//	kontor [serve] [flags]          serve the web app and the API (the default)
//	kontor migrate up|down|status   apply, roll back or list migrations
//	kontor backup FILE              write a consistent snapshot of the database
//	kontor restore FILE             restore a snapshot into an empty data folder
//	kontor copy --from sqlite:PATH --to postgres://...   move from SQLite to PostgreSQL
//	kontor user reset-password EMAIL   print a one-time password-reset link
//	kontor healthcheck              exit 0 when the server on KONTOR_ADDR answers /healthz
//	kontor version                  print the version
//
// Settings come from KONTOR_* environment variables or the matching flags; run
// `kontor serve -h` to list them. Any setting may instead be read from a file named by
// the same variable with _FILE appended (KONTOR_SECRET_KEY_FILE=/run/secrets/kontor).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/cmd/kontor/bootstrap"
	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/web"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, stderr)
	case "migrate":
		return migrate(args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "kontor", currentVersion())
		return 0
	case "healthcheck":
		return healthcheck(args, stdout, stderr)
	case "backup":
		return backup(args, stdout, stderr)
	case "restore":
		return restore(args, os.Stdin, stdout, stderr)
	case "copy":
		return copyDatabase(args, stdout, stderr)
	case "user":
		return user(args, stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "kontor: unknown command %q\n", cmd)
		usage(stderr)
		return 2
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  kontor [serve] [flags]          serve the web app and the API (default)
  kontor migrate up|down|status   apply, roll back or list database migrations
  kontor backup FILE              write a consistent snapshot of the database, even while it serves
  kontor restore FILE             restore a snapshot into an empty data folder
  kontor copy --from sqlite:PATH --to postgres://...
                                  copy every table of an SQLite database into an empty PostgreSQL one
  kontor user reset-password EMAIL
                                  print a one-time link (valid 1 hour) that sets a new password
  kontor healthcheck              exit 0 if the server on KONTOR_ADDR answers /healthz (for HEALTHCHECK)
  kontor version                  print the version
Settings: KONTOR_ADDR, KONTOR_DATABASE_URL, KONTOR_REDIS_URL, KONTOR_SECRET_KEY,
KONTOR_ENV, KONTOR_BASE_URL, KONTOR_DATA_DIR, KONTOR_LOG_LEVEL, KONTOR_LOG_FORMAT
(or the flags --addr, --database-url, ...; see README.md). Each may also be read
from a file: KONTOR_SECRET_KEY_FILE=/run/secrets/kontor_secret_key.
`)
}

// loadConfig reads settings and reports a bad one in a single line.
func loadConfig(args []string, stderr io.Writer) (config.Config, bool) {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		usage(stderr)
		return config.Config{}, false
	}
	getenv, err := fileEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "kontor: %v\n", err)
		return config.Config{}, false
	}
	cfg, err := config.Load(args, getenv)
	if err == nil {
		err = cfg.EnsureSecretKey()
	}
	if err != nil {
		fmt.Fprintf(stderr, "kontor: %v\n", err)
		return config.Config{}, false
	}
	return cfg, true
}

func serve(args []string, stderr io.Writer) int {
	cfg, ok := loadConfig(args, stderr)
	if !ok {
		return 2
	}
	web.Version = currentVersion()
	app := fx.New(bootstrap.Options(cfg, stderr), fx.StopTimeout(cfg.ShutdownTimeout+5*time.Second))
	if err := app.Err(); err != nil {
		fmt.Fprintf(stderr, "kontor: %v\n", err)
		return 1
	}
	startCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		fmt.Fprintf(stderr, "kontor: %v\n", err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	stopCtx, cancelStop := context.WithTimeout(context.Background(), cfg.ShutdownTimeout+5*time.Second)
	defer cancelStop()
	if err := app.Stop(stopCtx); err != nil {
		fmt.Fprintf(stderr, "kontor: shutdown: %v\n", err)
		return 1
	}
	return 0
}

func migrate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() < 1 {
		fmt.Fprintln(stderr, "kontor: migrate needs one of up, down, status")
		return 2
	}
	action, rest := fs.Arg(0), fs.Args()[1:]
	cfg, ok := loadConfig(rest, stderr)
	if !ok {
		return 2
	}
	db, err := database.Open(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "kontor: %v\n", err)
		return 1
	}
	defer db.Close()
	m, err := database.NewMigrator(db)
	if err != nil {
		fmt.Fprintf(stderr, "kontor: %v\n", err)
		return 1
	}
	ctx := context.Background()
	switch action {
	case "up":
		applied, err := m.Up(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "kontor: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "applied %d migrations\n", len(applied))
		for _, name := range applied {
			fmt.Fprintln(stdout, "  ", name)
		}
	case "down":
		done, err := m.Down(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "kontor: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "rolled back %d migrations\n", len(done))
		for _, name := range done {
			fmt.Fprintln(stdout, "  ", name)
		}
	case "status":
		if err := m.Status(ctx, stdout); err != nil {
			fmt.Fprintf(stderr, "kontor: %v\n", err)
			return 1
		}
	default:
		fmt.Fprintf(stderr, "kontor: unknown migrate action %q (want up, down or status)\n", action)
		return 2
	}
	return 0
}
