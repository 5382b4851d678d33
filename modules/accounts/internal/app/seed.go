package app

import (
	"context"
	"iter"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/money"
)

// SeedAccount is one account of a LedgerSeed. Its balance, transaction count,
// version and last change follow from the seed's entries.
type SeedAccount struct {
	ID            uuid.UUID
	AccountNumber string
	Name          string
	Type          domain.AccountType
	Currency      money.Currency
	Status        domain.Status
	IsFavourite   bool
	CreatedAt     time.Time
	ArchivedAt    *time.Time
}

// SeedTransaction is one ledger entry of a LedgerSeed; Amount is signed.
type SeedTransaction struct {
	ID           uuid.UUID
	AccountID    uuid.UUID
	Type         domain.TransactionType
	Amount       money.Amount
	Description  string
	Counterparty string
	Status       domain.TransactionStatus
	BookedAt     time.Time
	CreatedAt    time.Time
	TransferID   uuid.NullUUID
}

// SeedTransfer is one transfer of a LedgerSeed, both legs among its entries.
type SeedTransfer struct {
	ID                       uuid.UUID
	SourceAccountID          uuid.UUID
	DestinationAccountID     uuid.UUID
	SourceTransactionID      uuid.UUID
	DestinationTransactionID uuid.UUID
	Amount                   money.Amount
	Currency                 money.Currency
	CreatedAt                time.Time
}

// LedgerSeed is a user's accounts and ledger written in bulk. Transactions is
// walked once, in the order it yields (write them in booking order, as the
// application would have recorded them), so a million entries need not be held
// at once; an error it yields ends the seed with that error.
type LedgerSeed struct {
	UserID       uuid.UUID
	Accounts     []SeedAccount
	Transactions iter.Seq2[SeedTransaction, error]
	Transfers    []SeedTransfer
}

// SeedResult counts what a seed wrote.
type SeedResult struct {
	Transactions int
	DailyDeltas  int
}

// LedgerSeeder writes a LedgerSeed in bulk, in the store's own format: balances,
// counts, versions, sort keys and daily deltas computed as the use cases would
// have left them. The store implements it; it is not part of Repository because
// only SeedLedgerAsSystem needs it.
type LedgerSeeder interface {
	SeedLedger(ctx context.Context, seed LedgerSeed) (SeedResult, error)
}

// SeedLedgerAsSystem writes seed without authorizing anyone: a system call for
// benchmarks and demo data, never reachable from a request. Every account must
// belong to seed.UserID and every entry to one of its accounts, in the account's
// currency; the user must exist.
func (s *Service) SeedLedgerAsSystem(ctx context.Context, seed LedgerSeed) (SeedResult, error) {
	seeder, ok := s.repo.(LedgerSeeder)
	if !ok {
		return SeedResult{}, apperr.New(apperr.Internal, "This repository cannot seed a ledger.")
	}
	if seed.UserID == uuid.Nil {
		return SeedResult{}, apperr.Validation(apperr.FieldError{Field: "user_id", Message: "is required"})
	}
	if seed.Transactions == nil {
		seed.Transactions = func(func(SeedTransaction, error) bool) {}
	}
	return seeder.SeedLedger(ctx, seed)
}
