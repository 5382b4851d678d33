package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/money"
)

// StreamLedger calls fn with each entry of the account booked in [from, to), in
// booking order, from one query ordered by the (account_id, booked_at, id) index
// whose rows are scanned one at a time. Keyset pages would cost a query per page,
// and on SQLite each page's (booked_at, id) > (?, ?) condition rescanned the period
// from its start, so 100,000 entries took seconds instead of well under one.
//
// A statement reads a hundred thousand rows, and on SQLite every column of every
// row costs several calls into the driver, so each row costs as little as it can:
// database/sql scans it without bun's reflection; account_id, user_id and currency,
// the same on every row (an account's entries are in its currency, which cannot
// change once it has any), are read once from the account; and the two timestamps
// come as text, parsed by parseInstant, because the driver's own parse tries a
// failing layout first and cost more than reading four more columns.
func (s *Store) StreamLedger(ctx context.Context, accountID uuid.UUID, from, to time.Time, fn func(domain.Transaction) error) error {
	var account struct {
		UserID   uuid.UUID `bun:"user_id"`
		Currency string    `bun:"currency"`
	}
	err := s.db.Conn(ctx).NewSelect().Table("accounts").Column("user_id", "currency").Where("id = ?", accountID).Scan(ctx, &account)
	if database.IsNoRows(err) {
		return nil
	}
	if err != nil {
		return apperr.Wrap(err, "read the streamed account")
	}
	rows, err := s.streamQuery(ctx, accountID, from, to).Rows(ctx)
	if err != nil {
		return apperr.Wrap(err, "stream transactions")
	}
	defer rows.Close()
	scan := newEntryScanner()
	for rows.Next() {
		t, err := scan.next(rows)
		if err != nil {
			return apperr.Wrap(err, "scan transaction")
		}
		t.AccountID, t.UserID, t.Currency = accountID, account.UserID, money.Currency(account.Currency)
		if err := fn(t); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return apperr.Wrap(err, "stream transactions")
	}
	return nil
}

// streamQuery selects the columns entryScanner reads, in its order.
func (s *Store) streamQuery(ctx context.Context, accountID uuid.UUID, from, to time.Time) *bun.SelectQuery {
	bookedAt, createdAt := "booked_at", "created_at"
	if !s.postgres() {
		// A cast has no declared type, so the driver hands over the text as it is.
		bookedAt, createdAt = "CAST(booked_at AS TEXT)", "CAST(created_at AS TEXT)"
	}
	return s.db.Conn(ctx).NewSelect().TableExpr("transactions").
		Column("id", "external_id", "provider_transaction_id", "type", "amount", "description", "counterparty", "status").
		ColumnExpr(bookedAt).Column("transfer_id").ColumnExpr(createdAt).
		Where("account_id = ?", accountID).
		Where("booked_at >= ?", from.UTC()).Where("booked_at < ?", to.UTC()).
		OrderExpr("booked_at ASC, id ASC")
}

// entryScanner reads the rows of streamQuery into entries, without the account's
// fields. Its destinations are made once per stream: handed to rows.Scan, values
// escape to the heap, and making them per row was an allocation of each per row.
type entryScanner struct {
	t                                    domain.Transaction
	externalID, providerID, counterparty sql.NullString
	typ, status                          string
	bookedAt, createdAt                  instant
	dest                                 []any
}

func newEntryScanner() *entryScanner {
	s := &entryScanner{}
	s.dest = []any{&s.t.ID, &s.externalID, &s.providerID, &s.typ, &s.t.Amount,
		&s.t.Description, &s.counterparty, &s.status, &s.bookedAt, &s.t.TransferID, &s.createdAt}
	return s
}

// next scans the current row; every destination is overwritten, NULLs included.
func (s *entryScanner) next(rows *sql.Rows) (domain.Transaction, error) {
	if err := rows.Scan(s.dest...); err != nil {
		return domain.Transaction{}, err
	}
	t := s.t
	t.ExternalID, t.ProviderTransactionID, t.Counterparty = s.externalID.String, s.providerID.String, s.counterparty.String
	t.Type, t.Status = domain.TransactionType(s.typ), domain.TransactionStatus(s.status)
	t.BookedAt, t.CreatedAt = s.bookedAt.Time, s.createdAt.Time
	return t, nil
}

// instant reads a timestamp, in UTC, from a time (PostgreSQL) or text (SQLite).
type instant struct{ time.Time }

// Scan reads a time or its text.
func (t *instant) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		t.Time = v.UTC()
		return nil
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	}
	return fmt.Errorf("cannot scan %T into a time", src)
}

// instantLayouts are the other forms of a timestamp the SQLite driver accepts.
var instantLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

func (t *instant) parse(s string) error {
	if v, ok := parseInstant(s); ok {
		t.Time = v
		return nil
	}
	for _, layout := range instantLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return fmt.Errorf("cannot read %q as a time", s)
}

// parseInstant reads the form bun writes, "2006-01-02 15:04:05.999999-07:00" (a
// 'T' for the space, up to nine fractional digits, and "Z" or no zone for UTC
// allowed too), in a tenth of time.Parse's time; ok is false for anything else.
func parseInstant(s string) (_ time.Time, ok bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := atoi(s[0:4])
	month, ok2 := atoi(s[5:7])
	day, ok3 := atoi(s[8:10])
	hour, ok4 := atoi(s[11:13])
	minute, ok5 := atoi(s[14:16])
	sec, ok6 := atoi(s[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest, nsec := s[19:], 0
	if rest != "" && rest[0] == '.' {
		n := 1
		for n < len(rest) && n <= 9 && '0' <= rest[n] && rest[n] <= '9' {
			nsec = nsec*10 + int(rest[n]-'0')
			n++
		}
		if n == 1 || (n < len(rest) && '0' <= rest[n] && rest[n] <= '9') {
			return time.Time{}, false
		}
		for k := n; k <= 9; k++ {
			nsec *= 10
		}
		rest = rest[n:]
	}
	offset := 0
	switch {
	case rest == "" || rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		hh, okH := atoi(rest[1:3])
		mm, okM := atoi(rest[4:6])
		if !okH || !okM || hh > 23 || mm > 59 {
			return time.Time{}, false
		}
		offset = hh*3600 + mm*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	v := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if v.Day() != day {
		return time.Time{}, false // a day the month does not have, such as February 30
	}
	return v.Add(-time.Duration(offset) * time.Second), true
}

// atoi reads a short run of decimal digits.
func atoi(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
