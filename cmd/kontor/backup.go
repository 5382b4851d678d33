package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
)

// splitFileArg takes the FILE argument of backup and restore, given first or last,
// from the settings flags around it.
func splitFileArg(args []string) (file string, rest []string, ok bool) {
	isFile := func(s string) bool { return s == "-" || !strings.HasPrefix(s, "-") }
	switch {
	case len(args) == 0:
		return "", nil, false
	case isFile(args[0]):
		return args[0], args[1:], true
	case isFile(args[len(args)-1]):
		return args[len(args)-1], args[:len(args)-1], true
	}
	return "", nil, false
}

// loadDatabaseSettings reads the settings that name the database. Backup, restore
// and copy sign nothing, so a production setup's missing secret does not stop them,
// and no development secret file is created.
func loadDatabaseSettings(args []string, stderr io.Writer) (config.Config, bool) {
	getenv, err := fileEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "kontor: %v\n", err)
		return config.Config{}, false
	}
	cfg, err := config.Load(args, func(name string) string {
		if v := getenv(name); v != "" || name != "KONTOR_SECRET_KEY" {
			return v
		}
		return "unused-by-this-command-0123456789abcdef"
	})
	if err != nil {
		fmt.Fprintf(stderr, "kontor: %v\n", err)
		return config.Config{}, false
	}
	return cfg, true
}

// backup writes a consistent snapshot of the configured database to FILE.
func backup(args []string, stdout, stderr io.Writer) int {
	file, rest, ok := splitFileArg(args)
	if !ok {
		fmt.Fprintln(stderr, "usage: kontor backup FILE|-   (- writes the snapshot to standard output; settings as for serve: KONTOR_DATA_DIR, KONTOR_DATABASE_URL or their flags)")
		return 2
	}
	cfg, ok := loadDatabaseSettings(rest, stderr)
	if !ok {
		return 2
	}
	ctx := context.Background()
	if cfg.IsPostgres() {
		if err := database.BackupPostgres(ctx, cfg.DatabaseURL, file, stderr); err != nil {
			fmt.Fprintf(stderr, "kontor backup: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "backup written with pg_dump: %s (restore with pg_restore --no-owner --dbname=URL %s)\n", file, file)
		return 0
	}
	toStdout := file == "-"
	if toStdout {
		// The snapshot goes through a temporary file (VACUUM INTO writes files),
		// then to standard output: docker exec kontor /kontor backup - > kontor.db
		dir, err := os.MkdirTemp("", "kontor-backup-")
		if err != nil {
			fmt.Fprintf(stderr, "kontor backup: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		file = filepath.Join(dir, "kontor.db")
	}
	report, err := database.BackupSQLite(ctx, cfg.SQLitePath(), file)
	if err != nil {
		fmt.Fprintf(stderr, "kontor backup: %v\n", err)
		return 1
	}
	info := stdout
	if toStdout {
		info = stderr
		if err := catFile(report.Path, stdout); err != nil {
			fmt.Fprintf(stderr, "kontor backup: write to standard output: %v\n", err)
			return 1
		}
		report.Path = "standard output"
	}
	fmt.Fprintf(info, "backup written: %s (%d bytes, %d migrations applied)\n", report.Path, report.Bytes, report.Migrations)
	printRows(info, report.Rows)
	return 0
}

func catFile(path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// restore puts a snapshot in place as the configured SQLite database, which must not
// exist yet.
func restore(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	file, rest, ok := splitFileArg(args)
	if !ok {
		fmt.Fprintln(stderr, "usage: kontor restore FILE|-   (- reads it from standard input; into the empty data folder KONTOR_DATA_DIR, or the SQLite file KONTOR_DATABASE_URL names)")
		return 2
	}
	cfg, ok := loadDatabaseSettings(rest, stderr)
	if !ok {
		return 2
	}
	if cfg.IsPostgres() {
		fmt.Fprintln(stderr, `kontor restore: KONTOR_DATABASE_URL is PostgreSQL, which restores a pg_dump file with pg_restore into an empty database:
  pg_restore --no-owner --dbname="postgres://USER:PASSWORD@HOST:5432/kontor" FILE
(with compose: docker compose exec -T postgres pg_restore --no-owner -U kontor -d kontor < FILE)`)
		return 1
	}
	shown := file
	if file == "-" {
		shown = "standard input"
		// docker run -i ... restore - < kontor.db: no bind mount, no file modes.
		dir := filepath.Dir(cfg.SQLitePath())
		if err := os.MkdirAll(dir, 0o700); err != nil {
			fmt.Fprintf(stderr, "kontor restore: %v\n", err)
			return 1
		}
		tmp, err := os.CreateTemp(dir, ".restore-stdin-*")
		if err != nil {
			fmt.Fprintf(stderr, "kontor restore: %v\n", err)
			return 1
		}
		defer os.Remove(tmp.Name())
		_, err = io.Copy(tmp, stdin)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintf(stderr, "kontor restore: read standard input: %v\n", err)
			return 1
		}
		file = tmp.Name()
	}
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "kontor restore: %s does not exist\n", file)
		return 1
	}
	report, err := database.RestoreSQLite(context.Background(), file, cfg.SQLitePath())
	if err != nil {
		fmt.Fprintf(stderr, "kontor restore: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "restored %s into %s (%d migrations applied; Kontor applies newer ones when it starts)\n", shown, report.Path, report.Migrations)
	printRows(stdout, report.Rows)
	return 0
}

func printRows(w io.Writer, rows map[string]int64) {
	names := make([]string, 0, len(rows))
	for n := range rows {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-28s %9d rows\n", n, rows[n])
	}
}
