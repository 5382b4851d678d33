package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/money"
)

// accountSortColumns maps each sort of the account list to the indexed column it
// walks; every index is (user_id, column, id).
var accountSortColumns = map[string]string{
	app.SortSortOrder: "sort_order",
	app.SortName:      "name_key",
	app.SortBalance:   "balance_key",
	app.SortCreatedAt: "created_at",
}

// filterAccounts adds f's conditions to q.
func filterAccounts(q *bun.SelectQuery, f app.AccountFilter) *bun.SelectQuery {
	q = q.Where("user_id = ?", f.UserID)
	if f.ActiveOnly {
		q = q.Where("status = ?", string(domain.StatusActive))
	}
	if len(f.Types) > 0 {
		types := make([]string, len(f.Types))
		for i, t := range f.Types {
			types[i] = string(t)
		}
		q = q.Where("account_type IN (?)", bun.In(types))
	}
	if len(f.Statuses) > 0 {
		statuses := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			statuses[i] = string(st)
		}
		q = q.Where("status IN (?)", bun.In(statuses))
	}
	if f.Currency != "" {
		q = q.Where("currency = ?", string(f.Currency))
	}
	if f.ConnectionID.Valid {
		q = q.Where("connection_id = ?", f.ConnectionID.UUID)
	}
	if f.Manual != nil {
		if *f.Manual {
			q = q.Where("connection_id IS NULL")
		} else {
			q = q.Where("connection_id IS NOT NULL")
		}
	}
	if f.MinBalance != nil {
		q = q.Where("balance_key >= ?", f.MinBalance.SortKey())
	}
	if f.MaxBalance != nil {
		q = q.Where("balance_key <= ?", f.MaxBalance.SortKey())
	}
	if f.CreatedAfter != nil {
		q = q.Where("created_at >= ?", f.CreatedAfter.UTC())
	}
	if f.CreatedBefore != nil {
		q = q.Where("created_at < ?", f.CreatedBefore.UTC())
	}
	if f.NameContains != "" {
		q = q.Where(`name_key LIKE ? ESCAPE '\'`, likePattern(f.NameContains))
	}
	if !f.IncludeArchived {
		q = q.Where("archived_at IS NULL")
	}
	return q
}

// List returns one page of accounts: every favourite first, then the other
// accounts, each part in the sort's order. Each part is its own keyset walk of an
// index (user_id, is_favourite, sort column, id), so neither engine sorts: the
// favourites are read first, and the other accounts only when the page has room
// left (one query for most pages, two where the parts meet). A cursor past the
// favourites skips their query.
func (s *Store) List(ctx context.Context, q app.AccountQuery) (app.AccountPage, error) {
	var rows []accountRow
	if q.After == nil || q.After.Favourite {
		sel, err := s.listQuery(ctx, q, true, q.Limit, &rows)
		if err != nil {
			return app.AccountPage{}, err
		}
		if err := sel.Scan(ctx); err != nil {
			return app.AccountPage{}, apperr.Wrap(err, "list accounts")
		}
		// The other accounts start at their beginning.
		q.After = nil
	}
	if len(rows) <= q.Limit {
		var others []accountRow
		sel, err := s.listQuery(ctx, q, false, q.Limit-len(rows), &others)
		if err != nil {
			return app.AccountPage{}, err
		}
		if err := sel.Scan(ctx); err != nil {
			return app.AccountPage{}, apperr.Wrap(err, "list accounts")
		}
		rows = append(rows, others...)
	}
	page := app.AccountPage{HasMore: len(rows) > q.Limit}
	if page.HasMore {
		rows = rows[:q.Limit]
	}
	page.Accounts = make([]domain.Account, 0, len(rows))
	for i := range rows {
		a, err := s.domainAccount(&rows[i])
		if err != nil {
			return app.AccountPage{}, err
		}
		page.Accounts = append(page.Accounts, a)
	}
	return page, nil
}

