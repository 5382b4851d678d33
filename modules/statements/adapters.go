package statements

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/identity"
	"github.com/kontor-app/kontor/modules/statements/internal/app"
	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/modules/statements/internal/store"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/money"
)

// ledgerAdapter gives the statement use cases the accounts module's Ledger contract
// for the account and its opening balance, and the module's own single-pass entry
// stream (store.Entries) for the entries, which the contract pages too slowly on
// SQLite for a statement of 100,000 entries.
type ledgerAdapter struct {
	accounts accounts.Ledger
	entries  *store.Entries
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
func (l ledgerAdapter) BalanceBefore(ctx context.Context, accountID uuid.UUID, t time.Time) (money.Amount, error) {
	return l.accounts.BalanceAt(ctx, accountID, domain.DayOf(t).AddDate(0, 0, -1))
}

// Entries streams the account's transactions as statement entries.
func (l ledgerAdapter) Entries(ctx context.Context, accountID uuid.UUID, from, until time.Time, fn func(domain.Entry) error) error {
	return l.entries.Entries(ctx, accountID, from, until, fn)
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
