package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// Insight is the read model behind the dashboard, which the accounts module serves:
// a person's accounts with their balances and ledger sums, the daily net changes per
// currency, and their latest transactions. Every query reads only the subject's own
// accounts and is bounded by their number of accounts and days, never by the length
// of their ledger.
type Insight interface {
	// Accounts returns every account of s, archived and closed ones included.
	Accounts(ctx context.Context, s authn.Subject) ([]domain.AccountSnapshot, error)
	// DailyChanges returns the net change per currency of every day from from on,
	// and the first day each currency ever changed.
	DailyChanges(ctx context.Context, s authn.Subject, from time.Time) ([]domain.DayChange, map[money.Currency]time.Time, error)
	// RecentTransactions returns the n latest transactions of s, newest first.
	RecentTransactions(ctx context.Context, s authn.Subject, n int) ([]domain.RecentTransaction, error)
}

// SyncHealth reports linked accounts whose provider connection is broken (needs
// re-authorization or keeps failing) or stale (last success older than twice its
// interval), and those whose ledger drifts from the provider's balance. The sync
// module provides it; without that module NoSyncHealth reports nothing, and stale
// syncs are still guessed from the accounts' last_synced_at.
type SyncHealth interface {
	// BrokenConnections returns one Attention per account of the user whose
	// connection is broken.
	BrokenConnections(ctx context.Context, userID uuid.UUID) ([]domain.Attention, error)
}

// NoSyncHealth is the SyncHealth of an installation without a sync module.
type NoSyncHealth struct{}

// BrokenConnections reports nothing.
func (NoSyncHealth) BrokenConnections(context.Context, uuid.UUID) ([]domain.Attention, error) {
	return nil, nil
}

// Dashboard is everything the home page of a signed-in person shows.
type Dashboard struct {
	NetWorth    []domain.CurrencyWorth
	Allocation  []domain.Allocation
	Attention   []domain.Attention
	Recent      []domain.RecentTransaction
	HasAccounts bool
	AsOf        time.Time
}

// DashboardHistoryDays is how far back the net-worth chart reaches, and
// DashboardStep how many days apart its points are.
const (
	DashboardHistoryDays = 365
	DashboardStep        = 7
	recentTransactions   = 10
)

// DashboardService runs the dashboard use case.
type DashboardService struct {
	insight Insight
	sync    SyncHealth
	authz   Authorizer
	clock   Clock
}

// NewDashboardService returns the dashboard use case over its ports.
func NewDashboardService(insight Insight, sync SyncHealth, authorizer Authorizer, clock Clock) *DashboardService {
	return &DashboardService{insight: insight, sync: sync, authz: authorizer, clock: clock}
}

// Dashboard gathers s's own dashboard: net worth per currency with its change over
// 30, 90 and 365 days and a year of weekly history, allocation by category, accounts
// that need attention and the latest transactions.
func (d *DashboardService) Dashboard(ctx context.Context, s authn.Subject) (Dashboard, error) {
	// The dashboard reads only the subject's own data; the check keeps the rule that
	// every use case asks the authorizer, and lets a future role grant reach it.
	res := authz.Resource{Type: "dashboard", ID: s.UserID.String(), Owner: s.UserID.String()}
	if err := d.authz.Authorize(ctx, s, res, authz.ActionRead); err != nil {
		return Dashboard{}, err
	}
	now := d.clock.Now().UTC()
	today := domain.DayOf(now)
	from := today.AddDate(0, 0, -DashboardHistoryDays)

	accounts, err := d.insight.Accounts(ctx, s)
	if err != nil {
		return Dashboard{}, apperr.Wrap(err, "dashboard accounts")
	}
	changes, first, err := d.insight.DailyChanges(ctx, s, from)
	if err != nil {
		return Dashboard{}, apperr.Wrap(err, "dashboard daily changes")
	}
	recent, err := d.insight.RecentTransactions(ctx, s, recentTransactions)
	if err != nil {
		return Dashboard{}, apperr.Wrap(err, "dashboard recent transactions")
	}
	broken, err := d.sync.BrokenConnections(ctx, s.UserID)
	if err != nil {
		return Dashboard{}, apperr.Wrap(err, "dashboard sync health")
	}
	// The chart's points fall every DashboardStep days, ending today.
	start := today.AddDate(0, 0, -(DashboardHistoryDays/DashboardStep)*DashboardStep)
	return Dashboard{
		NetWorth:    domain.NetWorth(accounts, changes, first, start, today, DashboardStep),
		Allocation:  domain.Allocate(accounts),
		Attention:   append(broken, withoutReported(domain.NeedsAttention(accounts, now), broken)...),
		Recent:      recent,
		HasAccounts: len(accounts) > 0,
		AsOf:        now,
	}, nil
}

// withoutReported drops the stale-sync guesses (from last_synced_at) of the
// accounts the sync health already reported, which knows each connection's
// interval and status.
func withoutReported(list, reported []domain.Attention) []domain.Attention {
	seen := map[uuid.UUID]bool{}
	for _, a := range reported {
		seen[a.AccountID] = true
	}
	out := list[:0:0]
	for _, a := range list {
		if a.Kind == domain.StaleSync && seen[a.AccountID] {
			continue
		}
		out = append(out, a)
	}
	return out
}