// listQuery builds the keyset query of up to limit+1 accounts whose favourite
// flag is favourite: it walks the index (user_id, is_favourite, sort column, id)
// from the cursor on.
func (s *Store) listQuery(ctx context.Context, q app.AccountQuery, favourite bool, limit int, rows *[]accountRow) (*bun.SelectQuery, error) {
	col, ok := accountSortColumns[q.Sort.Field]
	if !ok {
		col = "sort_order"
	}
	sel := filterAccounts(s.db.Conn(ctx).NewSelect().Model(rows), q.AccountFilter).Where("is_favourite = ?", favourite)
	dir, cmp := "ASC", ">"
	if q.Sort.Desc {
		dir, cmp = "DESC", "<"
	}
	if q.After != nil {
		value, err := keysetValue(q.Sort.Field, q.After.Value)
		if err != nil {
			return nil, apperr.New(apperr.InvalidCursor, "The cursor is not one this list handed out; start again without it.")
		}
		sel = sel.Where("(?, id) "+cmp+" (?, ?)", bun.Ident(col), value, q.After.ID)
	}
	return sel.OrderExpr("? "+dir+", id "+dir, bun.Ident(col)).Limit(int64(limit) + 1), nil
}

// keysetValue turns a cursor's sort value into the value the sort column holds.
func keysetValue(field, v string) (any, error) {
	switch field {
	case app.SortBalance:
		a, err := money.Parse(v)
		if err != nil {
			return nil, err
		}
		return a.SortKey(), nil
	case app.SortCreatedAt:
		return time.Parse(time.RFC3339Nano, v)
	case app.SortName:
		return v, nil
	}
	return strconv.Atoi(v)
}

// Summarize counts and totals every matching account. PostgreSQL sums NUMERIC
// exactly; SQLite keeps amounts as text, so its totals are summed exactly in Go.
func (s *Store) Summarize(ctx context.Context, f app.AccountFilter) (app.AccountSummary, error) {
	out := app.AccountSummary{TotalBalanceByCurrency: map[money.Currency]money.Amount{}}
	if s.postgres() {
		var groups []struct {
			Currency string       `bun:"currency"`
			Total    int64        `bun:"total"`
			Active   int64        `bun:"active"`
			Balance  money.Amount `bun:"balance"`
		}
		q := s.db.Conn(ctx).NewSelect().Table("accounts").
			ColumnExpr("currency, count(*) AS total, count(*) FILTER (WHERE status = 'active') AS active, sum(balance_amount) AS balance").
			Group("currency")
		if err := filterAccounts(q, f).Scan(ctx, &groups); err != nil {
			return out, apperr.Wrap(err, "summarize accounts")
		}
		for _, g := range groups {
			out.TotalCount += g.Total
			out.ActiveCount += g.Active
			out.TotalBalanceByCurrency[money.Currency(g.Currency)] = g.Balance
		}
		return out, nil
	}
	// SQLite counts and groups; the balances of each currency come back as one
	// comma-joined text (canonical decimals hold no comma), because reading a row per
	// account through database/sql cost more than the whole query, and are added
	// exactly by balanceSum.
	var groups []struct {
		Currency string `bun:"currency"`
		Total    int64  `bun:"total"`
		Active   int64  `bun:"active"`
		Balances string `bun:"balances"`
	}
	q := s.db.Conn(ctx).NewSelect().Table("accounts").
		ColumnExpr("currency, count(*) AS total, sum(status = 'active') AS active, group_concat(balance_amount, ',') AS balances").
		Group("currency")
	if err := filterAccounts(q, f).Scan(ctx, &groups); err != nil {
		return out, apperr.Wrap(err, "summarize accounts")
	}
	for _, g := range groups {
		out.TotalCount += g.Total
		out.ActiveCount += g.Active
		var sum balanceSum
		for _, v := range strings.Split(g.Balances, ",") {
			if err := sum.add(v); err != nil {
				return out, apperr.Wrap(err, "summarize accounts: balance %q", v)
			}
		}
		out.TotalBalanceByCurrency[money.Currency(g.Currency)] = sum.total()
	}
	return out, nil
}

