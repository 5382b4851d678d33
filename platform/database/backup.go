package database

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/uptrace/bun/migrate"
)

// BackupReport describes a snapshot written by BackupSQLite.
type BackupReport struct {
	// Path is the snapshot file.
	Path string
	// Bytes is its size.
	Bytes int64
	// Rows counts the rows of each table in the snapshot.
	Rows map[string]int64
	// Migrations is the number of migrations applied in the snapshot.
	Migrations int
}

// ErrPgDumpMissing is returned by BackupPostgres when pg_dump is not installed.
var ErrPgDumpMissing = errors.New(`PostgreSQL is backed up with pg_dump, and pg_dump is not installed here (the Kontor image does not carry it). Run it where PostgreSQL's client tools are, for example:
  docker compose exec -T postgres pg_dump --format=custom --username=kontor kontor > kontor.dump
or, from any machine with the client tools:
  pg_dump --format=custom --file=kontor.dump "postgres://USER:PASSWORD@HOST:5432/kontor"
and restore it into an empty database with: pg_restore --no-owner --dbname="postgres://..." kontor.dump`)

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// BackupSQLite writes a consistent snapshot of the SQLite database at src to the new
// file dst with VACUUM INTO, which reads one transaction's view of the database, so it
// is safe while Kontor serves and writes. It refuses to overwrite dst, writes through
// a temporary file renamed into place, and checks the result before reporting it.
func BackupSQLite(ctx context.Context, src, dst string) (BackupReport, error) {
	if _, err := os.Stat(src); err != nil {
		return BackupReport{}, fmt.Errorf("database %s: %w", src, err)
	}
	if _, err := os.Lstat(dst); err == nil {
		return BackupReport{}, fmt.Errorf("%s already exists; a backup never overwrites a file, choose a new name", dst)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return BackupReport{}, err
	}
	abs, err := filepath.Abs(dst)
	if err != nil {
		return BackupReport{}, err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return BackupReport{}, fmt.Errorf("create the backup's folder: %w", err)
	}
	tmp := abs + ".partial"
	_ = os.Remove(tmp)
	defer os.Remove(tmp)

	db, err := openSQLiteReader(src)
	if err != nil {
		return BackupReport{}, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return BackupReport{}, fmt.Errorf("VACUUM INTO %s: %w", tmp, err)
	}
	// The snapshot holds everything the database does: readable by its owner only.
	_ = os.Chmod(tmp, 0o600)
	if err := syncFile(tmp); err != nil {
		return BackupReport{}, err
	}
	report, err := inspectSQLite(ctx, tmp)
	if err != nil {
		return BackupReport{}, fmt.Errorf("the snapshot does not read back: %w", err)
	}
	if err := os.Link(tmp, abs); err != nil {
		// A file that appeared meanwhile is not overwritten; hard links fail on some
		// file systems, where a rename after a second check has to do.
		if errors.Is(err, fs.ErrExist) {
			return BackupReport{}, fmt.Errorf("%s already exists; a backup never overwrites a file", dst)
		}
		if _, serr := os.Lstat(abs); serr == nil {
			return BackupReport{}, fmt.Errorf("%s already exists; a backup never overwrites a file", dst)
		}
		if err := os.Rename(tmp, abs); err != nil {
			return BackupReport{}, err
		}
	}
	report.Path = abs
	return report, nil
}

// BackupPostgres runs pg_dump in its custom format into dst, or returns
// ErrPgDumpMissing when pg_dump is not on PATH.
func BackupPostgres(ctx context.Context, url, dst string, stderr io.Writer) error {
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		return ErrPgDumpMissing
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s already exists; a backup never overwrites a file, choose a new name", dst)
	}
	cmd := exec.CommandContext(ctx, bin, "--format=custom", "--no-owner", "--file="+dst, "--dbname="+url)
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		_ = os.Remove(dst)
		return fmt.Errorf("pg_dump failed: %w", err)
	}
	return nil
}

