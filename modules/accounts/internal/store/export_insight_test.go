package store

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// StreamQueryForTest returns the SQL of the ledger stream of one account.
func (s *Store) StreamQueryForTest(accountID uuid.UUID, from, to time.Time) string {
	return s.streamQuery(context.Background(), accountID, from, to).String()
}

// LatestQueryForTest returns the SQL of a user's latest entries.
func (s *Store) LatestQueryForTest(userID uuid.UUID, n int) string {
	return s.latestQuery(context.Background(), userID, n).String()
}

// ParseInstantForTest exposes parseInstant.
func ParseInstantForTest(s string) (time.Time, bool) { return parseInstant(s) }

// ScanInstantForTest scans src as the ledger stream scans its timestamps.
func ScanInstantForTest(src any) (time.Time, error) {
	var t instant
	err := t.Scan(src)
	return t.Time, err
}