// SummarizeByType counts and totals every matching account per account type, in
// one grouped query, for a page that shows subtotals under its headings.
func (s *Store) SummarizeByType(ctx context.Context, f app.AccountFilter) (map[domain.AccountType]app.TypeSummary, error) {
	out := map[domain.AccountType]app.TypeSummary{}
	add := func(typ, currency string, count int64, balance money.Amount) {
		t := out[domain.AccountType(typ)]
		if t.Balances == nil {
			t.Balances = map[money.Currency]money.Amount{}
		}
		t.Count += count
		t.Balances[money.Currency(currency)] = t.Balances[money.Currency(currency)].Add(balance)
		out[domain.AccountType(typ)] = t
	}
	if s.postgres() {
		var groups []struct {
			Type     string       `bun:"account_type"`
			Currency string       `bun:"currency"`
			Total    int64        `bun:"total"`
			Balance  money.Amount `bun:"balance"`
		}
		q := s.db.Conn(ctx).NewSelect().Table("accounts").
			ColumnExpr("account_type, currency, count(*) AS total, sum(balance_amount) AS balance").
			Group("account_type", "currency")
		if err := filterAccounts(q, f).Scan(ctx, &groups); err != nil {
			return nil, apperr.Wrap(err, "summarize accounts by type")
		}
		for _, g := range groups {
			add(g.Type, g.Currency, g.Total, g.Balance)
		}
		return out, nil
	}
	var groups []struct {
		Type     string `bun:"account_type"`
		Currency string `bun:"currency"`
		Total    int64  `bun:"total"`
		Balances string `bun:"balances"`
	}
	q := s.db.Conn(ctx).NewSelect().Table("accounts").
		ColumnExpr("account_type, currency, count(*) AS total, group_concat(balance_amount, ',') AS balances").
		Group("account_type", "currency")
	if err := filterAccounts(q, f).Scan(ctx, &groups); err != nil {
		return nil, apperr.Wrap(err, "summarize accounts by type")
	}
	for _, g := range groups {
		var sum balanceSum
		for _, v := range strings.Split(g.Balances, ",") {
			if err := sum.add(v); err != nil {
				return nil, apperr.Wrap(err, "summarize accounts by type: balance %q", v)
			}
		}
		add(g.Type, g.Currency, g.Total, sum.total())
	}
	return out, nil
}

// ListTransactions returns one page of entries, newest first, in one query.
func (s *Store) ListTransactions(ctx context.Context, q app.TransactionQuery) (app.TransactionPage, error) {
	rows := make([]transactionRow, 0, q.Limit+1)
	sel, err := s.transactionsQuery(ctx, q, &rows)
	if err != nil {
		return app.TransactionPage{}, err
	}
	// The rows are scanned here, column by column in transactionPageColumns'
	// order, rather than by bun's reflection over the model (a hot path: every
	// page of every ledger).
	if rows, err = scanTransactionPage(ctx, sel, rows); err != nil {
		return app.TransactionPage{}, apperr.Wrap(err, "list transactions")
	}
	page := app.TransactionPage{HasMore: len(rows) > q.Limit}
	if page.HasMore {
		rows = rows[:q.Limit]
	}
	page.Transactions = make([]domain.Transaction, len(rows))
	for i := range rows {
		page.Transactions[i] = rows[i].toDomain()
	}
	return page, nil
}

// scanTransactionPage runs sel (which selects transactionPageColumns) and appends
// its rows to rows.
func scanTransactionPage(ctx context.Context, sel *bun.SelectQuery, rows []transactionRow) ([]transactionRow, error) {
	res, err := sel.Rows(ctx)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	for res.Next() {
		var r transactionRow
		var external, provider, counterparty sql.NullString
		if err := res.Scan(&r.ID, &r.AccountID, &r.UserID, &external, &provider, &r.Type, &r.Amount, &r.Currency,
			&r.Description, &counterparty, &r.Status, &r.BookedAt, &r.TransferID, &r.CreatedAt); err != nil {
			return nil, err
		}
		r.ExternalID, r.ProviderTransactionID, r.Counterparty = external.String, provider.String, counterparty.String
		rows = append(rows, r)
	}
	return rows, res.Err()
}

// transactionPageColumns are the columns of transactionRow that toDomain reads.
const transactionPageColumns = "id, account_id, user_id, external_id, provider_transaction_id, type, amount, currency, description, counterparty, status, booked_at, transfer_id, created_at"

