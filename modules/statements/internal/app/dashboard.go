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

// Rates converts a person's balances into their base currency, from the rates
// they entered; the rates module serves it.
type Rates interface {
	Convert(ctx context.Context, userID uuid.UUID, balances map[money.Currency]money.Amount) (Converted, error)
}

// Converted is net worth converted into the base currency: Total covers the
// base currency and every currency with a rate (exact sum of balance × rate,
// rounded once half to even to the base's minor units); Missing names the
// currencies without one. Base is "" when no base currency is chosen.
type Converted struct {
	Base    money.Currency
	Total   money.Amount
	Rates   []UsedRate
	Missing []money.Currency
	// Oldest and Newest are the days of the rates used; zero when none was.
	Oldest, Newest time.Time
}

// UsedRate is a rate a conversion used: 1 Currency = Rate base on Date.
type UsedRate struct {
	Currency money.Currency
	Rate     money.Amount
	Date     time.Time
}

// NoRates is the Rates of an installation without the rates module.
type NoRates struct{}

// Convert converts nothing.
func (NoRates) Convert(context.Context, uuid.UUID, map[money.Currency]money.Amount) (Converted, error) {
	return Converted{}, nil
}

// Dashboard is everything the home page of a signed-in person shows.
type Dashboard struct {
	// Converted is net worth in the base currency, where rates are known.
	Converted  Converted
	NetWorth   []domain.CurrencyWorth
	Allocation []domain.Allocation
	Attention  []domain.Attention
	Recent     []domain.RecentTransaction
	// Hidden names the accounts with "show on the dashboard" off: they are
	// left out of the allocation and the recent transactions, and still
	// counted in net worth.
	Hidden      []string
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
	rates   Rates
}

// NewDashboardService returns the dashboard use case over its ports.
func NewDashboardService(insight Insight, sync SyncHealth, authorizer Authorizer, clock Clock) *DashboardService {
	return &DashboardService{insight: insight, sync: sync, authz: authorizer, clock: clock, rates: NoRates{}}
}

// WithRates makes the dashboard convert net worth with r.
func (d *DashboardService) WithRates(r Rates) *DashboardService {
	d.rates = r
	return d
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
	// Hidden accounts' entries are dropped below, so read enough to fill the list.
	hidden := map[uuid.UUID]bool{}
	var visible []domain.AccountSnapshot
	var hiddenNames []string
	for _, a := range accounts {
		if a.Hidden {
			hidden[a.ID] = true
			if !a.Archived && a.Status != "closed" {
				hiddenNames = append(hiddenNames, a.Name)
			}
			continue
		}
		visible = append(visible, a)
	}
	recent, err := d.insight.RecentTransactions(ctx, s, recentTransactions*(1+min(len(hidden), 4)))
	if err != nil {
		return Dashboard{}, apperr.Wrap(err, "dashboard recent transactions")
	}
	broken, err := d.sync.BrokenConnections(ctx, s.UserID)
	if err != nil {
		return Dashboard{}, apperr.Wrap(err, "dashboard sync health")
	}
	// The chart's points fall every DashboardStep days, ending today.
	start := today.AddDate(0, 0, -(DashboardHistoryDays/DashboardStep)*DashboardStep)
	shown := recent[:0:0]
	for _, t := range recent {
		if !hidden[t.AccountID] && len(shown) < recentTransactions {
			shown = append(shown, t)
		}
	}
	worth := domain.NetWorth(accounts, changes, first, start, today, DashboardStep)
	balances := make(map[money.Currency]money.Amount, len(worth))
	for _, w := range worth {
		balances[w.Currency] = w.Current
	}
	converted, err := d.rates.Convert(ctx, s.UserID, balances)
	if err != nil {
		return Dashboard{}, apperr.Wrap(err, "dashboard conversion")
	}
	return Dashboard{
		Converted:   converted,
		NetWorth:    worth,
		Allocation:  domain.Allocate(visible),
		Attention:   append(broken, withoutReported(domain.NeedsAttention(accounts, now), broken)...),
		Recent:      shown,
		Hidden:      hiddenNames,
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
