// Command benchdb prepares and serves the database of a load run against the
// kontor binary with an outside load generator such as wrk:
//
//	benchdb seed -database-url URL -email ADDRESS [-transactions N] [-accounts N]
//	benchdb floor -database-url URL -secret-key KEY [-addr 127.0.0.1:18081]
//
// seed writes a ledger for the registered user with that e-mail address (register
// them through the API first, so casbin knows them), checks the ledger invariant,
// refreshes the planner's statistics (ANALYZE on both engines) and prints the
// hottest account's id. floor serves bench.NewFloor over the same database, with the
// server's KONTOR_SECRET_KEY, so it accepts the access tokens the server issued.
// URL is Kontor's KONTOR_DATABASE_URL: sqlite:/path/kontor.db or postgres://….
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/e2e/bench"
	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchdb:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: benchdb seed|floor [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	dbURL := fs.String("database-url", "", "Kontor's database URL")
	email := fs.String("email", "", "seed: the registered user's e-mail address")
	transactions := fs.Int("transactions", 20_000, "seed: ledger entries in all")
	accounts := fs.Int("accounts", 50, "seed: accounts")
	secret := fs.String("secret-key", "", "floor: the server's KONTOR_SECRET_KEY")
	addr := fs.String("addr", "127.0.0.1:18081", "floor: listen address")
	profile := fs.String("cpuprofile", "", "floor: write a CPU profile of the whole run to this file (ends on SIGTERM or SIGINT)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *dbURL == "" {
		return fmt.Errorf("-database-url is required")
	}
	db, err := database.Open(config.Config{DatabaseURL: *dbURL})
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	switch args[0] {
	case "seed":
		var id string
		if err := db.NewSelect().Table("users").Column("id").Where("email = ?", *email).Scan(ctx, &id); err != nil {
			return fmt.Errorf("user %q: %w", *email, err)
		}
		spec := bench.DefaultSpec()
		spec.Accounts, spec.Transactions = *accounts, *transactions
		spec.Hot = []int{*transactions * 2 / 5, *transactions / 10}
		seeded, err := bench.Seed(ctx, db, uuid.MustParse(id), spec)
		if err != nil {
			return err
		}
		if err := bench.VerifyLedger(ctx, db); err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		fmt.Fprintf(os.Stderr, "seeded %d accounts, %d transactions (hottest %d) in %s\n",
			len(seeded.Accounts), seeded.Transactions, seeded.Counts[0], seeded.Generate+seeded.Write+seeded.Analyze)
		fmt.Println(seeded.Hot(0))
		return nil
	case "floor":
		if *secret == "" {
			return fmt.Errorf("-secret-key is required")
		}
		if *profile != "" {
			out, err := os.Create(*profile)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(out); err != nil {
				return err
			}
			stop := make(chan os.Signal, 1)
			signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
			go func() {
				<-stop
				pprof.StopCPUProfile()
				out.Close()
				os.Exit(0)
			}()
		}
		return bench.NewFloor(db, *secret).Listen(*addr)
	}
	return fmt.Errorf("unknown command %q", args[0])
}
