package store

import (
	"context"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
)

// ListQueryForTest returns the SQL of one page of the account list: the query of
// its favourites or of its other accounts.
func (s *Store) ListQueryForTest(q app.AccountQuery, favourite bool) string {
	var rows []accountRow
	sel, _ := s.listQuery(context.Background(), q, favourite, q.Limit, &rows)
	return sel.String()
}

// TransactionsQueryForTest returns the SQL of one page of entries.
func (s *Store) TransactionsQueryForTest(q app.TransactionQuery) string {
	var rows []transactionRow
	sel, _ := s.transactionsQuery(context.Background(), q, &rows)
	return sel.String()
}
