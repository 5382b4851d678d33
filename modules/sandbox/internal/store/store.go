// Package store keeps the sandbox bank's state in its own tables (sandbox_*): the
// personas' worlds, their change feed, the consents (grants) and the hashed codes and
// tokens. It works on both engines through bun.
package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/platform/database"
)

// Persona is a persona's world clock and counters.
type Persona struct {
	bun.BaseModel `bun:"table:sandbox_personas"`

	Persona   string `bun:"persona,pk"`
	Today     string `bun:"today,notnull"`
	NextSeq   int64  `bun:"next_seq,notnull"`
	NextTxn   int64  `bun:"next_txn,notnull"`
	APICalls  int64  `bun:"api_calls,notnull"`
	CreatedAt int64  `bun:"created_at,notnull"`
}

// Account is one account of a persona.
type Account struct {
	bun.BaseModel `bun:"table:sandbox_accounts"`

	ID           string `bun:"id,pk"`
	Persona      string `bun:"persona,notnull"`
	Position     int    `bun:"position,notnull"`
	Name         string `bun:"name,notnull"`
	Type         string `bun:"type,notnull"`
	Currency     string `bun:"currency,notnull"`
	Mask         string `bun:"mask,notnull"`
	OpeningCents int64  `bun:"opening_cents,notnull"`
	LimitCents   *int64 `bun:"limit_cents"`
}

// Txn is a transaction in its latest state.
type Txn struct {
	bun.BaseModel `bun:"table:sandbox_transactions"`

	ID                   string  `bun:"id,pk"`
	Persona              string  `bun:"persona,notnull"`
	AccountID            string  `bun:"account_id,notnull"`
	AmountCents          int64   `bun:"amount_cents,notnull"`
	Date                 string  `bun:"date,notnull"`
	Description          string  `bun:"description,notnull"`
	Pending              bool    `bun:"pending,notnull"`
	PendingTransactionID *string `bun:"pending_transaction_id"`
	Tag                  string  `bun:"tag,notnull"`
	AddedSeq             int64   `bun:"added_seq,notnull"`
	Seq                  int64   `bun:"seq,notnull"`
	Removed              bool    `bun:"removed,notnull"`
}

// Grant is one consent.
type Grant struct {
	bun.BaseModel `bun:"table:sandbox_grants"`

	ID        string `bun:"id,pk"`
	Persona   string `bun:"persona,notnull"`
	ClientID  string `bun:"client_id,notnull"`
	Scope     string `bun:"scope,notnull"`
	CreatedAt int64  `bun:"created_at,notnull"`
	RevokedAt *int64 `bun:"revoked_at"`
}

// Token kinds.
const (
	KindCode    = "code"
	KindAccess  = "access"
	KindRefresh = "refresh"
)

// Token is an authorization code, access token or refresh token, by its hash.
type Token struct {
	bun.BaseModel `bun:"table:sandbox_tokens"`

	Hash        string `bun:"hash,pk"`
	GrantID     string `bun:"grant_id,notnull"`
	Kind        string `bun:"kind,notnull"`
	RedirectURI string `bun:"redirect_uri,notnull"`
	ExpiresAt   int64  `bun:"expires_at,notnull"`
	UsedAt      *int64 `bun:"used_at"`
	CreatedAt   int64  `bun:"created_at,notnull"`
}

// TokenWithGrant is a token joined with its grant.
type TokenWithGrant struct {
	Token
	Persona   string `bun:"persona"`
	RevokedAt *int64 `bun:"revoked_at"`
}

// Store is the sandbox bank's persistence.
type Store struct {
	db *database.DB
}

// New returns a Store on db.
func New(db *database.DB) *Store { return &Store{db: db} }

// InTx runs fn in one transaction.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.RunInTx(ctx, func(ctx context.Context, _ bun.IDB) error { return fn(ctx) })
}

func (s *Store) conn(ctx context.Context) bun.IDB { return s.db.Conn(ctx) }

