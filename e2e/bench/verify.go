package bench

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/money"
)

// ledgerSums is what VerifyLedger adds up for one account.
type ledgerSums struct {
	balance, ledger, deltas        money.Amount
	count, ledgerCount, deltaCount int64
	key                            string
}

// VerifyLedger checks what modules/accounts/internal/store.VerifyLedger checks, the
// same way (every row read and summed exactly in Go, as SQLite keeps amounts as
// text): each account's balance equals the sum of its entries and the sum of its
// daily deltas, and its transaction count the number of its entries and the sum
// of its deltas' counts. It also checks what the seeder alone could get wrong: each
// balance_key encodes its balance, and each transfer's two legs point back at it
// with the right types. It returns a description of the first few problems.
func VerifyLedger(ctx context.Context, db *database.DB) error {
	sums := map[uuid.UUID]*ledgerSums{}
	var order []uuid.UUID
	rows, err := db.QueryContext(ctx, "SELECT id, balance_amount, balance_key, transaction_count FROM accounts")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id uuid.UUID
		s := &ledgerSums{}
		if err := rows.Scan(&id, &s.balance, &s.key, &s.count); err != nil {
			rows.Close()
			return err
		}
		sums[id] = s
		order = append(order, id)
	}
	if err := closeRows(rows); err != nil {
		return err
	}
	rows, err = db.QueryContext(ctx, "SELECT account_id, amount FROM transactions")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id uuid.UUID
		var amount money.Amount
		if err := rows.Scan(&id, &amount); err != nil {
			rows.Close()
			return err
		}
		if s := sums[id]; s != nil {
			s.ledger = s.ledger.Add(amount)
			s.ledgerCount++
		}
	}
	if err := closeRows(rows); err != nil {
		return err
	}
	rows, err = db.QueryContext(ctx, "SELECT account_id, delta, tx_count FROM account_daily_deltas")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id uuid.UUID
		var delta money.Amount
		var n int64
		if err := rows.Scan(&id, &delta, &n); err != nil {
			rows.Close()
			return err
		}
		if s := sums[id]; s != nil {
			s.deltas = s.deltas.Add(delta)
			s.deltaCount += n
		}
	}
	if err := closeRows(rows); err != nil {
		return err
	}
	var problems []string
	for _, id := range order {
		s := sums[id]
		if !s.balance.Equal(s.ledger) || !s.balance.Equal(s.deltas) || s.count != s.ledgerCount || s.ledgerCount != s.deltaCount {
			problems = append(problems, fmt.Sprintf("account %s: balance %s, ledger %s, deltas %s; count %d, ledger %d, deltas %d",
				id, s.balance, s.ledger, s.deltas, s.count, s.ledgerCount, s.deltaCount))
		}
		if s.key != s.balance.SortKey() {
			problems = append(problems, fmt.Sprintf("account %s: balance_key %q does not encode %s", id, s.key, s.balance))
		}
	}
	var badTransfers int
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM transfers t
JOIN transactions o ON o.id = t.source_transaction_id
JOIN transactions i ON i.id = t.destination_transaction_id
WHERE o.transfer_id <> t.id OR i.transfer_id <> t.id OR o.type <> 'transfer_out' OR i.type <> 'transfer_in'
   OR o.account_id <> t.source_account_id OR i.account_id <> t.destination_account_id`).Scan(&badTransfers)
	if err != nil {
		return err
	}
	if badTransfers > 0 {
		problems = append(problems, fmt.Sprintf("%d transfers whose legs do not match them", badTransfers))
	}
	if len(problems) == 0 {
		return nil
	}
	if len(problems) > 5 {
		problems = append(problems[:5], fmt.Sprintf("and %d more", len(problems)-5))
	}
	return fmt.Errorf("ledger invariant broken:\n%s", strings.Join(problems, "\n"))
}

type closer interface {
	Close() error
	Err() error
}

func closeRows(rows closer) error {
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}
