package app

import (
	"context"
	"fmt"
	"sort"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/sync/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/money"
)

// The reasons a linked account needs a look.
const (
	HealthBroken = "broken_connection" // the connection needs reauthorization or failed
	HealthStale  = "stale_sync"        // the last success is older than twice the interval
	HealthDrift  = "provider_drift"    // the ledger differs from the provider over two runs
)

// HealthItem is one linked account that needs a look: why, in words, and the
// page that shows what to do.
type HealthItem struct {
	AccountID    uuid.UUID
	AccountName  string
	ConnectionID uuid.UUID
	Kind         string
	Detail       string
	Link         string
	LinkText     string
}

// ConnectionPage is the page of a connection's syncs.
func ConnectionPage(id uuid.UUID) string { return "/syncs/connections/" + id.String() }

// Health lists the subject's linked accounts whose connection is broken or
// stale (its last success older than twice its interval), and those whose
// drift persisted over domain.DriftRuns successful runs.
func (s *Service) Health(ctx context.Context, sub authn.Subject) ([]HealthItem, error) {
	now := s.now()
	conns, err := s.Repo.UserConnections(ctx, sub.UserID)
	if err != nil {
		return nil, err
	}
	var out []HealthItem
	for _, id := range conns {
		c, err := s.Connections.Connection(ctx, sub, id)
		if apperr.Is(err, apperr.NotFound) {
			continue // deleted since
		}
		if err != nil {
			return nil, err
		}
		var kind, detail string
		switch {
		case c.Status == "needs_reauth":
			kind, detail = HealthBroken, "Its connection needs to be authorized again; until then it does not sync."
		case c.Status == "error":
			kind, detail = HealthBroken, "Its connection failed and stopped syncing; the sync history says why."
		case c.Status == "active" && !domain.FileProviders[c.Provider] && c.AutoSync && domain.Stale(c.LastSyncAt, c.SyncIntervalMinutes, now):
			kind = HealthStale
			detail = fmt.Sprintf("Last synced %s UTC, more than twice its interval of %d minutes ago.",
				c.LastSyncAt.UTC().Format("2006-01-02 15:04"), int(domain.Interval(c.SyncIntervalMinutes).Minutes()))
		default:
			continue
		}
		accts, err := s.Repo.AccountMap(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, accountID := range accts {
			b, err := s.Ledger.Balance(ctx, sub, accountID)
			if apperr.Is(err, apperr.NotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, HealthItem{AccountID: accountID, AccountName: b.Name, ConnectionID: id, Kind: kind, Detail: detail,
				Link: ConnectionPage(id), LinkText: "Sync history"})
		}
	}
	drifting, err := s.Repo.Drifting(ctx, sub.UserID)
	if err != nil {
		return nil, err
	}
	for _, d := range drifting {
		b, err := s.Ledger.Balance(ctx, sub, d.AccountID)
		if apperr.Is(err, apperr.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, HealthItem{AccountID: d.AccountID, AccountName: b.Name, ConnectionID: d.ConnectionID, Kind: HealthDrift,
			Detail: fmt.Sprintf("The bank's balance differs from the ledger by %s %s, over the last %d syncs; look for a missing transaction or reconcile it.",
				money.Format(d.Amount, money.Currency(b.Currency)), b.Currency, d.Streak),
			Link: "/accounts/" + d.AccountID.String(), LinkText: "Reconcile"})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].AccountName < out[j].AccountName })
	return out, nil
}
