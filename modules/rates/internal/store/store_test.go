package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/rates/internal/app"
	"github.com/kontor-app/kontor/modules/rates/internal/domain"
	"github.com/kontor-app/kontor/modules/rates/internal/store"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/money"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var t0 = time.Date(2026, 11, 28, 10, 0, 0, 123456000, time.UTC)

func user(t *testing.T, db *database.DB) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	_, err := db.Conn(context.Background()).NewRaw(
		"INSERT INTO users (id, email, name, password_hash, failed_logins, created_at, updated_at) VALUES (?, ?, 'R', 'x', 0, ?, ?)",
		id, id.String()+"@example.test", t0, t0).Exec(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestRatesRoundTripExactlyOnBothEngines keeps a base currency and rates with
// 18 decimals, refuses a second rate for the same pair and day, lists newest
// first, and deletes.
func TestRatesRoundTripExactlyOnBothEngines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		u := user(t, db)
		if c, err := s.BaseCurrency(ctx, u); err != nil || c != "" {
			t.Fatalf("base = %q, %v", c, err)
		}
		for _, c := range []money.Currency{"EUR", "GBP"} {
			if err := s.SetBaseCurrency(ctx, u, c, t0); err != nil {
				t.Fatal(err)
			}
		}
		if c, _ := s.BaseCurrency(ctx, u); c != "GBP" {
			t.Errorf("base = %q, want GBP", c)
		}
		day := func(s string) time.Time { d, _ := time.Parse(domain.DateLayout, s); return d }
		r1 := domain.Rate{ID: uuid.Must(uuid.NewV7()), UserID: u, Currency: "ETH", Quote: "GBP", Rate: money.MustParse("2612.123456789012345678"), Date: day("2026-11-27"), CreatedAt: t0, UpdatedAt: t0}
		r2 := r1
		r2.ID, r2.Date, r2.Rate = uuid.Must(uuid.NewV7()), day("2026-11-28"), money.MustParse("2700")
		for _, r := range []domain.Rate{r1, r2} {
			if err := s.InsertRate(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		dup := r1
		dup.ID = uuid.Must(uuid.NewV7())
		if err := s.InsertRate(ctx, dup); !errors.Is(err, app.ErrDuplicate) {
			t.Errorf("duplicate: err = %v", err)
		}
		rs, err := s.Rates(ctx, u)
		if err != nil || len(rs) != 2 || !rs[0].Date.Equal(day("2026-11-28")) || rs[1].Rate.String() != "2612.123456789012345678" {
			t.Fatalf("rates = %+v, %v", rs, err)
		}
		r2.Date = day("2026-11-27")
		if err := s.UpdateRate(ctx, r2); !errors.Is(err, app.ErrDuplicate) {
			t.Errorf("update onto an existing day: err = %v", err)
		}
		if err := s.DeleteRate(ctx, r1.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Rate(ctx, r1.ID); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("deleted rate: err = %v", err)
		}
		if err := s.SetBaseCurrency(ctx, u, "", t0); err != nil {
			t.Fatal(err)
		}
		if c, _ := s.BaseCurrency(ctx, u); c != "" {
			t.Errorf("cleared base = %q", c)
		}
	})
}
