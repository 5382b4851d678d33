package store_test

import (
	"context"
	"testing"

	"github.com/kontor-app/kontor/modules/sandbox/internal/domain"
	"github.com/kontor-app/kontor/modules/sandbox/internal/store"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestInsertBulkMatchesDomain holds the engine-made bulk history to the Go formula,
// row by row, on both engines.
func TestInsertBulkMatchesDomain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		if err := st.InsertPersona(ctx, &store.Persona{Persona: domain.Bulk, Today: "2026-11-20", NextSeq: 1, NextTxn: 1}); err != nil {
			t.Fatal(err)
		}
		const n = 2500
		start := domain.Date("2024-02-27") // crosses a leap day
		if err := st.InsertBulk(ctx, domain.Bulk, domain.BulkAccountID, "txn_bulk_", string(start), n, domain.BulkPerDay, domain.BulkNames); err != nil {
			t.Fatal(err)
		}
		rows, err := st.Feed(ctx, domain.Bulk, 0, n+10)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != n {
			t.Fatalf("%d rows, want %d", len(rows), n)
		}
		for i, r := range rows {
			want := domain.BulkTxn(start, i)
			if r.ID != domain.TxnID(domain.Bulk, int64(i+1)) || r.Seq != int64(i+1) || r.AddedSeq != r.Seq || r.AccountID != want.AccountID ||
				r.AmountCents != want.Cents || r.Date != string(want.Date) || r.Description != want.Description || r.Pending || r.Removed || r.PendingTransactionID != nil {
				t.Fatalf("row %d: %+v, want %+v", i, r, want)
			}
		}
	})
}
