// Package app holds the statements module's use cases: making a statement of an
// account for a period in JSON, CSV or PDF, showing one on screen, and gathering the
// dashboard. It declares the ports it needs from the rest of Kontor (the ledger, the
// directory of users, the authorizer, the clock and the dashboard's insight queries)
// so it can be tested with fakes.
package app

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// ErrNotFound is what a port returns when the thing asked for does not exist.
var ErrNotFound = errors.New("statements: not found")

// Ledger is what a statement needs from the accounts module: the account, the balance
// before a moment, and the entries of a time range, streamed in booking order so that
// no statement ever holds its entries in memory. Every method reads as s, who must
// be allowed to read the account.
type Ledger interface {
	// Account returns the account with id as s may see it: ErrNotFound (or an
	// apperr not_found) when there is none, an apperr forbidden when it is another
	// user's.
	Account(ctx context.Context, s authn.Subject, id uuid.UUID) (domain.Account, error)
	// BalanceBefore returns the sum of every entry of the account booked before t.
	BalanceBefore(ctx context.Context, s authn.Subject, accountID uuid.UUID, t time.Time) (money.Amount, error)
	// Entries calls fn with each entry of the account booked in [from, until), in
	// booking order (booked_at, then id), and stops at the first error fn returns,
	// returning it.
	Entries(ctx context.Context, s authn.Subject, accountID uuid.UUID, from, until time.Time, fn func(domain.Entry) error) error
}

// Directory names the holder of an account for the statement's header.
type Directory interface {
	// HolderName returns the display name of the user with id (their name, or their
	// e-mail address when they gave none), or ErrNotFound.
	HolderName(ctx context.Context, userID uuid.UUID) (string, error)
}

// Authorizer is the part of casbin the use cases need: may this subject read that
// account?
type Authorizer interface {
	// Authorize returns nil when s may perform action on r, else a forbidden error.
	Authorize(ctx context.Context, s authn.Subject, r authz.Resource, action string) error
}

// Clock tells the time, so tests can fix it.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
}

// SystemClock is the real Clock.
type SystemClock struct{}

// Now returns the current time in UTC, to the second, as statements print it.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Second) }
