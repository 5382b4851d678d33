package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/e2e/bench"
	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

// TestCopySQLiteToPostgresThenFlowsPass builds a database through the API on
// SQLite (two users, an API key, accounts in USD and ETH with 18-decimal amounts, a
// linked account, transfers, an archived account, an idempotent request), copies it
// with `kontor copy`'s code into an empty PostgreSQL database, and then runs Kontor
// on the copy: every read answers byte for byte what the SQLite instance answered,
// the old token, password, API key and Idempotency-Key still work, ownership still
// holds, and new writes keep the ledger invariant.
func TestCopySQLiteToPostgresThenFlowsPass(t *testing.T) {
	ctx := context.Background()
	src := harness.Start(t, harness.Options{Engine: harness.SQLite})
	ada := shUser(t, src, "ada@example.com")
	bob := shUser(t, src, "bob@example.com")

	checking := shAccount(t, ada, map[string]any{"name": "Checking", "account_type": "checking", "currency": "USD", "opening_balance": "1500.25", "overdraft_limit": "100"})
	savings := shAccount(t, ada, map[string]any{"name": "Savings", "account_type": "savings", "currency": "USD", "opening_balance": "10000.00", "interest_rate": "3.75",
		"metadata": map[string]string{"bank": "Kontor Bank"}, "custom_fields": []map[string]string{{"label": "IBAN", "value": "DE00 0000"}}})
	wallet := shAccount(t, ada, map[string]any{"name": "Wallet", "account_type": "crypto", "currency": "ETH", "opening_balance": "12345678901234567890.123456789012345678"})
	card := shAccount(t, ada, map[string]any{"name": "Card", "account_type": "credit_card", "currency": "USD", "linked_account_id": checking})
	old := shAccount(t, ada, map[string]any{"name": "Old", "account_type": "cash", "currency": "EUR"})
	ada.Do(t, http.MethodPatch, "/api/v1/accounts/"+old, map[string]any{"is_archived": true}).Expect(t, http.StatusOK)
	shAccount(t, bob, map[string]any{"name": "Bob's", "account_type": "checking", "currency": "USD", "opening_balance": "7.00"})

	for i, tx := range []struct{ account, typ, amount string }{
		{checking, "withdrawal", "20.10"}, {checking, "deposit", "3000"}, {wallet, "withdrawal", "0.000000000000000001"},
		{wallet, "deposit", "0.5"}, {card, "purchase", "99.99"}, {savings, "interest", "31.25"},
	} {
		ada.Post(t, "/api/v1/accounts/"+tx.account+"/transactions", map[string]any{
			"type": tx.typ, "amount": tx.amount, "description": "entry " + string(rune('A'+i)),
			"booked_at": time.Date(2026, 10, 1+i, 12, 0, 0, 0, time.UTC).Format(time.RFC3339),
		}).Expect(t, http.StatusCreated)
	}
	ada.Post(t, "/api/v1/transfers", map[string]any{"source_account_id": savings, "destination_account_id": checking, "amount": "250.75"}).Expect(t, http.StatusCreated)
	idem := ada.Post(t, "/api/v1/accounts/"+checking+"/transactions", map[string]any{"type": "fee", "amount": "1.50"}, "Idempotency-Key: copy-me-please").Expect(t, http.StatusCreated)
	var key struct {
		Key string `json:"key"`
	}
	ada.Post(t, "/api/v1/api-keys", map[string]string{"name": "backup script"}).Expect(t, http.StatusCreated).JSON(t, &key)

	reads := []string{
		"/api/v1/me",
		"/api/v1/accounts?include_archived=true",
		"/api/v1/accounts?sort=-balance",
		"/api/v1/accounts/" + wallet,
		"/api/v1/transactions?limit=100",
		"/api/v1/accounts/" + checking + "/transactions?limit=100",
		"/api/v1/api-keys",
		"/api/v1/accounts/" + checking + "/statement?start_date=2026-10-01&end_date=2026-10-31",
		"/api/v1/accounts/" + savings + "/balance-history?start_date=2026-09-01&end_date=2026-12-31&interval=month",
		"/api/v1/net-worth?start_date=2026-09-01&end_date=2026-12-31&interval=month",
	}
	before := map[string][]byte{}
	for _, p := range reads {
		before[p] = ada.Get(t, p).Expect(t, http.StatusOK).Body
	}

	url := dbtest.NewPostgresURL(t)
	target, err := database.OpenPostgres(url)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	report, err := database.CopySQLiteToPostgres(ctx, src.Config.SQLitePath(), target, database.CopyOptions{
		BatchSize: 3, // several batches per table
		Verify:    bench.VerifyLedger,
	})
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	copied := map[string]int64{}
	for _, tb := range report.Tables {
		copied[tb.Name] = tb.Rows
		if strings.HasPrefix(tb.Name, "river_") {
			// The source instance still runs its jobs and changes these tables after
			// the copy's snapshot; the copy compared them within its snapshot.
			continue
		}
		var n int64
		if err := src.DB.QueryRowContext(ctx, "SELECT count(*) FROM "+tb.Name).Scan(&n); err != nil || n != tb.Rows {
			t.Fatalf("%s: copied %d rows, the source has %d (%v)", tb.Name, tb.Rows, n, err)
		}
	}
	for _, table := range []string{"users", "refresh_tokens", "api_keys", "accounts", "transactions", "transfers", "account_daily_deltas", "idempotency_keys", "casbin_rules"} {
		if copied[table] == 0 {
			t.Fatalf("nothing copied into %s: %v", table, copied)
		}
	}
	t.Logf("copied %d rows in %s: %v", report.Rows, report.Duration, copied)
	if _, err := database.CopySQLiteToPostgres(ctx, src.Config.SQLitePath(), target, database.CopyOptions{}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("a second copy into the filled database: %v", err)
	}

	dst := harness.Start(t, harness.Options{Engine: harness.SQLite, Env: map[string]string{"KONTOR_DATABASE_URL": url}})
	if !dst.Config.IsPostgres() {
		t.Fatal("the copy's instance is not on PostgreSQL")
	}
	onCopy := dst.Client()
	onCopy.Token = ada.Token // signed by the same secret, for a user the copy knows
	for _, p := range reads {
		got := onCopy.Get(t, p).Expect(t, http.StatusOK).Body
		if !bytes.Equal(normalizeJSON(t, got), normalizeJSON(t, before[p])) {
			t.Fatalf("GET %s differs on the copy:\nsqlite:   %s\npostgres: %s", p, before[p], got)
		}
	}

	// The flows still work on the copy.
	replay := onCopy.Post(t, "/api/v1/accounts/"+checking+"/transactions", map[string]any{"type": "fee", "amount": "1.50"}, "Idempotency-Key: copy-me-please").Expect(t, http.StatusCreated)
	if replay.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(replay.Body, idem.Body) {
		t.Fatalf("idempotent replay on the copy: %v %s", replay.Header, replay.Body)
	}
	byKey := dst.Client()
	byKey.Token = key.Key
	byKey.Get(t, "/api/v1/accounts/"+wallet).Expect(t, http.StatusOK)
	bobOnCopy := shLogin(t, dst, "bob@example.com")
	if res := bobOnCopy.Get(t, "/api/v1/accounts/"+wallet); res.Status != http.StatusNotFound && res.Status != http.StatusForbidden {
		t.Fatalf("bob reads ada's account on the copy: %d", res.Status)
	}
	adaOnCopy := shLogin(t, dst, "ada@example.com")
	adaOnCopy.Post(t, "/api/v1/accounts/"+wallet+"/transactions", map[string]any{"type": "deposit", "amount": "0.000000000000000001"}).Expect(t, http.StatusCreated)
	adaOnCopy.Post(t, "/api/v1/transfers", map[string]any{"source_account_id": checking, "destination_account_id": savings, "amount": "0.01"}).Expect(t, http.StatusCreated)
	fresh := shAccount(t, adaOnCopy, map[string]any{"name": "New on PostgreSQL", "account_type": "savings", "currency": "USD", "opening_balance": "1"})
	adaOnCopy.Get(t, "/api/v1/accounts/"+fresh).Expect(t, http.StatusOK)
	adaOnCopy.Post(t, "/api/v1/api-keys", map[string]string{"name": "after the move"}).Expect(t, http.StatusCreated)
	shUser(t, dst, "carol@example.com")
	var w struct {
		Balance string `json:"balance_amount"`
	}
	adaOnCopy.Get(t, "/api/v1/accounts/"+wallet).Expect(t, http.StatusOK).JSON(t, &w)
	if w.Balance != "12345678901234567890.623456789012345678" {
		t.Fatalf("wallet balance on the copy %s", w.Balance)
	}
	if err := bench.VerifyLedger(ctx, dst.DB); err != nil {
		t.Fatalf("ledger on the copy after new writes: %v", err)
	}
}

