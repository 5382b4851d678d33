package store

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/money"
)

var _ app.LedgerSeeder = (*Store)(nil)

// seedBatch is the rows of one multi-row INSERT while seeding.
const seedBatch = 1000

// dailyDeltaRow is one row of account_daily_deltas, for seeding.
type dailyDeltaRow struct {
	bun.BaseModel `bun:"table:account_daily_deltas"`

	AccountID uuid.UUID    `bun:"account_id"`
	Day       day          `bun:"day"`
	Delta     money.Amount `bun:"delta"`
	TxCount   int64        `bun:"tx_count"`
}

// seedTally is what the entries of one account add up to.
type seedTally struct {
	account *domain.Account
	deltas  map[string]*dayDelta
}

// SeedLedger writes seed in bulk (app.LedgerSeeder): the accounts, then the entries
// as they come (multi-row INSERTs on SQLite, COPY on PostgreSQL), the transfers,
// and then each account's balance, count, version and last change and the daily
// deltas, all computed from the entries as the use cases would have left them. On
// SQLite it is one transaction; on PostgreSQL it is not (COPY runs on its own
// connection), so seed an empty database and discard it if seeding fails.
func (s *Store) SeedLedger(ctx context.Context, seed app.LedgerSeed) (app.SeedResult, error) {
	tallies := make(map[uuid.UUID]*seedTally, len(seed.Accounts))
	accounts := make([]accountRow, len(seed.Accounts))
	for i, sa := range seed.Accounts {
		a := &domain.Account{
			ID: sa.ID, UserID: seed.UserID, AccountNumber: sa.AccountNumber, Name: sa.Name, Type: sa.Type,
			Currency: sa.Currency, Balance: money.FromInt(0), OverdraftLimit: money.FromInt(0), Status: sa.Status,
			IsFavourite: sa.IsFavourite, ShowInDashboard: true, CreatedAt: sa.CreatedAt, UpdatedAt: sa.CreatedAt,
			ArchivedAt: sa.ArchivedAt, Version: 1,
		}
		tallies[sa.ID] = &seedTally{account: a, deltas: map[string]*dayDelta{}}
		accounts[i] = toAccountRow(a)
	}
	var result app.SeedResult
	var failed error
	// rows turns the seed's entries into rows, tallying them; it stops at the first
	// entry of no seeded account.
	rows := func(yield func(transactionRow) bool) {
		for st, err := range seed.Transactions {
			if err != nil {
				failed = err
				return
			}
			t := tallies[st.AccountID]
			if t == nil {
				failed = fmt.Errorf("seed: entry %s names account %s, which is not in the seed", st.ID, st.AccountID)
				return
			}
			a := t.account
			a.Balance = a.Balance.Add(st.Amount)
			a.TransactionCount++
			if st.CreatedAt.After(a.UpdatedAt) {
				a.UpdatedAt = st.CreatedAt
			}
			key := st.BookedAt.UTC().Format(time.DateOnly)
			d := t.deltas[key]
			if d == nil {
				d = &dayDelta{delta: money.FromInt(0)}
				t.deltas[key] = d
			}
			d.delta = d.delta.Add(st.Amount)
			d.count++
			result.Transactions++
			row := toTransactionRow(&domain.Transaction{
				ID: st.ID, AccountID: st.AccountID, UserID: seed.UserID, Type: st.Type, Amount: st.Amount,
				Currency: a.Currency, Description: st.Description, Counterparty: st.Counterparty, Status: st.Status,
				BookedAt: st.BookedAt, TransferID: st.TransferID, CreatedAt: st.CreatedAt,
			})
			if !yield(row) {
				return
			}
		}
	}
	transfers := make([]transferRow, len(seed.Transfers))
	for i, t := range seed.Transfers {
		transfers[i] = transferRow{
			ID: t.ID, UserID: seed.UserID, SourceAccountID: t.SourceAccountID, DestinationAccountID: t.DestinationAccountID,
			SourceTransactionID: t.SourceTransactionID, DestinationTransactionID: t.DestinationTransactionID,
			Amount: t.Amount, Currency: string(t.Currency), CreatedAt: t.CreatedAt.UTC(),
		}
	}
	// finish writes what the entries added up to.
	finish := func(ctx context.Context, db bun.IDB) error {
		if failed != nil {
			return failed
		}
		if err := insertBatches(ctx, db, func(yield func(transferRow) bool) {
			for _, t := range transfers {
				if !yield(t) {
					return
				}
			}
		}); err != nil {
			return fmt.Errorf("insert transfers: %w", err)
		}
		var deltas []dailyDeltaRow
		for _, sa := range seed.Accounts {
			t := tallies[sa.ID]
			t.account.Version = max(1, t.account.TransactionCount)
			row := toAccountRow(t.account)
			if _, err := db.NewUpdate().Model(&row).Column("balance_amount", "balance_key", "transaction_count", "version", "updated_at").
				WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("update account %s: %w", sa.ID, err)
			}
			for key, d := range t.deltas {
				at, _ := time.Parse(time.DateOnly, key)
				deltas = append(deltas, dailyDeltaRow{AccountID: sa.ID, Day: day{at}, Delta: d.delta, TxCount: d.count})
			}
		}
		result.DailyDeltas = len(deltas)
		if err := insertBatches(ctx, db, func(yield func(dailyDeltaRow) bool) {
			for _, d := range deltas {
				if !yield(d) {
					return
				}
			}
		}); err != nil {
			return fmt.Errorf("insert daily deltas: %w", err)
		}
		return nil
	}

	insertAccounts := func(ctx context.Context, db bun.IDB) error {
		if err := insertBatches(ctx, db, func(yield func(accountRow) bool) {
			for _, a := range accounts {
				if !yield(a) {
					return
				}
			}
		}); err != nil {
			return fmt.Errorf("insert accounts: %w", err)
		}
		return nil
	}
	if s.postgres() {
		if err := insertAccounts(ctx, s.db.DB); err != nil {
			return result, err
		}
		if err := s.copyTransactions(ctx, rows); err != nil {
			return result, fmt.Errorf("copy transactions: %w", err)
		}
		return result, finish(ctx, s.db.DB)
	}
	conn, err := s.db.DB.Conn(ctx)
	if err != nil {
		return result, err
	}
	defer conn.Close()
	// A large page cache for the load only; the connection goes back to the pool
	// with SQLite's default.
	if _, err := conn.ExecContext(ctx, "PRAGMA cache_size = -1048576"); err != nil {
		return result, err
	}
	defer conn.ExecContext(context.Background(), "PRAGMA cache_size = -2000") //nolint:errcheck // best effort
	err = conn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := insertAccounts(ctx, tx); err != nil {
			return err
		}
		if err := insertBatches(ctx, tx, rows); err != nil {
			return fmt.Errorf("insert transactions: %w", err)
		}
		return finish(ctx, tx)
	})
	return result, err
}

