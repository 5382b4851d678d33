package bench_test

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/e2e/bench"
	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/platform/money"
)

// TestSeededDataReadsLikeTheStoresOwn seeds a small data set on each engine and
// reads it back through the API: the ledger invariant holds, the account list
// counts every account, and paging a hot account's transactions by cursor returns
// every entry once, newest first. It keeps the seeder honest about the store's
// format; the benchmarks use the same code on a million entries.
func TestSeededDataReadsLikeTheStoresOwn(t *testing.T) {
	for _, engine := range []struct {
		name   string
		engine harness.Engine
	}{{"sqlite", harness.SQLite}, {"postgres", harness.Postgres}} {
		t.Run(engine.name, func(t *testing.T) {
			inst := harness.Start(t, harness.Options{Engine: engine.engine})
			c := inst.Client()
			var me struct {
				ID string `json:"id"`
			}
			c.Post(t, "/api/v1/auth/register", map[string]string{"email": "seed@example.test", "password": password, "name": "Seed"}).
				Expect(t, http.StatusCreated).JSON(t, &me)
			var pair struct {
				AccessToken string `json:"access_token"`
			}
			c.Post(t, "/api/v1/auth/login", map[string]string{"email": "seed@example.test", "password": password}).
				Expect(t, http.StatusOK).JSON(t, &pair)
			c.Token = pair.AccessToken

			spec := bench.DefaultSpec()
			spec.Accounts, spec.Transactions, spec.Hot = 30, 3000, []int{700, 300}
			seeded, err := bench.Seed(context.Background(), inst.DB, uuid.MustParse(me.ID), spec)
			if err != nil {
				t.Fatal(err)
			}
			if seeded.Transactions != spec.Transactions || len(seeded.Accounts) != spec.Accounts {
				t.Fatalf("seeded %d entries in %d accounts, want %d in %d", seeded.Transactions, len(seeded.Accounts), spec.Transactions, spec.Accounts)
			}
			if err := bench.VerifyLedger(context.Background(), inst.DB); err != nil {
				t.Fatal(err)
			}

			var list struct {
				TotalCount int64 `json:"total_count"`
			}
			c.Get(t, "/api/v1/accounts?include_archived=true&limit=5").Expect(t, http.StatusOK).JSON(t, &list)
			if list.TotalCount != int64(spec.Accounts) {
				t.Errorf("total_count %d, want %d", list.TotalCount, spec.Accounts)
			}

			hot := seeded.Hot(0)
			seen := map[string]bool{}
			var last time.Time
			next := ""
			for {
				path := "/api/v1/accounts/" + hot.String() + "/transactions?limit=37"
				if next != "" {
					path += "&cursor=" + url.QueryEscape(next)
				}
				var p struct {
					Transactions []struct {
						ID       string       `json:"id"`
						BookedAt time.Time    `json:"booked_at"`
						Amount   money.Amount `json:"amount"`
					} `json:"transactions"`
					NextCursor *string `json:"next_cursor"`
				}
				c.Get(t, path).Expect(t, http.StatusOK).JSON(t, &p)
				for _, tx := range p.Transactions {
					if seen[tx.ID] {
						t.Fatalf("entry %s served twice", tx.ID)
					}
					seen[tx.ID] = true
					if !last.IsZero() && tx.BookedAt.After(last) {
						t.Fatalf("entry %s booked %s after the previous one (%s)", tx.ID, tx.BookedAt, last)
					}
					last = tx.BookedAt
				}
				if p.NextCursor == nil {
					break
				}
				next = *p.NextCursor
			}
			if len(seen) != seeded.Counts[0] {
				t.Errorf("paged through %d entries of the hot account, want %d", len(seen), seeded.Counts[0])
			}
		})
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {95, 95 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}} {
		if got := bench.Percentile(d, c.p); got != c.want {
			t.Errorf("p%v = %s, want %s", c.p, got, c.want)
		}
	}
	if got := bench.Percentile(nil, 99); got != 0 {
		t.Errorf("p99 of nothing = %s", got)
	}
}
