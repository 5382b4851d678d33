package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// AccountSnapshot is an account's balance beside the sum of its ledger, which must
// agree, with what tells whether a linked account is kept up to date. It is read
// without decoding the whole account, because a dashboard needs it for every
// account of a user on every visit.
type AccountSnapshot struct {
	ID           uuid.UUID
	Name         string
	Type         domain.AccountType
	Currency     money.Currency
	Balance      money.Amount
	LedgerSum    money.Amount
	Status       domain.Status
	IsArchived   bool
	ConnectionID uuid.NullUUID
	LastSyncedAt *time.Time
	// IsFavourite, ShowInDashboard and Color are the account's display settings.
	IsFavourite     bool
	ShowInDashboard bool
	Color           string
}

// RecentTransaction is an entry with the name of its account, for a list of a
// user's latest entries across accounts.
type RecentTransaction struct {
	Transaction domain.Transaction
	AccountName string
}

// ChangeHistory is the net change of a user's accounts per currency and day over a
// window, and how far back each currency's history reaches.
type ChangeHistory struct {
	// Days holds one DayDelta per currency and day with a change, in day order.
	Days []DayDelta
	// FirstDay is the day of each currency's first change ever, which may lie
	// before the window.
	FirstDay map[money.Currency]time.Time
}

// MaxRecent bounds how many latest entries RecentTransactions returns.
const MaxRecent = MaxLimit

// Snapshots returns every account of the subject, archived and closed ones
// included, by sort order then id, each with the sum of its ledger taken from the
// daily deltas, so the cost grows with the number of accounts and days, not entries.
func (s *Service) Snapshots(ctx context.Context, sub authn.Subject) ([]AccountSnapshot, error) {
	if err := s.authorizeOwn(ctx, sub, authz.ActionRead); err != nil {
		return nil, err
	}
	return s.repo.Snapshots(ctx, sub.UserID)
}

// DailyChanges returns the net change per currency of every day from from (a UTC
// day) on over all the subject's accounts, and the first day each currency changed.
func (s *Service) DailyChanges(ctx context.Context, sub authn.Subject, from time.Time) (ChangeHistory, error) {
	if err := s.authorizeOwn(ctx, sub, authz.ActionRead); err != nil {
		return ChangeHistory{}, err
	}
	user := uuid.NullUUID{UUID: sub.UserID, Valid: true}
	days, err := s.repo.DailyDeltas(ctx, DeltaQuery{UserID: user, From: domain.DayOf(from)})
	if err != nil {
		return ChangeHistory{}, err
	}
	sortDeltas(days)
	first, err := s.repo.FirstDeltaDays(ctx, sub.UserID)
	if err != nil {
		return ChangeHistory{}, err
	}
	return ChangeHistory{Days: days, FirstDay: first}, nil
}

// RecentTransactions returns the subject's n latest entries across all their
// accounts, newest first; n is capped at MaxRecent, and n < 1 returns none.
func (s *Service) RecentTransactions(ctx context.Context, sub authn.Subject, n int) ([]RecentTransaction, error) {
	if err := s.authorizeOwn(ctx, sub, authz.ActionRead); err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, nil
	}
	return s.repo.LatestTransactions(ctx, sub.UserID, min(n, MaxRecent))
}
