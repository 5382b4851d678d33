package app

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

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
	// ZeroAmountSkipped counts the file's transaction rows with an amount of zero,
	// which are not imported (the ledger keeps no zero entries; they move no balance).
	ZeroAmountSkipped int
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
		return ImportSummary{}, TooLarge()
	}
	if in.Size == 0 {
		return ImportSummary{}, invalidFile(0, "the file is empty")
	}
	started := s.now()
	finals := map[string]*accountTotals{}
	statements := 0
	err = p.Parse(io.NewSectionReader(in.File, 0, in.Size), func(st provider.Statement) error {
		statements++
		if strings.TrimSpace(st.Account.ID) == "" {
			return &provider.ParseError{Reason: "a statement names no account"}
		}
		return collect(finals, st)
	})
	if err != nil {
		return ImportSummary{}, s.recordFailure(ctx, c, started, parseFailure(err))
	}
	if statements == 0 {
		return ImportSummary{}, s.recordFailure(ctx, c, started, invalidFile(0, "the file holds no statement"))
	}
	var sum ImportSummary
	err = s.repo.Atomically(ctx, func(ctx context.Context) error {
		sum = ImportSummary{}
		ids := map[string]uuid.UUID{}
		var order []string
		err := p.Parse(io.NewSectionReader(in.File, 0, in.Size), func(st provider.Statement) error {
			id, ok := ids[st.Account.ID]
			if !ok {
				var err error
				if id, err = s.upsertAccount(ctx, sub, &c, st.Account, finals[st.Account.ID], &sum); err != nil {
					return err
				}
				ids[st.Account.ID] = id
				order = append(order, st.Account.ID)
			}
			sum.ZeroAmountSkipped += st.ZeroAmount
			return s.applyTransactions(ctx, sub, id, st, money.NullAmount{}, &sum)
		})
		if err != nil {
			return err
		}
		// The balance each account reports, once its transactions are all in.
		for _, acct := range order {
			if f := finals[acct]; f.hasBalance {
				if err := s.applyTransactions(ctx, sub, ids[acct], provider.Statement{}, money.NullAmount{Amount: f.balance, Valid: true}, &sum); err != nil {
					return err
				}
			}
		}
		_, err = s.change(ctx, &sub, c.ID, authz.ActionWrite, func(_ context.Context, c *domain.Connection) error {
			return c.RecordOutcome(domain.Outcome{}, s.now())
		})
		if err != nil {
			return err
		}
		// The import is a sync run (trigger import), recorded with it.
		id, err := s.runs.RecordImport(ctx, ImportRun{ConnectionID: c.ID, UserID: c.UserID, StartedAt: started, FinishedAt: s.now(), Summary: sum})
		sum.SyncID = uuid.NullUUID{UUID: id, Valid: id != uuid.Nil}
		return err
	})
	if err != nil {
		var pe *provider.ParseError
		if errors.As(err, &pe) {
			return ImportSummary{}, s.recordFailure(ctx, c, started, parseFailure(err))
		}
		if e, ok := apperr.As(err); ok && e.Code == apperr.ValidationFailed {
			reason := e.Message
			if len(e.Fields) > 0 {
				reason = e.Fields[0].Field + " " + e.Fields[0].Message
			}
			return ImportSummary{}, s.recordFailure(ctx, c, started, invalidFile(0, reason))
		}
		return ImportSummary{}, err
	}
	return sum, nil
}

// recordFailure records an import the file made fail as a failed sync run, so
// the sync history shows it in words, and returns fail unchanged. A failure to
// record it is logged by no one: the owner still gets the problem itself.
func (s *Service) recordFailure(ctx context.Context, c domain.Connection, started time.Time, fail error) error {
	e, ok := apperr.As(fail)
	if !ok {
		return fail
	}
	_, _ = s.runs.RecordImport(ctx, ImportRun{ConnectionID: c.ID, UserID: c.UserID, StartedAt: started, FinishedAt: s.now(),
		ErrorCode: string(e.Code), ErrorMessage: e.Message})
	return fail
}

// accountTotals is what a first reading of a file learns of one account: the
// balance its latest statement states (when any does) and the sum of its
// transactions, which stands in for the balance of an account the file states
// none for.
type accountTotals struct {
	hasBalance bool
	balance    money.Amount
	available  money.NullAmount
	date       time.Time
	sum        money.Amount
}

func collect(finals map[string]*accountTotals, st provider.Statement) error {
	f := finals[st.Account.ID]
	if f == nil {
		f = &accountTotals{}
		finals[st.Account.ID] = f
	}
	for _, t := range st.Transactions {
		if !t.Pending {
			f.sum = f.sum.Add(t.Amount)
		}
	}
	if st.More || st.NoBalance {
		return nil
	}
	if !f.hasBalance || !st.Account.BalanceDate.Before(f.date) {
		f.hasBalance, f.balance, f.available, f.date = true, st.Account.Balance, st.Account.AvailableBalance, st.Account.BalanceDate
	}
	return nil
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

// upsertAccount mirrors a statement's account with the balance the whole file
// states for it.
func (s *Service) upsertAccount(ctx context.Context, sub authn.Subject, c *domain.Connection, a provider.Account, f *accountTotals, sum *ImportSummary) (uuid.UUID, error) {
	in := linkedAccountOf(c, a)
	in.Balance, in.AvailableBalance = f.sum, money.NullAmount{}
	if f.hasBalance {
		in.Balance, in.AvailableBalance = f.balance, f.available
	}
	id, op, err := s.accounts.UpsertAccount(ctx, sub, in)
	if err != nil {
		return uuid.Nil, err
	}
	switch op {
	case AccountCreated:
		sum.AccountsCreated++
	case AccountUpdated:
		sum.AccountsUpdated++
	}
	return id, nil
}

// applyTransactions mirrors one statement call's transactions (withdrawn ones
// first, as the file means them) and, when given, the account's reported balance.
func (s *Service) applyTransactions(ctx context.Context, sub authn.Subject, accountID uuid.UUID, st provider.Statement, balance money.NullAmount, sum *ImportSummary) error {
	if len(st.Transactions) == 0 && len(st.Removed) == 0 && !balance.Valid {
		return nil
	}
	batch := TransactionBatch{AccountID: accountID, Removed: st.Removed, ReportedBalance: balance}
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
		ProviderTransactionID: t.ID, PendingTransactionID: t.PendingTransactionID, Type: typ, Amount: t.Amount,
		Description: t.Description, Counterparty: t.Counterparty, Status: status, Pending: t.Pending, BookedAt: t.Date,
	}
}