// transactionsQuery builds the keyset query of one page of entries, newest first:
// one account walks (account_id, booked_at, id), the user's whole ledger
// (user_id, booked_at, id).
func (s *Store) transactionsQuery(ctx context.Context, q app.TransactionQuery, rows *[]transactionRow) (*bun.SelectQuery, error) {
	// The columns a page shows, unqualified, from the table without an alias: the
	// statement is about half as long as bun's default (every column qualified by
	// the model's alias, magnitude_key too), and SQLite parses every statement
	// anew (bun inlines the arguments), which was 40% of this query's cost.
	sel := s.db.Conn(ctx).NewSelect().Model(rows).ModelTableExpr("transactions").ColumnExpr(transactionPageColumns)
	switch len(q.AccountIDs) {
	case 0:
		sel = sel.Where("user_id = ?", q.UserID)
	case 1:
		// SQLite has no statistics (nothing runs ANALYZE), so it sees two equally good
		// indexes for account_id = ? AND user_id = ? and may walk (user_id, booked_at,
		// id) instead, filtering the user's whole ledger for one account's entries;
		// the unary plus keeps user_id a filter so only (account_id, booked_at, id)
		// qualifies. PostgreSQL's statistics pick the account index by themselves.
		userFilter := "user_id = ?"
		if !s.postgres() {
			userFilter = "+user_id = ?"
		}
		sel = sel.Where("account_id = ?", q.AccountIDs[0]).Where(userFilter, q.UserID)
	default:
		sel = sel.Where("user_id = ?", q.UserID).Where("account_id IN (?)", bun.In(q.AccountIDs))
	}
	if q.From != nil {
		sel = sel.Where("booked_at >= ?", q.From.UTC())
	}
	if q.To != nil {
		sel = sel.Where("booked_at < ?", q.To.UTC())
	}
	if len(q.Types) > 0 {
		types := make([]string, len(q.Types))
		for i, t := range q.Types {
			types[i] = string(t)
		}
		sel = sel.Where("type IN (?)", bun.In(types))
	}
	if q.Status != "" {
		sel = sel.Where("status = ?", string(q.Status))
	}
	if q.MinAmount != nil {
		sel = sel.Where("magnitude_key >= ?", q.MinAmount.Abs().SortKey())
	}
	if q.MaxAmount != nil {
		sel = sel.Where("magnitude_key <= ?", q.MaxAmount.Abs().SortKey())
	}
	if q.Contains != "" {
		p := likePattern(q.Contains)
		sel = sel.Where(`(lower(description) LIKE ? ESCAPE '\' OR lower(coalesce(counterparty, '')) LIKE ? ESCAPE '\')`, p, p)
	}
	if q.After != nil {
		t, err := time.Parse(time.RFC3339Nano, q.After.Value)
		if err != nil {
			return nil, apperr.New(apperr.InvalidCursor, "The cursor is not one this list handed out; start again without it.")
		}
		sel = sel.Where("(booked_at, id) < (?, ?)", t.UTC(), q.After.ID)
	}
	return sel.OrderExpr("booked_at DESC, id DESC").Limit(int64(q.Limit) + 1), nil
}

// TransactionsByProviderID returns the account's entries with the given provider
// transaction ids.
func (s *Store) TransactionsByProviderID(ctx context.Context, accountID uuid.UUID, ids []string) (map[string]domain.Transaction, error) {
	out := map[string]domain.Transaction{}
	for start := 0; start < len(ids); start += 500 {
		end := min(start+500, len(ids))
		var rows []transactionRow
		var err error
		if s.postgres() {
			// One index probe per id, whatever the statistics say: while a sync
			// fills a new account faster than autovacuum analyzes the table, the
			// planner believes the account holds a few rows and would otherwise
			// scan all of them and filter by id, on every page (quadratic). OFFSET 0
			// keeps the lateral subquery from being flattened into that plan.
			rows, err = s.transactionsByProviderIDPostgres(ctx, accountID, ids[start:end])
		} else {
			err = s.db.Conn(ctx).NewSelect().Model(&rows).Where("account_id = ?", accountID).
				Where("provider_transaction_id IN (?)", bun.In(ids[start:end])).Scan(ctx)
		}
		if err != nil {
			return nil, apperr.Wrap(err, "find provider transactions")
		}
		for i := range rows {
			out[rows[i].ProviderTransactionID] = rows[i].toDomain()
		}
	}
	return out, nil
}

