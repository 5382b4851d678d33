package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/money"
)

// The bulk seed leaves the accounts as the use cases would have: balances, counts,
// versions and daily deltas follow from the entries, the ledger invariant holds,
// and the entries read back through the use cases; a seed that goes wrong half-way
// writes nothing on SQLite (one transaction).
func TestSeedLedgerAsSystem(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		day1 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		checking, savings, transfer := uuid.New(), uuid.New(), uuid.New()
		out, in := uuid.New(), uuid.New()
		entries := []app.SeedTransaction{
			{ID: uuid.New(), AccountID: checking, Type: domain.Deposit, Amount: money.MustParse("100.50"), Description: "Opening balance", Status: domain.Posted, BookedAt: day1, CreatedAt: day1},
			{ID: uuid.New(), AccountID: checking, Type: domain.Purchase, Amount: money.MustParse("-20.25"), Description: "Card purchase", Counterparty: "Corner Coffee", Status: domain.Pending, BookedAt: day1.Add(time.Hour), CreatedAt: day1.Add(2 * time.Hour)},
			{ID: out, AccountID: checking, Type: domain.TransferOut, Amount: money.MustParse("-30"), Description: "Transfer", Status: domain.Posted, BookedAt: day1.AddDate(0, 0, 1), CreatedAt: day1.AddDate(0, 0, 1), TransferID: uuid.NullUUID{UUID: transfer, Valid: true}},
			{ID: in, AccountID: savings, Type: domain.TransferIn, Amount: money.MustParse("30"), Description: "Transfer", Status: domain.Posted, BookedAt: day1.AddDate(0, 0, 1), CreatedAt: day1.AddDate(0, 0, 1), TransferID: uuid.NullUUID{UUID: transfer, Valid: true}},
		}
		seed := app.LedgerSeed{
			UserID: e.alice.UserID,
			Accounts: []app.SeedAccount{
				{ID: checking, AccountNumber: "ACC-0000000001", Name: "Checking", Type: domain.Checking, Currency: "USD", Status: domain.StatusActive, CreatedAt: day1},
				{ID: savings, AccountNumber: "ACC-0000000002", Name: "Savings", Type: domain.Savings, Currency: "USD", Status: domain.StatusActive, CreatedAt: day1},
			},
			Transactions: func(yield func(app.SeedTransaction, error) bool) {
				for _, t := range entries {
					if !yield(t, nil) {
						return
					}
				}
			},
			Transfers: []app.SeedTransfer{{ID: transfer, SourceAccountID: checking, DestinationAccountID: savings,
				SourceTransactionID: out, DestinationTransactionID: in, Amount: money.MustParse("30"), Currency: "USD", CreatedAt: day1.AddDate(0, 0, 1)}},
		}
		res, err := e.svc.SeedLedgerAsSystem(ctx, seed)
		if err != nil || res.Transactions != 4 || res.DailyDeltas != 3 {
			t.Fatalf("seed = %+v, %v; want 4 entries, 3 daily deltas", res, err)
		}
		bad, err := e.store.VerifyLedger(ctx)
		if err != nil || len(bad) != 0 {
			t.Fatalf("ledger invariant: %v, %v", bad, err)
		}
		a, err := e.svc.GetAccount(ctx, e.alice, checking)
		if err != nil {
			t.Fatal(err)
		}
		if a.Balance.String() != "50.25" || a.TransactionCount != 3 || a.Version != 3 || !a.UpdatedAt.Equal(day1.AddDate(0, 0, 1)) {
			t.Errorf("checking = balance %s, %d entries, version %d, updated %s", a.Balance, a.TransactionCount, a.Version, a.UpdatedAt)
		}
		list, err := e.svc.ListTransactions(ctx, e.alice, app.ListTransactionsInput{AccountID: uuid.NullUUID{UUID: checking, Valid: true}})
		if err != nil || len(list.Transactions) != 3 || list.Transactions[1].Counterparty != "Corner Coffee" || list.Transactions[1].Status != domain.Pending {
			t.Fatalf("checking's entries = %+v, %v", list.Transactions, err)
		}

		// An entry of no seeded account fails the seed.
		stray := uuid.New()
		failing := app.LedgerSeed{
			UserID:   e.bob.UserID,
			Accounts: []app.SeedAccount{{ID: stray, AccountNumber: "ACC-0000000003", Name: "Cash", Type: domain.Cash, Currency: "EUR", Status: domain.StatusActive, CreatedAt: day1}},
			Transactions: func(yield func(app.SeedTransaction, error) bool) {
				if yield(app.SeedTransaction{ID: uuid.New(), AccountID: stray, Type: domain.Deposit, Amount: money.MustParse("1"), Status: domain.Posted, BookedAt: day1, CreatedAt: day1}, nil) {
					yield(app.SeedTransaction{}, errors.New("generator broke"))
				}
			},
		}
		if _, err := e.svc.SeedLedgerAsSystem(ctx, failing); err == nil || err.Error() != "generator broke" {
			t.Fatalf("failing seed: %v", err)
		}
		if db.Dialect == database.SQLite {
			if _, err := e.svc.GetAccount(ctx, e.bob, stray); err == nil {
				t.Error("a failed seed left its account behind on SQLite")
			}
		}
	})
}
