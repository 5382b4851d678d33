package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/money"
)

// LedgerMismatch describes an account whose stored balance disagrees with its ledger
// or with its daily deltas, or whose transaction count is off.
type LedgerMismatch struct {
	AccountID        uuid.UUID
	Balance          money.Amount
	LedgerSum        money.Amount
	DeltaSum         money.Amount
	TransactionCount int64
	LedgerCount      int64
	DeltaCount       int64
}

// String describes the mismatch for a test failure.
func (m LedgerMismatch) String() string {
	return fmt.Sprintf("account %s: balance %s, ledger %s, deltas %s; count %d, ledger %d, deltas %d",
		m.AccountID, m.Balance, m.LedgerSum, m.DeltaSum, m.TransactionCount, m.LedgerCount, m.DeltaCount)
}

// VerifyLedger checks the invariant of every account: its balance equals the sum of
// its transactions and the sum of its daily deltas, and its transaction count the
// number of its entries. It reads everything and sums in Go, exactly, so it is meant
// for tests and maintenance, not for requests.
func (s *Store) VerifyLedger(ctx context.Context) ([]LedgerMismatch, error) {
	var accounts []struct {
		ID      uuid.UUID    `bun:"id"`
		Balance money.Amount `bun:"balance_amount"`
		Count   int64        `bun:"transaction_count"`
	}
	db := s.db.Conn(ctx)
	if err := db.NewSelect().Table("accounts").Column("id", "balance_amount", "transaction_count").Scan(ctx, &accounts); err != nil {
		return nil, apperr.Wrap(err, "read accounts")
	}
	var entries []struct {
		AccountID  uuid.UUID    `bun:"account_id"`
		Amount     money.Amount `bun:"amount"`
		Status     string       `bun:"status"`
		ProviderID *string      `bun:"provider_transaction_id"`
	}
	if err := db.NewSelect().Table("transactions").Column("account_id", "amount", "status", "provider_transaction_id").Scan(ctx, &entries); err != nil {
		return nil, apperr.Wrap(err, "read transactions")
	}
	var deltas []struct {
		AccountID uuid.UUID    `bun:"account_id"`
		Delta     money.Amount `bun:"delta"`
		Count     int64        `bun:"tx_count"`
	}
	if err := db.NewSelect().Table("account_daily_deltas").Column("account_id", "delta", "tx_count").Scan(ctx, &deltas); err != nil {
		return nil, apperr.Wrap(err, "read daily deltas")
	}
	sums := map[uuid.UUID]*LedgerMismatch{}
	for _, a := range accounts {
		sums[a.ID] = &LedgerMismatch{AccountID: a.ID, Balance: a.Balance, TransactionCount: a.Count}
	}
	for _, e := range entries {
		if m := sums[e.AccountID]; m != nil {
			// A provider's pending entry is listed but does not move the balance.
			if !(e.Status == string(domain.Pending) && e.ProviderID != nil) {
				m.LedgerSum = m.LedgerSum.Add(e.Amount)
			}
			m.LedgerCount++
		}
	}
	for _, d := range deltas {
		if m := sums[d.AccountID]; m != nil {
			m.DeltaSum = m.DeltaSum.Add(d.Delta)
			m.DeltaCount += d.Count
		}
	}
	var out []LedgerMismatch
	for _, a := range accounts {
		m := sums[a.ID]
		if !m.Balance.Equal(m.LedgerSum) || !m.Balance.Equal(m.DeltaSum) ||
			m.TransactionCount != m.LedgerCount || m.LedgerCount != m.DeltaCount {
			out = append(out, *m)
		}
	}
	return out, nil
}
