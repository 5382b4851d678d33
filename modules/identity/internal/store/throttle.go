package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

type throttleRow struct {
	bun.BaseModel `bun:"table:login_throttles"`

	Key         string     `bun:"key,pk"`
	Failures    int        `bun:"failures,notnull"`
	WindowStart time.Time  `bun:"window_started_at,notnull"`
	LockedUntil *time.Time `bun:"locked_until"`
}

// LoginLocks returns, of keys, those locked after now, with the time each lock ends.
func (s *Store) LoginLocks(ctx context.Context, keys []string, now time.Time) (map[string]time.Time, error) {
	var rows []throttleRow
	err := s.db.Conn(ctx).NewSelect().Model(&rows).
		Where("key IN (?)", bun.In(keys)).
		Where("locked_until > ?", now.UTC()).
		Scan(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(rows))
	for _, r := range rows {
		out[r.Key] = *r.LockedUntil
	}
	return out, nil
}

// RecordLoginFailure counts a failed login against key at now: failures older than
// window start the count afresh, and the limit-th failure in a window locks key
// until now plus lockFor. The count is one atomic upsert, so concurrent failures
// are all counted.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, now time.Time, limit int, window, lockFor time.Duration) error {
	now = now.UTC()
	stale := now.Add(-window)
	return s.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO login_throttles (key, failures, window_started_at) VALUES (?, 1, ?)
ON CONFLICT (key) DO UPDATE SET
  failures = CASE WHEN login_throttles.window_started_at <= ? THEN 1 ELSE login_throttles.failures + 1 END,
  window_started_at = CASE WHEN login_throttles.window_started_at <= ? THEN ? ELSE login_throttles.window_started_at END`,
			key, now, stale, stale, now)
		if err != nil {
			return err
		}
		_, err = tx.NewUpdate().Model((*throttleRow)(nil)).
			Set("locked_until = ?", now.Add(lockFor)).
			Set("failures = 0").
			Set("window_started_at = ?", now).
			Where("key = ? AND failures >= ?", key, limit).
			Exec(ctx)
		return err
	})
}

// ClearLoginFailures forgets the failures counted against key.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := s.db.Conn(ctx).NewDelete().Model((*throttleRow)(nil)).Where("key = ?", key).Exec(ctx)
	return err
}

// deleteIdleThrottles removes throttle rows that neither lock nor count any more.
func deleteIdleThrottles(ctx context.Context, tx bun.IDB, now time.Time) (int64, error) {
	res, err := tx.NewDelete().Model((*throttleRow)(nil)).
		Where("window_started_at < ?", now.UTC().Add(-24*time.Hour)).
		Where("locked_until IS NULL OR locked_until < ?", now.UTC()).
		Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
