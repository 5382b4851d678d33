package statements

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/identity"
	"github.com/kontor-app/kontor/modules/statements/internal/app"
	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	kontorsync "github.com/kontor-app/kontor/modules/sync"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/money"
)

// ledgerAdapter gives the statement use cases the accounts module's Ledger contract:
// the account, its opening balance and its entries, which the contract streams in
// one ordered pass however many there are.
type ledgerAdapter struct {
	accounts accounts.Ledger
}

var _ app.Ledger = ledgerAdapter{}

// Account reads the account through the accounts contract, which answers not_found
// and forbidden itself.
func (l ledgerAdapter) Account(ctx context.Context, s authn.Subject, id uuid.UUID) (domain.Account, error) {
	a, err := l.accounts.Account(ctx, s, id)
	if err != nil {
		return domain.Account{}, err
	}
	return domain.Account{ID: a.ID, OwnerID: a.UserID, Number: a.AccountNumber, Name: a.Name, Type: a.Type, Currency: a.Currency}, nil
}

// BalanceBefore is the balance at the end of the day before t; statements start at
// midnight, so that is the sum of everything booked before t.
func (l ledgerAdapter) BalanceBefore(ctx context.Context, s authn.Subject, accountID uuid.UUID, t time.Time) (money.Amount, error) {
	return l.accounts.BalanceAt(ctx, s, accountID, domain.DayOf(t).AddDate(0, 0, -1))
}

// Entries streams the account's transactions as statement entries.
func (l ledgerAdapter) Entries(ctx context.Context, s authn.Subject, accountID uuid.UUID, from, until time.Time, fn func(domain.Entry) error) error {
	return l.accounts.Transactions(ctx, s, accountID, from, until, func(t accounts.Transaction) error {
		return fn(domain.Entry{TransactionID: t.ID, BookedAt: t.BookedAt, Description: t.Description, Counterparty: t.Counterparty, Type: t.Type, Amount: t.Amount})
	})
}

// insightAdapter gives the dashboard the accounts module's Insight contract, which
// reads only the subject's own accounts.
type insightAdapter struct {
	accounts accounts.Insight
}

var _ app.Insight = insightAdapter{}

// Accounts returns the subject's accounts with their ledger sums.
func (i insightAdapter) Accounts(ctx context.Context, s authn.Subject) ([]domain.AccountSnapshot, error) {
	snaps, err := i.accounts.Snapshots(ctx, s)
	if err != nil {
		return nil, err
	}
	out := make([]domain.AccountSnapshot, len(snaps))
	for n, a := range snaps {
		out[n] = domain.AccountSnapshot{
			ID: a.ID, Name: a.Name, Type: a.Type, Currency: a.Currency, Balance: a.Balance, LedgerSum: a.LedgerSum,
			Status: a.Status, Archived: a.IsArchived, Linked: a.ConnectionID.Valid, LastSyncedAt: a.LastSyncedAt,
		}
	}
	return out, nil
}

// DailyChanges returns the subject's net changes per currency and day from from on,
// and each currency's first day of change.
func (i insightAdapter) DailyChanges(ctx context.Context, s authn.Subject, from time.Time) ([]domain.DayChange, map[money.Currency]time.Time, error) {
	h, err := i.accounts.DailyChanges(ctx, s, from)
	if err != nil {
		return nil, nil, err
	}
	out := make([]domain.DayChange, len(h.Days))
	for n, d := range h.Days {
		out[n] = domain.DayChange{Currency: d.Currency, Day: d.Day, Delta: d.Delta}
	}
	return out, h.FirstDay, nil
}

// RecentTransactions returns the subject's n latest transactions, newest first.
func (i insightAdapter) RecentTransactions(ctx context.Context, s authn.Subject, n int) ([]domain.RecentTransaction, error) {
	recent, err := i.accounts.RecentTransactions(ctx, s, n)
	if err != nil {
		return nil, err
	}
	out := make([]domain.RecentTransaction, len(recent))
	for k, t := range recent {
		out[k] = domain.RecentTransaction{ID: t.ID, AccountID: t.AccountID, AccountName: t.AccountName, BookedAt: t.BookedAt,
			Description: t.Description, Type: t.Type, Amount: t.Amount, Currency: t.Currency}
	}
	return out, nil
}

// directoryAdapter names account holders from the identity module's Directory.
type directoryAdapter struct {
	users identity.Directory
}

var _ app.Directory = directoryAdapter{}

// HolderName returns the user's name, or their e-mail address when they gave none.
func (d directoryAdapter) HolderName(ctx context.Context, id uuid.UUID) (string, error) {
	u, err := d.users.User(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return "", app.ErrNotFound
	}
	if err != nil {
		return "", err
	}
	if u.Name != "" {
		return u.Name, nil
	}
	return u.Email, nil
}

// syncHealthAdapter gives the dashboard the sync module's Health contract: the
// linked accounts whose connection is broken or stale, or whose ledger drifts
// from the provider, each with the page that shows what to do.
type syncHealthAdapter struct {
	sync kontorsync.Health
}

var _ app.SyncHealth = syncHealthAdapter{}

// BrokenConnections returns the user's linked accounts that need a look.
func (h syncHealthAdapter) BrokenConnections(ctx context.Context, userID uuid.UUID) ([]domain.Attention, error) {
	list, err := h.sync.Attention(ctx, authn.Subject{UserID: userID})
	if err != nil {
		return nil, err
	}
	out := make([]domain.Attention, len(list))
	for i, a := range list {
		out[i] = domain.Attention{AccountID: a.AccountID, AccountName: a.AccountName, Kind: domain.AttentionKind(a.Kind), Detail: a.Detail,
			Link: a.Link, LinkText: a.LinkText}
	}
	return out, nil
}
