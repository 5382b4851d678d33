package sandboxbank_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"github.com/kontor-app/kontor/modules/sandbox"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/money"
)

// TestBulkPersonaPagesOut100000 links the bulk persona (its world is generated on
// consent) and pages its whole feed out through the adapter, 500 at a time.
func TestBulkPersonaPagesOut100000(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		start := time.Now()
		creds := w.link(sandbox.PersonaBulk)
		generated := time.Since(start)
		start = time.Now()
		var l ledger
		drain(t, w.adapter, creds, &l, 500)
		paged := time.Since(start)
		if len(l.txns) != sandbox.BulkCount || l.pages != sandbox.BulkCount/500 {
			t.Fatalf("bulk: %d transactions in %d pages, want %d in %d", len(l.txns), l.pages, sandbox.BulkCount, sandbox.BulkCount/500)
		}
		accs, _, err := w.adapter.Accounts(context.Background(), creds)
		if err != nil || len(accs) != 1 {
			t.Fatalf("bulk accounts: %v %d", err, len(accs))
		}
		total := money.Zero
		for _, x := range l.txns {
			if x.Pending || x.AccountID != accs[0].ID {
				t.Fatalf("bulk transaction %+v", x)
			}
			total = total.Add(x.Amount)
		}
		// The balance is the opening balance (10,000.00) plus all of them, exactly.
		if want := money.MustParse("10000.00").Add(total); !accs[0].Balance.Equal(want) {
			t.Fatalf("bulk balance %s, opening + transactions = %s", accs[0].Balance, want)
		}
		t.Logf("%s: world of %d generated on consent in %v; paged out in %d pages in %v", db.Dialect, sandbox.BulkCount, generated.Round(time.Millisecond), l.pages, paged.Round(time.Millisecond))
	})
}

// BenchmarkBulkSync measures paging the bulk persona's 100,000 transactions out of
// the sandbox bank through the adapter (the world is generated once, outside the
// timer). go test -run '^$' -bench BulkSync ./modules/connections/internal/sandboxbank/
func BenchmarkBulkSync(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var db *database.DB
			if engine == "sqlite" {
				db = dbtest.NewSQLite(b)
			} else {
				db = dbtest.NewPostgres(b)
			}
			_, a := serve(b, db)
			jar, _ := cookiejar.New(nil)
			browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			q := consent(b, browser, a, "bench", sandbox.PersonaBulk, "allow")
			creds, err := a.Exchange(context.Background(), q.Get("code"), redirectURI)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				var l ledger
				drain(b, a, creds, &l, 500)
				if len(l.txns) != sandbox.BulkCount {
					b.Fatalf("%d transactions", len(l.txns))
				}
			}
			b.ReportMetric(float64(sandbox.BulkCount), "txns/op")
		})
	}
}
