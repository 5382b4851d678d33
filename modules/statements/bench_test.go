package statements_test

// End-to-end benchmarks of the statements module against the real application on
// SQLite: docs/PERFORMANCE.md ("Statements and dashboard") records their figures.
//
//	go test -run '^$' -bench 'Statement' -benchtime 5x ./modules/statements/
//	go test -run '^$' -bench 'Dashboard' -benchtime 200x ./modules/statements/
//
// The ledgers are written straight into the accounts module's tables (the same rows
// and daily deltas its store writes), because a hundred thousand or a million API
// calls would take longer than the benchmarks themselves.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/platform/money"
)

func TestMain(m *testing.M) { harness.Main(m) }

const benchPassword = harness.Password

type benchTx struct {
	bun.BaseModel `bun:"table:transactions"`
	ID            uuid.UUID    `bun:"id"`
	AccountID     uuid.UUID    `bun:"account_id"`
	UserID        uuid.UUID    `bun:"user_id"`
	Type          string       `bun:"type"`
	Amount        money.Amount `bun:"amount"`
	MagnitudeKey  string       `bun:"magnitude_key"`
	Currency      string       `bun:"currency"`
	Description   string       `bun:"description"`
	Status        string       `bun:"status"`
	BookedAt      time.Time    `bun:"booked_at"`
	CreatedAt     time.Time    `bun:"created_at"`
}

type benchDelta struct {
	bun.BaseModel `bun:"table:account_daily_deltas"`
	AccountID     uuid.UUID    `bun:"account_id"`
	Day           string       `bun:"day"`
	Delta         money.Amount `bun:"delta"`
	TxCount       int          `bun:"tx_count"`
}

// benchUser registers a user and returns an API client and their id.
func benchUser(b *testing.B, inst *harness.Instance) (*harness.Client, uuid.UUID, string) {
	u := inst.Register(b, "Bench Mark")
	return u.Client, u.ID, u.Email
}

func benchAccount(b *testing.B, c *harness.Client, name, typ string) uuid.UUID {
	var acc struct {
		ID string `json:"id"`
	}
	c.Post(b, "/api/v1/accounts", map[string]any{"name": name, "account_type": typ, "currency": "USD"}).Expect(b, http.StatusCreated).JSON(b, &acc)
	return uuid.MustParse(acc.ID)
}

// fill books n transactions on the account, spread evenly from from over days days,
// with their daily deltas and the matching balance, in batches.
func fill(b *testing.B, inst *harness.Instance, userID, accountID uuid.UUID, n int, from time.Time, days int) {
	ctx := context.Background()
	deltas := map[string]*benchDelta{}
	total := money.Zero
	batch := make([]benchTx, 0, 2000)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if _, err := inst.DB.NewInsert().Model(&batch).Exec(ctx); err != nil {
			b.Fatalf("insert transactions: %v", err)
		}
		batch = batch[:0]
	}
	step := time.Duration(int64(days) * int64(24*time.Hour) / int64(n))
	for i := 0; i < n; i++ {
		amount := money.MustParse(strconv.Itoa(i%997) + "." + fmt.Sprintf("%02d", i%100))
		typ := "deposit"
		if i%3 != 0 {
			amount, typ = amount.Neg(), "purchase"
		}
		at := from.Add(time.Duration(i) * step)
		id, _ := uuid.NewV7()
		batch = append(batch, benchTx{ID: id, AccountID: accountID, UserID: userID, Type: typ, Amount: amount, MagnitudeKey: "0",
			Currency: "USD", Description: fmt.Sprintf("Benchmark transaction %d at a shop with a longer name", i), Status: "posted", BookedAt: at, CreatedAt: at})
		day := at.Format("2006-01-02")
		d, ok := deltas[day]
		if !ok {
			d = &benchDelta{AccountID: accountID, Day: day}
			deltas[day] = d
		}
		d.Delta = d.Delta.Add(amount)
		d.TxCount++
		total = total.Add(amount)
		if len(batch) == cap(batch) {
			flush()
		}
	}
	flush()
	rows := make([]benchDelta, 0, len(deltas))
	for _, d := range deltas {
		rows = append(rows, *d)
	}
	for start := 0; start < len(rows); start += 1000 {
		part := rows[start:min(start+1000, len(rows))]
		if _, err := inst.DB.NewInsert().Model(&part).Exec(ctx); err != nil {
			b.Fatalf("insert deltas: %v", err)
		}
	}
	if _, err := inst.DB.NewUpdate().TableExpr("accounts").Set("balance_amount = ?", total).Set("transaction_count = ?", n).
		Where("id = ?", accountID).Exec(ctx); err != nil {
		b.Fatalf("update balance: %v", err)
	}
}

