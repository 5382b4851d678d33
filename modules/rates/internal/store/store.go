// Package store keeps base currencies and exchange rates through bun, on SQLite
// and PostgreSQL alike. Rates are exact (TEXT on SQLite, NUMERIC(38,18) on
// PostgreSQL) and their day is the TEXT "YYYY-MM-DD" on both engines.
package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/modules/rates/internal/app"
	"github.com/kontor-app/kontor/modules/rates/internal/domain"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/money"
)

// Store is the bun implementation of app.Store.
type Store struct{ db *database.DB }

var _ app.Store = (*Store)(nil)

// New returns a Store over db.
func New(db *database.DB) *Store { return &Store{db: db} }

type preferenceRow struct {
	bun.BaseModel `bun:"table:currency_preferences"`

	UserID       uuid.UUID `bun:"user_id,pk"`
	BaseCurrency string    `bun:"base_currency"`
	UpdatedAt    time.Time `bun:"updated_at"`
}

type rateRow struct {
	bun.BaseModel `bun:"table:exchange_rates"`

	ID            uuid.UUID    `bun:"id,pk"`
	UserID        uuid.UUID    `bun:"user_id"`
	Currency      string       `bun:"currency"`
	QuoteCurrency string       `bun:"quote_currency"`
	Rate          money.Amount `bun:"rate"`
	RateDate      string       `bun:"rate_date"`
	CreatedAt     time.Time    `bun:"created_at"`
	UpdatedAt     time.Time    `bun:"updated_at"`
}

func rowOf(r domain.Rate) *rateRow {
	return &rateRow{
		ID: r.ID, UserID: r.UserID, Currency: string(r.Currency), QuoteCurrency: string(r.Quote),
		Rate: r.Rate, RateDate: r.Date.Format(domain.DateLayout), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

func (r *rateRow) domain() domain.Rate {
	d, _ := time.Parse(domain.DateLayout, r.RateDate)
	return domain.Rate{
		ID: r.ID, UserID: r.UserID, Currency: money.Currency(r.Currency), Quote: money.Currency(r.QuoteCurrency),
		Rate: r.Rate, Date: d, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// BaseCurrency implements app.Store.
func (s *Store) BaseCurrency(ctx context.Context, userID uuid.UUID) (money.Currency, error) {
	var row preferenceRow
	err := s.db.Conn(ctx).NewSelect().Model(&row).Where("user_id = ?", userID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return money.Currency(row.BaseCurrency), nil
}

// SetBaseCurrency implements app.Store.
func (s *Store) SetBaseCurrency(ctx context.Context, userID uuid.UUID, c money.Currency, at time.Time) error {
	conn := s.db.Conn(ctx)
	if c == "" {
		_, err := conn.NewDelete().Model((*preferenceRow)(nil)).Where("user_id = ?", userID).Exec(ctx)
		return err
	}
	row := &preferenceRow{UserID: userID, BaseCurrency: string(c), UpdatedAt: at}
	_, err := conn.NewInsert().Model(row).
		On("CONFLICT (user_id) DO UPDATE").
		Set("base_currency = EXCLUDED.base_currency").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	return err
}

// Rates implements app.Store.
func (s *Store) Rates(ctx context.Context, userID uuid.UUID) ([]domain.Rate, error) {
	var rows []rateRow
	err := s.db.Conn(ctx).NewSelect().Model(&rows).Where("user_id = ?", userID).
		Order("rate_date DESC", "currency ASC", "quote_currency ASC").Scan(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Rate, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// Rate implements app.Store.
func (s *Store) Rate(ctx context.Context, id uuid.UUID) (domain.Rate, error) {
	var row rateRow
	err := s.db.Conn(ctx).NewSelect().Model(&row).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Rate{}, app.ErrNotFound
	}
	if err != nil {
		return domain.Rate{}, err
	}
	return row.domain(), nil
}

// InsertRate implements app.Store.
func (s *Store) InsertRate(ctx context.Context, r domain.Rate) error {
	_, err := s.db.Conn(ctx).NewInsert().Model(rowOf(r)).Exec(ctx)
	if database.IsUniqueViolation(err) {
		return app.ErrDuplicate
	}
	return err
}

// UpdateRate implements app.Store.
func (s *Store) UpdateRate(ctx context.Context, r domain.Rate) error {
	_, err := s.db.Conn(ctx).NewUpdate().Model(rowOf(r)).
		Column("currency", "quote_currency", "rate", "rate_date", "updated_at").WherePK().Exec(ctx)
	if database.IsUniqueViolation(err) {
		return app.ErrDuplicate
	}
	return err
}

// DeleteRate implements app.Store.
func (s *Store) DeleteRate(ctx context.Context, id uuid.UUID) error {
	_, err := s.db.Conn(ctx).NewDelete().Model((*rateRow)(nil)).Where("id = ?", id).Exec(ctx)
	return err
}
