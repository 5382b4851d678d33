package store

import (
	"context"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/platform/money"
)

// AmountKeyForTest exposes amountKey to the external test package.
func AmountKeyForTest(a money.Amount) string { return amountKey(a) }

// ListQueryForTest returns the SQL of one page of the account list.
func (s *Store) ListQueryForTest(q app.AccountQuery) string {
	var rows []accountRow
	sel, _ := s.listQuery(context.Background(), q, &rows)
	return sel.String()
}

// TransactionsQueryForTest returns the SQL of one page of entries.
func (s *Store) TransactionsQueryForTest(q app.TransactionQuery) string {
	var rows []transactionRow
	sel, _ := s.transactionsQuery(context.Background(), q, &rows)
	return sel.String()
}
