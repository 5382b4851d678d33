package accounts

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/money"
)

// SeedAccount is one account of a LedgerSeed, with API.md's values for
// AccountType, Currency and Status. Its balance, transaction count, version and
// last change are not given: they follow from the seed's entries.
type SeedAccount struct {
	ID            uuid.UUID
	AccountNumber string
	Name          string
	AccountType   string
	Currency      string
	Status        string
	IsFavourite   bool
	CreatedAt     time.Time
	ArchivedAt    *time.Time
}

// SeedTransaction is one ledger entry of a LedgerSeed: API.md's values for Type and
// Status, Amount signed (credits positive), in its account's currency.
type SeedTransaction struct {
	ID           uuid.UUID
	AccountID    uuid.UUID
	Type         string
	Amount       money.Amount
	Description  string
	Counterparty string
	Status       string
	BookedAt     time.Time
	CreatedAt    time.Time
	// TransferID names the SeedTransfer this entry is a leg of.
	TransferID uuid.NullUUID
}

// SeedTransfer is a transfer between two seeded accounts; its legs are among the
// seed's entries.
type SeedTransfer struct {
	ID                       uuid.UUID
	SourceAccountID          uuid.UUID
	DestinationAccountID     uuid.UUID
	SourceTransactionID      uuid.UUID
	DestinationTransactionID uuid.UUID
	Amount                   money.Amount
	Currency                 string
	CreatedAt                time.Time
}

// LedgerSeed is one user's accounts and ledger, to be written in bulk.
// Transactions is walked once, in the order it yields (booking order is what the
// application would have written), so a million entries need not be held at once.
type LedgerSeed struct {
	UserID       uuid.UUID
	Accounts     []SeedAccount
	Transactions iter.Seq[SeedTransaction]
	Transfers    []SeedTransfer
}

// SeedResult counts what SeedLedgerAsSystem wrote.
type SeedResult struct {
	Transactions int
	DailyDeltas  int
}

// SeedLedgerAsSystem writes seed straight into the accounts tables, in the store's
// own format: each account's balance, transaction count, version and last change,
// the amounts' sort keys and the daily deltas are computed from the entries as the
// use cases would have left them, so the ledger invariant holds afterwards. It is
// the bulk-seeding entry point for benchmarks (e2e/bench) and demo data, and a
// system call: it authorizes no one, so only such tools may call it, never a
// request handler, and only on a database whose user exists and holds no accounts
// of the seed yet. On PostgreSQL the write is not one transaction (the entries go
// through COPY): discard the database if it fails. It does not refresh the
// planner's statistics; run ANALYZE afterwards.
func (c *Contract) SeedLedgerAsSystem(ctx context.Context, seed LedgerSeed) (SeedResult, error) {
	in := app.LedgerSeed{UserID: seed.UserID, Accounts: make([]app.SeedAccount, len(seed.Accounts)), Transfers: make([]app.SeedTransfer, len(seed.Transfers))}
	for i, a := range seed.Accounts {
		typ, err := domain.ParseAccountType(a.AccountType)
		if err != nil {
			return SeedResult{}, seedError("account %s: %v", a.ID, err)
		}
		status, err := domain.ParseStatus(a.Status)
		if err != nil {
			return SeedResult{}, seedError("account %s: %v", a.ID, err)
		}
		cur, err := money.ParseCurrency(a.Currency)
		if err != nil {
			return SeedResult{}, seedError("account %s: %v", a.ID, err)
		}
		in.Accounts[i] = app.SeedAccount{ID: a.ID, AccountNumber: a.AccountNumber, Name: a.Name, Type: typ, Currency: cur,
			Status: status, IsFavourite: a.IsFavourite, CreatedAt: a.CreatedAt, ArchivedAt: a.ArchivedAt}
	}
	for i, t := range seed.Transfers {
		in.Transfers[i] = app.SeedTransfer{ID: t.ID, SourceAccountID: t.SourceAccountID, DestinationAccountID: t.DestinationAccountID,
			SourceTransactionID: t.SourceTransactionID, DestinationTransactionID: t.DestinationTransactionID,
			Amount: t.Amount, Currency: money.Currency(t.Currency), CreatedAt: t.CreatedAt}
	}
	if seed.Transactions != nil {
		in.Transactions = func(yield func(app.SeedTransaction, error) bool) {
			for t := range seed.Transactions {
				typ, err := domain.ParseTransactionType(t.Type)
				if err != nil {
					yield(app.SeedTransaction{}, seedError("entry %s: %v", t.ID, err))
					return
				}
				status, err := domain.ParseTransactionStatus(t.Status)
				if err != nil {
					yield(app.SeedTransaction{}, seedError("entry %s: %v", t.ID, err))
					return
				}
				if !yield(app.SeedTransaction{ID: t.ID, AccountID: t.AccountID, Type: typ, Amount: t.Amount, Description: t.Description,
					Counterparty: t.Counterparty, Status: status, BookedAt: t.BookedAt, CreatedAt: t.CreatedAt, TransferID: t.TransferID}, nil) {
					return
				}
			}
		}
	}
	out, err := c.svc.SeedLedgerAsSystem(ctx, in)
	return SeedResult(out), err
}

func seedError(format string, args ...any) error {
	return apperr.New(apperr.ValidationFailed, "%s", fmt.Sprintf("seed: "+format, args...))
}