// peakRSS is the process's peak resident set size in MB, from /proc (Linux).
func peakRSS() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkStatement100k times GET /api/v1/accounts/{id}/statement over HTTP for an
// account with 100,000 transactions in the period, from request to last byte, in
// each format, and reports the process's peak RSS.
func BenchmarkStatement100k(b *testing.B) {
	inst := harness.Start(b, harness.Options{Engine: harness.SQLite})
	c, userID, _ := benchUser(b, inst)
	acc := benchAccount(b, c, "Busy account", "checking")
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	fill(b, inst, userID, acc, 100_000, from, 365)
	path := "/api/v1/accounts/" + acc.String() + "/statement?start_date=2025-01-01&end_date=2025-12-31&format="
	for _, format := range []string{"json", "csv", "pdf"} {
		b.Run(format, func(b *testing.B) {
			var size int
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, inst.BaseURL+path+format, nil)
				req.Header.Set("Authorization", "Bearer "+c.Token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
				size = int(n)
			}
			b.ReportMetric(float64(size)/1e6, "MB/response")
			b.ReportMetric(peakRSS(), "peak-RSS-MB")
		})
	}
}

var csrfMeta = regexp.MustCompile(`name="csrf-token" content="([^"]+)"`)

// BenchmarkDashboard1M times GET / for a signed-in user with 1,000,000 transactions
// over ten accounts and three years, and reports the 95th percentile.
func BenchmarkDashboard1M(b *testing.B) {
	inst := harness.Start(b, harness.Options{Engine: harness.SQLite})
	c, userID, email := benchUser(b, inst)
	from := time.Now().UTC().AddDate(-3, 0, 0)
	types := []string{"checking", "savings", "credit_card", "brokerage", "mortgage", "checking", "savings", "cash", "crypto", "other"}
	for i, typ := range types {
		acc := benchAccount(b, c, fmt.Sprintf("Account %d", i), typ)
		fill(b, inst, userID, acc, 100_000, from, 3*365)
	}
	// Log in through the form, as a browser does.
	web := inst.Client()
	page := web.Get(b, "/login")
	m := csrfMeta.FindSubmatch(page.Body)
	if m == nil {
		b.Fatal("no CSRF token on the login page")
	}
	form := url.Values{"email": {email}, "password": {benchPassword}, "_csrf": {string(m[1])}}
	res := web.Raw(b, http.MethodPost, "/login", []byte(form.Encode()), "Content-Type: application/x-www-form-urlencoded")
	if res.Status != http.StatusSeeOther && res.Status != http.StatusFound {
		b.Fatalf("login: %d %s", res.Status, res.Body[:min(300, len(res.Body))])
	}
	var times []time.Duration
	for b.Loop() {
		start := time.Now()
		res := web.Get(b, "/")
		times = append(times, time.Since(start))
		if res.Status != http.StatusOK || !strings.Contains(string(res.Body), "net-worth-usd") {
			b.Fatalf("dashboard: %d", res.Status)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(peakRSS(), "peak-RSS-MB")
}