// RestoreSQLite puts the snapshot file src in place as the SQLite database dst. It
// refuses when dst already holds a database (a live or merely existing one is never
// overwritten: restore into an empty data folder), when src is not a readable Kontor
// SQLite database, and when src was made by a newer Kontor whose migrations this one
// does not know. Older snapshots are fine: Kontor applies the missing migrations when
// it starts.
func RestoreSQLite(ctx context.Context, src, dst string) (BackupReport, error) {
	for _, p := range []string{dst, dst + "-wal", dst + "-journal"} {
		if st, err := os.Stat(p); err == nil && st.Size() > 0 {
			return BackupReport{}, fmt.Errorf("%s already exists and is not empty; restore refuses to overwrite a database (it may be live). Stop Kontor, move the data folder's files aside, then restore into the empty folder", p)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return BackupReport{}, err
		}
	}
	if err := checkSQLiteHeader(src); err != nil {
		return BackupReport{}, err
	}
	report, err := inspectSQLite(ctx, src)
	if err != nil {
		return BackupReport{}, fmt.Errorf("%s is not a usable Kontor backup: %w", src, err)
	}
	if err := checkKnownMigrations(ctx, src, migrationNames(SQLite)); err != nil {
		return BackupReport{}, err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return BackupReport{}, fmt.Errorf("create the data folder: %w", err)
	}
	tmp := dst + ".restoring"
	defer os.Remove(tmp)
	if err := copyFile(src, tmp); err != nil {
		return BackupReport{}, err
	}
	// Empty leftovers of an earlier, never-written database would confuse SQLite.
	for _, p := range []string{dst, dst + "-shm", dst + "-wal"} {
		if st, err := os.Stat(p); err == nil && st.Size() == 0 {
			_ = os.Remove(p)
		}
	}
	if _, err := os.Lstat(dst); err == nil {
		return BackupReport{}, fmt.Errorf("%s appeared while restoring; not overwriting it", dst)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return BackupReport{}, err
	}
	report.Path = dst
	return report, nil
}

// openSQLiteReader opens an existing SQLite file for reading, with deferred (not
// IMMEDIATE) transactions so that a long read never blocks the server's writers.
func openSQLiteReader(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(30000)&_time_format=sqlite")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

func checkSQLiteHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, sqliteHeader) {
		return fmt.Errorf("%s is not an SQLite database (a PostgreSQL dump is restored with pg_restore)", path)
	}
	return nil
}

// inspectSQLite checks an SQLite file's integrity and counts its tables' rows.
func inspectSQLite(ctx context.Context, path string) (BackupReport, error) {
	if err := checkSQLiteHeader(path); err != nil {
		return BackupReport{}, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return BackupReport{}, err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(30000)")
	if err != nil {
		return BackupReport{}, err
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil {
		return BackupReport{}, err
	}
	if check != "ok" {
		return BackupReport{}, fmt.Errorf("integrity check: %s", check)
	}
	tables, err := sqliteTables(ctx, db)
	if err != nil {
		return BackupReport{}, err
	}
	report := BackupReport{Bytes: st.Size(), Rows: map[string]int64{}}
	hasMigrations := false
	for _, t := range tables {
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(t)).Scan(&n); err != nil {
			return BackupReport{}, err
		}
		if t == "bun_migrations" {
			hasMigrations = true
			report.Migrations = int(n)
			continue
		}
		if skipTable(t) {
			continue
		}
		report.Rows[t] = n
	}
	if !hasMigrations {
		return BackupReport{}, errors.New("it has no bun_migrations table, so it is no Kontor database")
	}
	return report, nil
}

// checkKnownMigrations refuses a database with migrations that known lacks: it was
// made by a newer Kontor.
func checkKnownMigrations(ctx context.Context, path string, known map[string]bool) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	names, err := appliedMigrations(ctx, db)
	if err != nil {
		return err
	}
	var unknown []string
	for _, n := range names {
		if !known[n] {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("%s was made by a newer Kontor: it has migrations this version does not know (%s); restore it with that version or newer", path, strings.Join(unknown, ", "))
	}
	return nil
}

// appliedMigrations lists the names (ids) of the migrations applied in db.
func appliedMigrations(ctx context.Context, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM bun_migrations ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("read bun_migrations: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// migrationNames returns the ids of the migrations this build embeds for dialect.
func migrationNames(d Dialect) map[string]bool {
	db := &DB{Dialect: d}
	ms := migrate.NewMigrations()
	if err := ms.Discover(db.MigrationFiles()); err != nil {
		return map[string]bool{}
	}
	out := map[string]bool{}
	for _, m := range ms.Sorted() {
		out[m.Name] = true
	}
	return out
}

func sqliteTables(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out, rows.Err()
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// quoteIdent quotes an SQL identifier for both engines.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