// insertBatches inserts the rows with multi-row INSERTs of seedBatch rows.
func insertBatches[T any](ctx context.Context, db bun.IDB, rows func(func(T) bool)) error {
	batch := make([]T, 0, seedBatch)
	var err error
	flush := func() {
		if len(batch) > 0 && err == nil {
			_, err = db.NewInsert().Model(&batch).Exec(ctx)
			batch = batch[:0]
		}
	}
	for r := range rows {
		batch = append(batch, r)
		if len(batch) == seedBatch {
			if flush(); err != nil {
				return err
			}
		}
	}
	flush()
	return err
}

// copyTransactions streams rows into transactions with COPY ... FROM STDIN.
func (s *Store) copyTransactions(ctx context.Context, rows func(func(transactionRow) bool)) error {
	conn, err := s.db.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	pr, pw := io.Pipe()
	go func() {
		w := &copyWriter{w: bufio.NewWriterSize(pw, 1<<20)}
		for r := range rows {
			w.uuid(r.ID).uuid(r.AccountID).uuid(r.UserID).nullText(r.ExternalID).nullText(r.ProviderTransactionID).
				text(r.Type).text(r.Amount.String()).text(r.MagnitudeKey).text(r.Currency).text(r.Description).
				nullText(r.Counterparty).text(r.Status).time(r.BookedAt).nullUUID(r.TransferID).time(r.CreatedAt).end()
			if w.err != nil {
				break
			}
		}
		if w.err == nil {
			w.err = w.w.Flush()
		}
		pw.CloseWithError(w.err)
	}()
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("COPY needs a pgx connection, got %T", dc)
		}
		_, err := sc.Conn().PgConn().CopyFrom(ctx,
			pr, "COPY transactions (id, account_id, user_id, external_id, provider_transaction_id, type, amount, magnitude_key, currency, description, counterparty, status, booked_at, transfer_id, created_at) FROM STDIN")
		return err
	})
	_ = pr.CloseWithError(io.ErrClosedPipe)
	return err
}

// copyWriter writes rows in COPY's text format: tab-separated, \N for NULL,
// backslash escapes for the characters that need them.
type copyWriter struct {
	w     *bufio.Writer
	first bool
	err   error
}

var copyEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

func (c *copyWriter) field(s string) *copyWriter {
	if c.err != nil {
		return c
	}
	if c.first {
		c.err = c.w.WriteByte('\t')
	}
	c.first = true
	if c.err == nil {
		_, c.err = c.w.WriteString(s)
	}
	return c
}

func (c *copyWriter) text(s string) *copyWriter { return c.field(copyEscaper.Replace(s)) }

func (c *copyWriter) nullText(s string) *copyWriter {
	if s == "" {
		return c.field(`\N`)
	}
	return c.text(s)
}

func (c *copyWriter) uuid(u uuid.UUID) *copyWriter { return c.field(u.String()) }

func (c *copyWriter) nullUUID(u uuid.NullUUID) *copyWriter {
	if !u.Valid {
		return c.field(`\N`)
	}
	return c.uuid(u.UUID)
}

func (c *copyWriter) time(t time.Time) *copyWriter {
	return c.field(t.UTC().Format("2006-01-02 15:04:05.999999Z07:00"))
}

func (c *copyWriter) end() {
	if c.err == nil {
		c.err = c.w.WriteByte('\n')
	}
	c.first = false
}
