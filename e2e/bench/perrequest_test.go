package bench_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/e2e/bench"
	"github.com/kontor-app/kontor/e2e/harness"
)

// BenchmarkQueriesPerRequest counts the SQL statements behind the four reads of
// issue 7 — the JSON account list, the JSON transaction page of one account, the
// accounts page and the account page — on both engines, over a small seeded ledger
// (50 accounts, 5,000 entries), one request at a time. It reports, it asserts
// nothing:
//
//	go test ./e2e/bench -run '^$' -bench QueriesPerRequest -benchtime 1x -v
func BenchmarkQueriesPerRequest(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { queriesPerRequest(b, harness.SQLite) })
	b.Run("postgres", func(b *testing.B) { queriesPerRequest(b, harness.Postgres) })
}

func queriesPerRequest(b *testing.B, engine harness.Engine) {
	ctx := context.Background()
	inst := harness.Start(b, harness.Options{Engine: engine, Env: map[string]string{"KONTOR_LOG_LEVEL": "warn"}})
	email := fmt.Sprintf("queries-%d@example.test", time.Now().UnixNano())
	api := inst.Client()
	var me struct {
		ID string `json:"id"`
	}
	api.Post(b, "/api/v1/auth/register", map[string]string{"email": email, "password": password, "name": "Query Count"}).
		Expect(b, http.StatusCreated).JSON(b, &me)
	spec := bench.DefaultSpec()
	spec.Accounts, spec.Transactions, spec.Hot = 50, 5000, []int{2000}
	seeded, err := bench.Seed(ctx, inst.DB, uuid.MustParse(me.ID), spec)
	if err != nil {
		b.Fatalf("seed: %v", err)
	}
	var pair struct {
		AccessToken string `json:"access_token"`
	}
	api.Post(b, "/api/v1/auth/login", map[string]string{"email": email, "password": password}).Expect(b, http.StatusOK).JSON(b, &pair)
	api.Token = pair.AccessToken
	pages := inst.Client()
	pages.PostForm(b, "/login", url.Values{"email": {email}, "password": {password}, "_csrf": {pages.CSRFToken(b, "/login")}}).Expect(b, http.StatusSeeOther)

	counter := &bench.QueryCounter{}
	inst.DB.AddQueryHook(counter)
	hot := seeded.Hot(0).String()
	for _, r := range []struct {
		name string
		c    *harness.Client
		path string
	}{
		{"GET /api/v1/accounts", api, "/api/v1/accounts?limit=50"},
		{"GET /api/v1/accounts/{id}/transactions", api, "/api/v1/accounts/" + hot + "/transactions?limit=50"},
		{"GET /accounts (page)", pages, "/accounts"},
		{"GET /accounts/{id} (page)", pages, "/accounts/" + hot},
	} {
		r.c.Get(b, r.path).Expect(b, http.StatusOK) // warm caches (casbin, templates)
		const n = 10
		queries := counter.Record(func() {
			for range n {
				r.c.Get(b, r.path).Expect(b, http.StatusOK)
			}
		})
		b.Logf("%s: %.1f queries per request", r.name, float64(len(queries))/n)
		for _, q := range queries[:len(queries)/n] {
			if len(q) > 400 {
				q = q[:400] + "…"
			}
			b.Logf("    %s", q)
		}
	}
	b.ReportMetric(0, "ns/op")
}
