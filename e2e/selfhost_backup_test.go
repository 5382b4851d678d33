package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/bench"
	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/money"
)

// TestBackupDuringWritesRestores takes `kontor backup`'s snapshot of a serving SQLite
// Kontor while four clients keep posting transactions and transfers, restores it into
// an empty data folder, and finds the snapshot whole: every account's balance equals
// the sum of its ledger and of its daily deltas, every write acknowledged before the
// backup began is in it, no write begun after it ended is, and a Kontor started on the
// restored folder serves the same balances.
func TestBackupDuringWritesRestores(t *testing.T) {
	live := harness.Start(t, harness.Options{Engine: harness.SQLite})
	c := shUser(t, live, "backup@example.com")
	usd1 := shAccount(t, c, map[string]any{"name": "Checking", "account_type": "checking", "currency": "USD", "opening_balance": "5000.00"})
	usd2 := shAccount(t, c, map[string]any{"name": "Savings", "account_type": "savings", "currency": "USD", "opening_balance": "250.50"})
	eth := shAccount(t, c, map[string]any{"name": "Wallet", "account_type": "crypto", "currency": "ETH", "opening_balance": "1.000000000000000001"})

	type write struct {
		id      string
		started time.Time
	}
	var (
		mu       sync.Mutex
		acked    []write // acknowledged writes, with when their request began
		writes   atomic.Int64
		stop     atomic.Bool
		failures = make(chan error, 8)
		wg       sync.WaitGroup
	)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := newPoster(c)
			for i := 0; !stop.Load(); i++ {
				var path string
				var body any
				switch (w + i) % 4 {
				case 0:
					path, body = "/api/v1/accounts/"+usd1+"/transactions", map[string]any{"type": "deposit", "amount": "12.34", "description": fmt.Sprintf("w%d-%d", w, i)}
				case 1:
					path, body = "/api/v1/accounts/"+eth+"/transactions", map[string]any{"type": "deposit", "amount": "0.000000000000000007", "description": "gwei"}
				case 2:
					path, body = "/api/v1/transfers", map[string]any{"source_account_id": usd1, "destination_account_id": usd2, "amount": "1.01"}
				default:
					path, body = "/api/v1/accounts/"+usd2+"/transactions", map[string]any{"type": "withdrawal", "amount": "0.01"}
				}
				began := time.Now()
				_, id, err := p.post(path, body)
				if err != nil {
					failures <- err
					return
				}
				if !strings.HasPrefix(path, "/api/v1/transfers") {
					mu.Lock()
					acked = append(acked, write{id: id, started: began})
					mu.Unlock()
				}
				writes.Add(1)
			}
		}()
	}
	waitFor := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for writes.Load() < n {
			select {
			case err := <-failures:
				stop.Store(true)
				wg.Wait()
				t.Fatalf("writer: %v", err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d writes after two minutes", writes.Load())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(60)

	mu.Lock()
	before := append([]write(nil), acked...)
	mu.Unlock()
	backupAt := writes.Load()
	file := filepath.Join(t.TempDir(), "snapshots", "kontor-backup.db")
	report, err := database.BackupSQLite(context.Background(), live.Config.SQLitePath(), file)
	if err != nil {
		stop.Store(true)
		wg.Wait()
		t.Fatalf("backup: %v", err)
	}
	ended := time.Now()
	waitFor(writes.Load() + 40)
	stop.Store(true)
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Fatalf("writer: %v", err)
	}
	t.Logf("backup of %d bytes taken after %d writes; %d writes in all", report.Bytes, backupAt, writes.Load())
	if report.Rows["transactions"] == 0 || report.Rows["users"] != 1 || report.Rows["accounts"] != 3 {
		t.Fatalf("backup report rows: %v", report.Rows)
	}

	// Neither command overwrites anything.
	if _, err := database.BackupSQLite(context.Background(), live.Config.SQLitePath(), file); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("a second backup onto the same file: %v", err)
	}
	if _, err := database.RestoreSQLite(context.Background(), file, live.Config.SQLitePath()); err == nil || !strings.Contains(err.Error(), "refuses to overwrite") {
		t.Fatalf("restore over the live database: %v", err)
	}
	if st, err := os.Stat(live.Config.SQLitePath()); err != nil || st.Size() == 0 {
		t.Fatalf("the live database was touched: %v", err)
	}

	restoredDir := t.TempDir()
	restoredPath := filepath.Join(restoredDir, "kontor.db")
	if _, err := database.RestoreSQLite(context.Background(), file, restoredPath); err != nil {
		t.Fatalf("restore: %v", err)
	}
	db, err := database.OpenSQLite(restoredPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := bench.VerifyLedger(context.Background(), db); err != nil {
		t.Fatalf("restored ledger: %v", err)
	}
	if err := bench.VerifyLedger(context.Background(), live.DB); err != nil {
		t.Fatalf("live ledger: %v", err)
	}
	present := map[string]bool{}
	rows, err := db.QueryContext(context.Background(), "SELECT id FROM transactions")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		present[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, w := range before {
		if !present[w.id] {
			t.Fatalf("transaction %s was acknowledged before the backup began but is not in it", w.id)
		}
	}
	mu.Lock()
	after := 0
	for _, w := range acked {
		if w.started.After(ended) {
			after++
			if present[w.id] {
				t.Fatalf("transaction %s was begun after the backup ended but is in it", w.id)
			}
		}
	}
	mu.Unlock()
	if after == 0 {
		t.Fatal("no transaction was begun after the backup: the test proved nothing about the snapshot's edge")
	}
	var liveCount, restoredCount int64
	_ = live.DB.QueryRowContext(context.Background(), "SELECT count(*) FROM transactions").Scan(&liveCount)
	_ = db.QueryRowContext(context.Background(), "SELECT count(*) FROM transactions").Scan(&restoredCount)
	if restoredCount != report.Rows["transactions"] || restoredCount >= liveCount {
		t.Fatalf("restored %d transactions, backup reported %d, live has %d", restoredCount, report.Rows["transactions"], liveCount)
	}
	balances := map[string]string{}
	if err := eachBalance(db.DB.DB, func(id, balance string) { balances[id] = balance }); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()

	// A Kontor started on the restored folder serves the snapshot's balances.
	restored := harness.Start(t, harness.Options{Engine: harness.SQLite, Env: map[string]string{"KONTOR_DATA_DIR": restoredDir}})
	rc := shLogin(t, restored, "backup@example.com")
	var list struct {
		Accounts []struct {
			ID      string `json:"id"`
			Balance string `json:"balance_amount"`
		} `json:"accounts"`
	}
	rc.Get(t, "/api/v1/accounts").Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Accounts) != 3 {
		t.Fatalf("restored instance lists %d accounts", len(list.Accounts))
	}
	for _, a := range list.Accounts {
		// The API writes the currency's minor units (ETH: 18 digits), the database
		// the canonical form: they must be the same number.
		served, err1 := money.Parse(a.Balance)
		stored, err2 := money.Parse(balances[a.ID])
		if err1 != nil || err2 != nil || !served.Equal(stored) {
			t.Fatalf("account %s: served balance %s, stored %s", a.ID, a.Balance, balances[a.ID])
		}
	}
	rc.Post(t, "/api/v1/accounts/"+eth+"/transactions", map[string]any{"type": "deposit", "amount": "0.000000000000000001"}).Expect(t, http.StatusCreated)
	if err := bench.VerifyLedger(context.Background(), restored.DB); err != nil {
		t.Fatalf("ledger after a write on the restored instance: %v", err)
	}
}

func eachBalance(db *sql.DB, fn func(id, balance string)) error {
	rows, err := db.Query("SELECT id, balance_amount FROM accounts")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, b string
		if err := rows.Scan(&id, &b); err != nil {
			return err
		}
		fn(id, b)
	}
	return rows.Err()
}