// Persona returns the persona's row, locked for the transaction on PostgreSQL when
// lock is set (SQLite transactions are already exclusive), or nil when the world
// does not exist yet.
func (s *Store) Persona(ctx context.Context, persona string, lock bool) (*Persona, error) {
	p := new(Persona)
	q := s.conn(ctx).NewSelect().Model(p).Where("persona = ?", persona)
	if lock && s.db.Dialect == database.Postgres {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	return p, nil
}

// InsertPersona creates a persona's row.
func (s *Store) InsertPersona(ctx context.Context, p *Persona) error {
	_, err := s.conn(ctx).NewInsert().Model(p).Exec(ctx)
	return err
}

// SavePersona writes the persona's clock and counters.
func (s *Store) SavePersona(ctx context.Context, p *Persona) error {
	_, err := s.conn(ctx).NewUpdate().Model(p).Column("today", "next_seq", "next_txn").WherePK().Exec(ctx)
	return err
}

// CountCall adds one to the persona's API call counter and returns the new count.
func (s *Store) CountCall(ctx context.Context, persona string) (int64, error) {
	var n int64
	err := s.conn(ctx).NewUpdate().Model((*Persona)(nil)).
		Set("api_calls = api_calls + 1").Where("persona = ?", persona).
		Returning("api_calls").Scan(ctx, &n)
	return n, err
}

// InsertAccounts stores accounts.
func (s *Store) InsertAccounts(ctx context.Context, accs []Account) error {
	if len(accs) == 0 {
		return nil
	}
	_, err := s.conn(ctx).NewInsert().Model(&accs).Exec(ctx)
	return err
}

// BatchSize is how many transactions one INSERT carries.
const BatchSize = 2000

// InsertTxns stores transactions, BatchSize rows per statement.
func (s *Store) InsertTxns(ctx context.Context, txns []Txn) error {
	for len(txns) > 0 {
		n := min(len(txns), BatchSize)
		batch := txns[:n]
		if _, err := s.conn(ctx).NewInsert().Model(&batch).Exec(ctx); err != nil {
			return err
		}
		txns = txns[n:]
	}
	return nil
}

// InsertBulk creates the bulk persona's history inside the database in one statement:
// the same rows domain.BulkTxn describes (a test holds the two together), made
// by the engine instead of shipped from Go, so 100,000 rows take a moment. Row i
// (0-based) gets id idPrefix+(i+1), change position i+1, and is booked on start plus
// i/perDay days.
func (s *Store) InsertBulk(ctx context.Context, persona, accountID, idPrefix, start string, count, perDay int, names []string) error {
	date := "date(?, '+' || (i / ?) || ' days')"
	if s.db.Dialect == database.Postgres {
		date = "to_char(CAST(? AS date) + (i / ?)::int, 'YYYY-MM-DD')"
	}
	var name strings.Builder
	name.WriteString("CASE i % " + strconv.Itoa(len(names)))
	for k, n := range names {
		name.WriteString(" WHEN " + strconv.Itoa(k) + " THEN '" + strings.ReplaceAll(n, "'", "''") + "'")
	}
	name.WriteString(" END")
	q := `INSERT INTO sandbox_transactions
		(id, persona, account_id, amount_cents, date, description, pending, pending_transaction_id, tag, added_seq, seq, removed)
		WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
		SELECT ? || CAST(i + 1 AS TEXT), ?, ?,
			CASE WHEN i % ? = 0 THEN 400000 + (i % 7) * 1000 ELSE -(100 + (i * 7919) % 9000) END,
			` + date + `,
			CASE WHEN i % ? = 0 THEN 'Initech Payroll' ELSE ` + name.String() + ` || ' #' || CAST(i AS TEXT) END,
			FALSE, NULL, '', i + 1, i + 1, FALSE
		FROM s`
	_, err := s.conn(ctx).ExecContext(ctx, q, count-1, idPrefix, persona, accountID, perDay, start, perDay, perDay)
	return err
}

// Analyze refreshes the planner's statistics after a bulk load (PostgreSQL only; SQLite
// needs none for these indexed reads).
func (s *Store) Analyze(ctx context.Context) error {
	if s.db.Dialect != database.Postgres {
		return nil
	}
	_, err := s.conn(ctx).ExecContext(ctx, "ANALYZE sandbox_transactions")
	return err
}

// Accounts returns a persona's accounts in their order.
func (s *Store) Accounts(ctx context.Context, persona string) ([]Account, error) {
	var out []Account
	err := s.conn(ctx).NewSelect().Model(&out).Where("persona = ?", persona).Order("position").Scan(ctx)
	return out, err
}

// Sums are an account's posted and pending totals in cents.
type Sums struct {
	Posted, Pending int64
}

// Sums returns, per account of persona, the sum of its live posted and pending
// transactions, added exactly by the engine.
func (s *Store) Sums(ctx context.Context, persona string) (map[string]Sums, error) {
	var rows []struct {
		AccountID string `bun:"account_id"`
		Pending   bool   `bun:"pending"`
		Total     int64  `bun:"total"`
	}
	err := s.conn(ctx).NewSelect().Model((*Txn)(nil)).
		Column("account_id", "pending").ColumnExpr("COALESCE(SUM(amount_cents), 0) AS total").
		Where("persona = ?", persona).Where("removed = ?", false).
		Group("account_id", "pending").Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := map[string]Sums{}
	for _, r := range rows {
		v := out[r.AccountID]
		if r.Pending {
			v.Pending += r.Total
		} else {
			v.Posted += r.Total
		}
		out[r.AccountID] = v
	}
	return out, nil
}

// Feed returns up to limit transactions of persona changed after seq, in change order.
func (s *Store) Feed(ctx context.Context, persona string, after int64, limit int) ([]Txn, error) {
	var out []Txn
	err := s.conn(ctx).NewSelect().Model(&out).
		Where("persona = ?", persona).Where("seq > ?", after).
		Order("seq").Limit(int64(limit)).Scan(ctx)
	return out, err
}

// Pending returns persona's live pending transactions, oldest first.
func (s *Store) Pending(ctx context.Context, persona string) ([]Txn, error) {
	var out []Txn
	err := s.conn(ctx).NewSelect().Model(&out).
		Where("persona = ?", persona).Where("pending = ?", true).Where("removed = ?", false).
		Order("date", "seq").Scan(ctx)
	return out, err
}

// LatestPosted returns persona's live posted transaction with the latest change
// whose description does not end in suffix, or nil.
func (s *Store) LatestPosted(ctx context.Context, persona, suffix string) (*Txn, error) {
	t := new(Txn)
	err := s.conn(ctx).NewSelect().Model(t).
		Where("persona = ?", persona).Where("pending = ?", false).Where("removed = ?", false).
		Where("description NOT LIKE ?", "%"+suffix).
		Order("seq DESC").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return t, err
}

// Describe changes a transaction's description at change seq.
func (s *Store) Describe(ctx context.Context, id, description string, seq int64) error {
	_, err := s.conn(ctx).NewUpdate().Model((*Txn)(nil)).
		Set("description = ?", description).Set("seq = ?", seq).Where("id = ?", id).Exec(ctx)
	return err
}

// Remove marks a transaction removed at change seq.
func (s *Store) Remove(ctx context.Context, id string, seq int64) error {
	_, err := s.conn(ctx).NewUpdate().Model((*Txn)(nil)).
		Set("removed = ?", true).Set("seq = ?", seq).Where("id = ?", id).Exec(ctx)
	return err
}

// InsertGrant stores a consent.
func (s *Store) InsertGrant(ctx context.Context, g *Grant) error {
	_, err := s.conn(ctx).NewInsert().Model(g).Exec(ctx)
	return err
}

// RevokeGrant revokes one grant.
func (s *Store) RevokeGrant(ctx context.Context, id string, now int64) error {
	_, err := s.conn(ctx).NewUpdate().Model((*Grant)(nil)).
		Set("revoked_at = ?", now).Where("id = ?", id).Where("revoked_at IS NULL").Exec(ctx)
	return err
}

// RevokePersona revokes every live grant of persona and returns how many.
func (s *Store) RevokePersona(ctx context.Context, persona string, now int64) (int64, error) {
	res, err := s.conn(ctx).NewUpdate().Model((*Grant)(nil)).
		Set("revoked_at = ?", now).Where("persona = ?", persona).Where("revoked_at IS NULL").Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// InsertToken stores a hashed code or token.
func (s *Store) InsertToken(ctx context.Context, t *Token) error {
	_, err := s.conn(ctx).NewInsert().Model(t).Exec(ctx)
	return err
}

// Token returns the token with hash and kind together with its grant, or nil.
func (s *Store) Token(ctx context.Context, hash, kind string) (*TokenWithGrant, error) {
	out := new(TokenWithGrant)
	err := s.conn(ctx).NewSelect().
		TableExpr("sandbox_tokens AS t").
		Join("JOIN sandbox_grants AS g ON g.id = t.grant_id").
		ColumnExpr("t.hash, t.grant_id, t.kind, t.redirect_uri, t.expires_at, t.used_at, t.created_at, g.persona, g.revoked_at").
		Where("t.hash = ?", hash).Where("t.kind = ?", kind).
		Scan(ctx, out)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return out, err
}

// UseToken marks a code or refresh token used, and reports false when it already was
// (another request used it first).
func (s *Store) UseToken(ctx context.Context, hash string, now int64) (bool, error) {
	res, err := s.conn(ctx).NewUpdate().Model((*Token)(nil)).
		Set("used_at = ?", now).Where("hash = ?", hash).Where("used_at IS NULL").Exec(ctx)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