// byProviderIDPostgres finds an account's entries by provider id on PostgreSQL: one
// index probe per id, whatever the statistics say (while a sync fills a new account
// faster than autovacuum analyzes the table, the planner believes the account holds
// a few rows and would otherwise scan all of them and filter by id, on every page:
// quadratic); OFFSET 0 keeps the lateral subquery from being flattened into that
// plan. The ids and the account are bound parameters, not inlined by bun as it
// inlines every value: pgx prepares a query and keeps it in the connection's
// statement cache under its text, so one text serves every page, where inlined ids
// made every page's look-up a statement of its own (prepared again, and kept in
// the Go process and the PostgreSQL backend until the cache evicted it).
const byProviderIDPostgres = `SELECT t.* FROM unnest($1::text[]) AS k(id)
CROSS JOIN LATERAL (SELECT * FROM transactions WHERE account_id = $2 AND provider_transaction_id = k.id OFFSET 0) AS t`

func (s *Store) transactionsByProviderIDPostgres(ctx context.Context, accountID uuid.UUID, ids []string) ([]transactionRow, error) {
	var rows []transactionRow
	err := s.db.ScanBound(ctx, &rows, byProviderIDPostgres, ids, accountID.String())
	return rows, err
}

// PendingProviderEntries returns the account's pending provider entries booked in
// [from, to), in booking order.
func (s *Store) PendingProviderEntries(ctx context.Context, accountID uuid.UUID, from, to time.Time) ([]domain.Transaction, error) {
	var rows []transactionRow
	err := s.db.Conn(ctx).NewSelect().Model(&rows).Where("account_id = ?", accountID).
		Where("provider_transaction_id IS NOT NULL").Where("status = ?", string(domain.Pending)).
		Where("booked_at >= ? AND booked_at < ?", from.UTC(), to.UTC()).OrderExpr("booked_at, id").Scan(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "find pending provider transactions")
	}
	out := make([]domain.Transaction, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// DailyDeltas returns the net change per currency and day on or after q.From.
func (s *Store) DailyDeltas(ctx context.Context, q app.DeltaQuery) ([]app.DayDelta, error) {
	var rows []struct {
		Currency string       `bun:"currency"`
		Day      day          `bun:"day"`
		Delta    money.Amount `bun:"delta"`
	}
	sel := s.db.Conn(ctx).NewSelect().TableExpr("account_daily_deltas AS d").
		Join("JOIN accounts AS a ON a.id = d.account_id").
		Where("d.day >= ?", day{q.From})
	if q.AccountID.Valid {
		sel = sel.Where("d.account_id = ?", q.AccountID.UUID)
	}
	if q.UserID.Valid {
		sel = sel.Where("a.user_id = ?", q.UserID.UUID)
	}
	if s.postgres() {
		sel = sel.ColumnExpr("a.currency AS currency, d.day AS day, sum(d.delta) AS delta").Group("a.currency", "d.day")
	} else {
		sel = sel.ColumnExpr("a.currency AS currency, d.day AS day, d.delta AS delta")
	}
	if err := sel.OrderExpr("d.day").Scan(ctx, &rows); err != nil {
		return nil, apperr.Wrap(err, "read daily deltas")
	}
	out := make([]app.DayDelta, 0, len(rows))
	index := map[string]int{}
	for _, r := range rows {
		key := r.Currency + "|" + r.Day.Format(time.DateOnly)
		if i, ok := index[key]; ok {
			out[i].Delta = out[i].Delta.Add(r.Delta)
			continue
		}
		index[key] = len(out)
		out = append(out, app.DayDelta{Currency: money.Currency(r.Currency), Day: r.Day.Time, Delta: r.Delta})
	}
	return out, nil
}
