package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/e2e/bench"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// seededSQLite writes a small ledger (20 accounts, 2,000 entries) into a fresh
// migrated SQLite file and returns its path.
func seededSQLite(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kontor.db")
	db, err := database.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := database.NewMigrator(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := bench.Seed(ctx, db, uuid.New(), bench.Spec{
		Accounts: 20, Transactions: 2000, Hot: []int{500}, Years: 1,
		End: time.Now().UTC().Truncate(time.Hour), TransferShare: 0.05, Seed: 7,
	}); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCopyCommand runs `kontor copy` as an operator would and checks its report, and
// that its ledger check refuses a source whose balances disagree with its entries.
func TestCopyCommand(t *testing.T) {
	src := seededSQLite(t)
	var out, errOut bytes.Buffer
	code := run([]string{"copy", "--from", "sqlite:" + src, "--to", dbtest.NewPostgresURL(t), "--batch", "250"}, &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "copied transactions") || !strings.Contains(out.String(), "every account's balance equals its ledger") {
		t.Fatalf("copy: %d\n%s\n%s", code, out.String(), errOut.String())
	}

	broken := seededSQLite(t)
	db, err := database.OpenSQLite(broken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(context.Background(), "UPDATE accounts SET balance_amount = '0.01' WHERE rowid = 1"); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	out.Reset()
	errOut.Reset()
	code = run([]string{"copy", "--from", "sqlite:" + broken, "--to", dbtest.NewPostgresURL(t)}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "ledger invariant broken") {
		t.Fatalf("copy of a broken ledger: %d\n%s", code, errOut.String())
	}
}
