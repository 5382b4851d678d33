package app

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// MaxImportSize is the largest statement file accepted (10 MiB).
const MaxImportSize = 10 << 20

// ImportInput is a statement file for a file connection; File is read twice
// (validated whole, then applied), so it must be readable at any offset.
type ImportInput struct {
	ConnectionID uuid.UUID
	File         io.ReaderAt
	Size         int64
}

// ImportSummary counts what an import did. SyncID names the sync run that
// recorded it, when the sync module keeps runs.
type ImportSummary struct {
	SyncID               uuid.NullUUID
	AccountsCreated      int
	AccountsUpdated      int
	TransactionsAdded    int
	TransactionsModified int
	TransactionsRemoved  int
	Duplicates           int
}

func invalidFile(line int, reason string) error {
	return apperr.New(domain.CodeInvalidStatementFile, "The statement file could not be read: %s.", strings.TrimSuffix(reason, ".")).
		WithDetails(map[string]any{"line": line, "reason": reason})
}

// Import reads a statement file into a file connection. The whole file is parsed
// before anything is written, then every statement is applied in one database
// transaction: a file that cannot be read imports nothing, and one that fails
// half-way leaves nothing behind. Accounts are matched by provider account id and
// transactions by provider transaction id, so a second import of the same file
// adds nothing.
func (s *Service) Import(ctx context.Context, sub authn.Subject, in ImportInput) (ImportSummary, error) {
	c, err := s.load(ctx, sub, in.ConnectionID, authz.ActionWrite)
	if err != nil {
		return ImportSummary{}, err
	}
	p, ok := s.providers[c.Provider].(provider.File)
	if !ok {
		return ImportSummary{}, apperr.New(domain.CodeNotImportable, "Statement files go into a file connection (ofx); this one is %s.", c.Provider)
	}
	if c.Status != domain.StatusActive && c.Status != domain.StatusError {
		return ImportSummary{}, apperr.New(apperr.ConnectionNotActive, "The connection is %s; only an active connection takes statement files.", c.Status)
	}
	if in.Size > MaxImportSize {
		return ImportSummary{}, apperr.New(apperr.PayloadTooLarge, "The statement file is larger than 10 MiB.")
	}
	if in.Size == 0 {
		return ImportSummary{}, invalidFile(0, "the file is empty")
	}
	statements := 0
	err = p.Parse(io.NewSectionReader(in.File, 0, in.Size), func(st provider.Statement) error {
		statements++
		if strings.TrimSpace(st.Account.ID) == "" {
			return &provider.ParseError{Reason: "a statement names no account"}
		}
		return nil
	})
	if err != nil {
		return ImportSummary{}, parseFailure(err)
	}
	if statements == 0 {
		return ImportSummary{}, invalidFile(0, "the file holds no statement")
	}
	var sum ImportSummary
	err = s.repo.Atomically(ctx, func(ctx context.Context) error {
		sum = ImportSummary{}
		err := p.Parse(io.NewSectionReader(in.File, 0, in.Size), func(st provider.Statement) error {
			return s.applyStatement(ctx, sub, &c, st, &sum)
		})
		if err != nil {
			return err
		}
		_, err = s.change(ctx, &sub, c.ID, authz.ActionWrite, func(_ context.Context, c *domain.Connection) error {
			return c.RecordOutcome(domain.Outcome{}, s.now())
		})
		return err
	})
	if err != nil {
		var pe *provider.ParseError
		if errors.As(err, &pe) {
			return ImportSummary{}, parseFailure(err)
		}
		if e, ok := apperr.As(err); ok && e.Code == apperr.ValidationFailed {
			reason := e.Message
			if len(e.Fields) > 0 {
				reason = e.Fields[0].Field + " " + e.Fields[0].Message
			}
			return ImportSummary{}, invalidFile(0, reason)
		}
		return ImportSummary{}, err
	}
	return sum, nil
}

func parseFailure(err error) error {
	var pe *provider.ParseError
	if errors.As(err, &pe) {
		return invalidFile(pe.Line, pe.Reason)
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	return invalidFile(0, "the file is not a statement Kontor can read")
}

// applyStatement mirrors one statement's account and transactions.
func (s *Service) applyStatement(ctx context.Context, sub authn.Subject, c *domain.Connection, st provider.Statement, sum *ImportSummary) error {
	accountID, op, err := s.accounts.UpsertAccount(ctx, sub, linkedAccountOf(c, st.Account))
	if err != nil {
		return err
	}
	switch op {
	case AccountCreated:
		sum.AccountsCreated++
	case AccountUpdated:
		sum.AccountsUpdated++
	}
	batch := TransactionBatch{AccountID: accountID, Removed: st.Removed, ReportedBalance: money.NullAmount{Amount: st.Account.Balance, Valid: true}}
	batch.Upserts = make([]LinkedTransaction, len(st.Transactions))
	for i, t := range st.Transactions {
		batch.Upserts[i] = linkedTransactionOf(t)
	}
	n, err := s.accounts.SyncTransactions(ctx, sub, batch)
	if err != nil {
		return err
	}
	sum.TransactionsAdded += n.Added
	sum.TransactionsModified += n.Modified
	sum.TransactionsRemoved += n.Removed
	sum.Duplicates += n.Unchanged
	return nil
}

func linkedAccountOf(c *domain.Connection, a provider.Account) LinkedAccount {
	typ := a.Type
	if typ == "" {
		typ = "other"
	}
	name := a.Name
	if strings.TrimSpace(name) == "" {
		name = a.Institution
		if a.Mask != "" {
			name = strings.TrimSpace(name + " ••" + a.Mask)
		}
		if name == "" {
			name = "Imported account"
		}
	}
	return LinkedAccount{
		ConnectionID: c.ID, Provider: c.Provider, ProviderAccountID: a.ID, Name: name, AccountType: typ,
		Subtype: a.Subtype, Currency: a.Currency, Balance: a.Balance, AvailableBalance: a.AvailableBalance,
	}
}

func linkedTransactionOf(t provider.Transaction) LinkedTransaction {
	typ, status := "deposit", "posted"
	if t.Amount.IsNegative() {
		typ = "withdrawal"
	}
	if t.Pending {
		status = "pending"
	}
	return LinkedTransaction{
		ProviderTransactionID: t.ID, Type: typ, Amount: t.Amount, Description: t.Description,
		Counterparty: t.Counterparty, Status: status, BookedAt: t.Date,
	}
}
