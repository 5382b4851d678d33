package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/money"
)

// accountSums is what verifyLedger adds up for one account.
type accountSums struct {
	balance, ledger, deltas        money.Amount
	count, ledgerCount, deltaCount int64
}

// verifyLedger checks the accounts' invariant on db: each balance equals the sum of
// the account's transactions and of its daily deltas, and its transaction count the
// number of its entries. It sums every row exactly in Go, so it reads the whole
// ledger: it is for copies and maintenance, not for requests.
func verifyLedger(ctx context.Context, db *database.DB) error {
	sqldb := db.DB.DB
	sums := map[string]*accountSums{}
	var order []string
	err := eachRow(ctx, sqldb, "SELECT CAST(id AS TEXT), balance_amount, transaction_count FROM accounts", func(rows *sql.Rows) error {
		s := &accountSums{}
		var id string
		if err := rows.Scan(&id, &s.balance, &s.count); err != nil {
			return err
		}
		sums[id] = s
		order = append(order, id)
		return nil
	})
	if err != nil {
		return err
	}
	err = eachRow(ctx, sqldb, "SELECT CAST(account_id AS TEXT), amount FROM transactions", func(rows *sql.Rows) error {
		var id string
		var a money.Amount
		if err := rows.Scan(&id, &a); err != nil {
			return err
		}
		s := sums[id]
		if s == nil {
			return fmt.Errorf("a transaction belongs to account %s, which does not exist", id)
		}
		s.ledger = s.ledger.Add(a)
		s.ledgerCount++
		return nil
	})
	if err != nil {
		return err
	}
	err = eachRow(ctx, sqldb, "SELECT CAST(account_id AS TEXT), delta, tx_count FROM account_daily_deltas", func(rows *sql.Rows) error {
		var id string
		var d money.Amount
		var n int64
		if err := rows.Scan(&id, &d, &n); err != nil {
			return err
		}
		if s := sums[id]; s != nil {
			s.deltas = s.deltas.Add(d)
			s.deltaCount += n
		}
		return nil
	})
	if err != nil {
		return err
	}
	var bad []string
	for _, id := range order {
		s := sums[id]
		if !s.balance.Equal(s.ledger) || !s.balance.Equal(s.deltas) || s.count != s.ledgerCount || s.ledgerCount != s.deltaCount {
			bad = append(bad, fmt.Sprintf("account %s: balance %s, ledger %s, daily deltas %s; count %d, entries %d, delta count %d",
				id, s.balance, s.ledger, s.deltas, s.count, s.ledgerCount, s.deltaCount))
		}
	}
	if len(bad) > 0 {
		if len(bad) > 5 {
			bad = append(bad[:5], fmt.Sprintf("and %d more", len(bad)-5))
		}
		return fmt.Errorf("ledger invariant broken: %s", strings.Join(bad, "; "))
	}
	return nil
}

func eachRow(ctx context.Context, db *sql.DB, query string, fn func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