// normalizeJSON re-encodes a JSON body with sorted keys and without a statement's
// generated_at (the time of the request), so that two engines' answers compare by
// content.
func normalizeJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return b
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "generated_at")
	}
	out, _ := json.Marshal(v)
	return out
}

// BenchmarkCopy100kTransactions measures `kontor copy` on the accounts load
// harness's data set shrunk to 100 accounts and 100,000 ledger entries: run with
// go test ./e2e -run '^$' -bench Copy100k -benchtime 1x.
func BenchmarkCopy100kTransactions(b *testing.B) {
	ctx := context.Background()
	path := dbtest.NewSQLitePath(b)
	srcDB, err := database.OpenSQLite(path)
	if err != nil {
		b.Fatal(err)
	}
	m, err := database.NewMigrator(srcDB)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		b.Fatal(err)
	}
	seeded, err := bench.Seed(ctx, srcDB, uuid.New(), bench.Spec{
		Accounts: 100, Transactions: 100_000, Hot: []int{20_000, 10_000},
		Years: 2, End: time.Now().UTC().Truncate(time.Hour), TransferShare: 0.01, Seed: 12,
	})
	if err != nil {
		b.Fatal(err)
	}
	_ = srcDB.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		target, err := database.OpenPostgres(dbtest.NewPostgresURL(b))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		report, err := database.CopySQLiteToPostgres(ctx, path, target, database.CopyOptions{Verify: bench.VerifyLedger, Progress: os.Stderr})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = target.Close()
		var tx int64
		for _, tb := range report.Tables {
			if tb.Name == "transactions" {
				tx = tb.Rows
			}
		}
		if tx != int64(seeded.Transactions) {
			b.Fatalf("copied %d transactions, seeded %d", tx, seeded.Transactions)
		}
		b.ReportMetric(float64(report.Rows)/report.Duration.Seconds(), "rows/s")
		b.ReportMetric(float64(tx)/report.Duration.Seconds(), "transactions/s")
		b.Logf("copied %d rows (%d transactions) in %s, ledger verified", report.Rows, tx, report.Duration)
		b.StartTimer()
	}
}
