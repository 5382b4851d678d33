package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/money"
)

// TestSaveCollapsesChangesPerEntry saves, in one batch, an entry revised twice,
// one revised then removed, one added then revised and 2,500 new ones (more than
// one multi-row statement): each entry's row is its last state, the removed one is
// gone, and the ledger (balance, count, daily deltas) agrees with itself.
func TestSaveCollapsesChangesPerEntry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		acct, _, err := e.svc.UpsertProviderAccount(ctx, e.alice, app.ProviderAccountInput{
			Link: app.ProviderLink{ConnectionID: uuid.New(), Provider: "sandbox", ProviderAccountID: "batch"},
			Name: "Batch", AccountType: "checking", Currency: "EUR",
		})
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
		in := app.ProviderTransactionsInput{AccountID: acct.ID}
		for _, id := range []string{"a", "b"} {
			in.Upserts = append(in.Upserts, app.ProviderTransactionInput{ProviderTransactionID: id, Type: "deposit", Amount: money.MustParse("10"), BookedAt: day})
		}
		if _, err := e.svc.SyncProviderTransactions(ctx, e.alice, in); err != nil {
			t.Fatal(err)
		}
		known, err := e.store.TransactionsByProviderID(ctx, acct.ID, []string{"a", "b"})
		if err != nil || len(known) != 2 {
			t.Fatalf("known %v, %v", known, err)
		}
		at := func(d int) time.Time { return day.AddDate(0, 0, d) }
		err = e.store.Update(ctx, acct.ID, func(_ context.Context, a *domain.Account) error {
			now := time.Now().UTC()
			revise := func(prev domain.Transaction, amount string, booked time.Time) domain.Transaction {
				next := prev
				next.Amount, next.BookedAt, next.Description = money.MustParse(amount), booked, "revised "+amount
				if err := a.Revise(prev, next, now); err != nil {
					t.Fatal(err)
				}
				next.AccountID, next.UserID = a.ID, a.UserID
				return next
			}
			a1 := revise(known["a"], "11", at(1))
			revise(a1, "12", at(2))
			b1 := revise(known["b"], "20", at(3))
			if err := a.Remove(b1, now); err != nil {
				t.Fatal(err)
			}
			c := domain.Transaction{ID: uuid.New(), ProviderTransactionID: "c", Type: domain.Deposit, Amount: money.MustParse("5"),
				Currency: "EUR", Status: domain.Posted, BookedAt: at(4), CreatedAt: now}
			if err := a.PostFromProvider(c, now); err != nil {
				t.Fatal(err)
			}
			c.AccountID, c.UserID = a.ID, a.UserID
			revise(c, "7", at(5))
			for i := 0; i < 2500; i++ {
				n := domain.Transaction{ID: uuid.New(), ProviderTransactionID: fmt.Sprintf("n%04d", i), Type: domain.Deposit,
					Amount: money.MustParse("0.01"), Currency: "EUR", Status: domain.Posted, BookedAt: at(i % 40), CreatedAt: now}
				if err := a.PostFromProvider(n, now); err != nil {
					t.Fatal(err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		after, err := e.store.TransactionsByProviderID(ctx, acct.ID, []string{"a", "b", "c", "n0000", "n2499"})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := after["b"]; ok || len(after) != 4 {
			t.Fatalf("after the batch: %v", after)
		}
		if a := after["a"]; !a.Amount.Equal(money.MustParse("12")) || !a.BookedAt.Equal(at(2)) || a.Description != "revised 12" {
			t.Fatalf("a = %+v, want its last revision", a)
		}
		if c := after["c"]; !c.Amount.Equal(money.MustParse("7")) || !c.BookedAt.Equal(at(5)) {
			t.Fatalf("c = %+v, want its last revision", c)
		}
		got, err := e.store.Get(ctx, acct.ID)
		if err != nil {
			t.Fatal(err)
		}
		// The first sync's entries were booked before the account's first sync, so
		// an opening entry of -20 absorbed them: 12 + 7 + 25.00 - 20, in 2,503 entries.
		if want := money.MustParse("24"); !got.Balance.Equal(want) || got.TransactionCount != 2503 {
			t.Fatalf("balance %s with %d entries, want %s with 2503", got.Balance, got.TransactionCount, want)
		}
		e.verify(t)
	})
}
