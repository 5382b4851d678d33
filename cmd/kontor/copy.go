package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
)

// copyDatabase copies an SQLite database into an empty PostgreSQL one: the way from
// one machine to several instances.
func copyDatabase(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("copy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "the SQLite database to copy: sqlite:PATH (default: the configured one)")
	to := fs.String("to", "", "the empty PostgreSQL database to fill: postgres://USER:PASSWORD@HOST:5432/DB")
	batch := fs.Int("batch", 1000, "rows per INSERT transaction")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kontor copy --from sqlite:PATH --to postgres://USER:PASSWORD@HOST:5432/DB [--batch 1000]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kontor copy: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *from == "" {
		cfg, ok := loadDatabaseSettings(nil, stderr)
		if !ok {
			return 2
		}
		*from = cfg.DatabaseURL
	}
	src := config.Config{DatabaseURL: *from}
	if src.IsPostgres() || strings.Contains(*from, "://") && !strings.HasPrefix(*from, "sqlite://") {
		fmt.Fprintf(stderr, "kontor copy: --from must be an SQLite database (sqlite:PATH), got %q\n", *from)
		return 2
	}
	dst := config.Config{DatabaseURL: *to}
	if !dst.IsPostgres() {
		fmt.Fprintln(stderr, "kontor copy: --to must be a postgres:// URL of an empty database")
		return 2
	}
	if *batch < 1 {
		fmt.Fprintln(stderr, "kontor copy: --batch must be at least 1")
		return 2
	}
	ctx := context.Background()
	target, err := database.OpenPostgres(*to)
	if err != nil {
		fmt.Fprintf(stderr, "kontor copy: %v\n", err)
		return 1
	}
	defer target.Close()
	fmt.Fprintf(stdout, "copying %s into PostgreSQL\n", src.SQLitePath())
	report, err := database.CopySQLiteToPostgres(ctx, src.SQLitePath(), target, database.CopyOptions{
		BatchSize: *batch,
		Progress:  stdout,
		Verify:    verifyLedger,
	})
	if err != nil {
		fmt.Fprintf(stderr, "kontor copy: %v\n", err)
		return 1
	}
	secs := report.Duration.Seconds()
	fmt.Fprintf(stdout, "copied %d rows in %d tables in %s (%.0f rows/s); row counts match the source and every account's balance equals its ledger\n",
		report.Rows, len(report.Tables), report.Duration.Round(1e6), float64(report.Rows)/max(secs, 1e-9))
	fmt.Fprintln(stdout, "next: point KONTOR_DATABASE_URL at the PostgreSQL database and start Kontor; keep the SQLite file until you are satisfied")
	return 0
}
