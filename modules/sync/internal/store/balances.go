package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/modules/sync/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/money"
)

type snapshotRow struct {
	bun.BaseModel `bun:"table:sync_balance_snapshots"`

	AccountID    string    `bun:"account_id,pk"`
	Source       string    `bun:"source,pk"`
	AsOf         string    `bun:"as_of,pk"`
	ConnectionID string    `bun:"connection_id,notnull"`
	UserID       string    `bun:"user_id,notnull"`
	Currency     string    `bun:"currency,notnull"`
	Balance      string    `bun:"balance,notnull"`
	Available    *string   `bun:"available"`
	SyncRunID    string    `bun:"sync_run_id,notnull"`
	RecordedAt   time.Time `bun:"recorded_at,notnull"`
}

// SaveSnapshots upserts balance snapshots by (account, source, day): the last
// sync of a day wins.
func (s *Store) SaveSnapshots(ctx context.Context, snaps []domain.Snapshot) error {
	if len(snaps) == 0 {
		return nil
	}
	rows := make([]snapshotRow, len(snaps))
	for i, sn := range snaps {
		rows[i] = snapshotRow{AccountID: sn.AccountID.String(), Source: sn.Source, AsOf: domain.DayOf(sn.Day).Format(time.DateOnly),
			ConnectionID: sn.ConnectionID.String(), UserID: sn.UserID.String(), Currency: sn.Currency, Balance: sn.Balance.String(),
			SyncRunID: sn.SyncID.String(), RecordedAt: sn.RecordedAt.UTC()}
		if sn.Available.Valid {
			a := sn.Available.Amount.String()
			rows[i].Available = &a
		}
	}
	_, err := s.conn(ctx).NewInsert().Model(&rows).
		On("CONFLICT (account_id, source, as_of) DO UPDATE").
		Set("connection_id = EXCLUDED.connection_id").Set("currency = EXCLUDED.currency").
		Set("balance = EXCLUDED.balance").Set("available = EXCLUDED.available").
		Set("sync_run_id = EXCLUDED.sync_run_id").Set("recorded_at = EXCLUDED.recorded_at").Exec(ctx)
	if err != nil {
		return apperr.Wrap(err, "save balance snapshots")
	}
	return nil
}

// Snapshots returns an account's snapshots from from to to (days, both
// inclusive), oldest first.
func (s *Store) Snapshots(ctx context.Context, accountID uuid.UUID, from, to time.Time) ([]domain.Snapshot, error) {
	var rows []snapshotRow
	err := s.conn(ctx).NewSelect().Model(&rows).Where("account_id = ?", accountID.String()).
		Where("as_of >= ?", domain.DayOf(from).Format(time.DateOnly)).Where("as_of <= ?", domain.DayOf(to).Format(time.DateOnly)).
		Order("as_of ASC", "source ASC").Scan(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "list balance snapshots")
	}
	out := make([]domain.Snapshot, len(rows))
	for i, r := range rows {
		day, err := time.Parse(time.DateOnly, r.AsOf)
		if err != nil {
			return nil, apperr.Wrap(err, "read balance snapshot day")
		}
		bal, err := money.Parse(r.Balance)
		if err != nil {
			return nil, apperr.Wrap(err, "read balance snapshot")
		}
		sn := domain.Snapshot{AccountID: uuid.MustParse(r.AccountID), ConnectionID: uuid.MustParse(r.ConnectionID), UserID: uuid.MustParse(r.UserID),
			Source: r.Source, Day: day, Currency: r.Currency, Balance: bal, SyncID: uuid.MustParse(r.SyncRunID), RecordedAt: r.RecordedAt.UTC()}
		if r.Available != nil {
			a, err := money.Parse(*r.Available)
			if err != nil {
				return nil, apperr.Wrap(err, "read balance snapshot")
			}
			sn.Available = money.NullAmount{Amount: a, Valid: true}
		}
		out[i] = sn
	}
	return out, nil
}

type driftRow struct {
	bun.BaseModel `bun:"table:sync_account_drift"`

	AccountID    string    `bun:"account_id,pk"`
	ConnectionID string    `bun:"connection_id,notnull"`
	UserID       string    `bun:"user_id,notnull"`
	Drift        string    `bun:"drift,notnull"`
	Streak       int       `bun:"streak,notnull"`
	Announced    bool      `bun:"announced,notnull"`
	UpdatedAt    time.Time `bun:"updated_at,notnull"`
}

func (r driftRow) toDomain() (domain.Drift, error) {
	amt, err := money.Parse(r.Drift)
	if err != nil {
		return domain.Drift{}, apperr.Wrap(err, "read account drift")
	}
	return domain.Drift{AccountID: uuid.MustParse(r.AccountID), ConnectionID: uuid.MustParse(r.ConnectionID), UserID: uuid.MustParse(r.UserID),
		Amount: amt, Streak: r.Streak, Announced: r.Announced, UpdatedAt: r.UpdatedAt.UTC()}, nil
}

// Drift returns an account's drift record, zero before its first observed run.
func (s *Store) Drift(ctx context.Context, accountID uuid.UUID) (domain.Drift, error) {
	var row driftRow
	err := s.conn(ctx).NewSelect().Model(&row).Where("account_id = ?", accountID.String()).Scan(ctx)
	if database.IsNoRows(err) {
		return domain.Drift{AccountID: accountID}, nil
	}
	if err != nil {
		return domain.Drift{}, apperr.Wrap(err, "load account drift")
	}
	return row.toDomain()
}

// SaveDrift stores an account's drift record.
func (s *Store) SaveDrift(ctx context.Context, d domain.Drift) error {
	row := driftRow{AccountID: d.AccountID.String(), ConnectionID: d.ConnectionID.String(), UserID: d.UserID.String(), Drift: d.Amount.String(),
		Streak: d.Streak, Announced: d.Announced, UpdatedAt: d.UpdatedAt.UTC()}
	_, err := s.conn(ctx).NewInsert().Model(&row).On("CONFLICT (account_id) DO UPDATE").
		Set("connection_id = EXCLUDED.connection_id").Set("drift = EXCLUDED.drift").Set("streak = EXCLUDED.streak").
		Set("announced = EXCLUDED.announced").Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
	if err != nil {
		return apperr.Wrap(err, "save account drift")
	}
	return nil
}

// Drifting returns the user's accounts whose drift has persisted over
// domain.DriftRuns successful runs.
func (s *Store) Drifting(ctx context.Context, userID uuid.UUID) ([]domain.Drift, error) {
	var rows []driftRow
	err := s.conn(ctx).NewSelect().Model(&rows).Where("user_id = ?", userID.String()).Where("streak >= ?", domain.DriftRuns).
		Order("account_id ASC").Scan(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "list drifting accounts")
	}
	out := make([]domain.Drift, len(rows))
	for i, r := range rows {
		d, err := r.toDomain()
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// UserConnections returns the connections the user's runs were of.
func (s *Store) UserConnections(ctx context.Context, userID uuid.UUID) ([]uuid.UUID, error) {
	var ids []string
	if err := s.conn(ctx).NewRaw("SELECT DISTINCT connection_id FROM sync_runs WHERE user_id = ? ORDER BY connection_id", userID.String()).Scan(ctx, &ids); err != nil {
		return nil, apperr.Wrap(err, "list synced connections")
	}
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		u, err := uuid.Parse(id)
		if err != nil {
			return nil, apperr.Wrap(err, "read synced connection id")
		}
		out = append(out, u)
	}
	return out, nil
}
