package sync

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/connections"
	"github.com/kontor-app/kontor/modules/sync/internal/app"
	"github.com/kontor-app/kontor/modules/sync/internal/domain"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/money"
)

// connectionsAdapter gives the sync use cases the connections module's Sync
// contract: connections that can be synced, provider calls, and outcomes.
type connectionsAdapter struct {
	c connections.Sync
}

var _ app.Connections = connectionsAdapter{}

func connectionOf(c connections.Connection) app.Connection {
	return app.Connection{ID: c.ID, UserID: c.UserID, Provider: c.Provider, Status: c.Status, ReasonCode: c.ReasonCode, AutoSync: c.AutoSync,
		SyncIntervalMinutes: c.SyncIntervalMinutes, LastSyncAt: c.LastSyncAt, NextSyncAt: c.NextSyncAt}
}

func one(c connections.Connection, err error) (app.Connection, error) {
	if err != nil {
		return app.Connection{}, err
	}
	return connectionOf(c), nil
}

// Connection returns the subject's connection whatever its status.
func (a connectionsAdapter) Connection(ctx context.Context, sub authn.Subject, id uuid.UUID) (app.Connection, error) {
	return one(a.c.Connection(ctx, sub, id))
}

// ForSync returns the subject's connection when it can be synced.
func (a connectionsAdapter) ForSync(ctx context.Context, sub authn.Subject, id uuid.UUID) (app.Connection, error) {
	return one(a.c.ConnectionForSync(ctx, sub, id))
}

// SystemForSync returns the connection when it can be synced.
func (a connectionsAdapter) SystemForSync(ctx context.Context, id uuid.UUID) (app.Connection, error) {
	return one(a.c.SystemConnectionForSync(ctx, id))
}

// Due returns the connections due for a scheduled sync.
func (a connectionsAdapter) Due(ctx context.Context, now time.Time, limit int) ([]app.Connection, error) {
	cs, err := a.c.SystemDueConnections(ctx, now, limit)
	if err != nil {
		return nil, err
	}
	out := make([]app.Connection, len(cs))
	for i, c := range cs {
		out[i] = connectionOf(c)
	}
	return out, nil
}

func accountOf(p connections.ProviderAccount) app.ProviderAccount {
	return app.ProviderAccount{ID: p.ID, Name: p.Name, Type: p.Type, Subtype: p.Subtype, Currency: p.Currency, Mask: p.Mask,
		Balance: p.Balance, AvailableBalance: p.AvailableBalance}
}

// FetchAccounts calls the provider for the connection's accounts.
func (a connectionsAdapter) FetchAccounts(ctx context.Context, id uuid.UUID) ([]app.ProviderAccount, error) {
	list, err := a.c.SystemFetchAccounts(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]app.ProviderAccount, len(list))
	for i, p := range list {
		out[i] = accountOf(p)
	}
	return out, nil
}

func transactionsOf(in []connections.ProviderTransaction) []app.Transaction {
	out := make([]app.Transaction, len(in))
	for i, t := range in {
		out[i] = app.Transaction{ID: t.ID, AccountID: t.AccountID, Amount: t.Amount, Date: t.Date, Description: t.Description,
			Counterparty: t.Counterparty, Pending: t.Pending, PendingTransactionID: t.PendingTransactionID}
	}
	return out
}

// FetchTransactions calls the provider for one page of changes.
func (a connectionsAdapter) FetchTransactions(ctx context.Context, id uuid.UUID, req app.FetchRequest) (app.Changes, error) {
	ch, err := a.c.SystemFetchTransactions(ctx, id, connections.TransactionsRequest{Cursor: req.Cursor, From: req.From, To: req.To, Count: req.Count})
	if err != nil {
		return app.Changes{}, err
	}
	out := app.Changes{Added: transactionsOf(ch.Added), Modified: transactionsOf(ch.Modified), NextCursor: ch.NextCursor, HasMore: ch.HasMore}
	for _, r := range ch.Removed {
		out.Removed = append(out.Removed, app.Removed{ID: r.ID, AccountID: r.AccountID})
	}
	if w := ch.Window; w != nil {
		out.Window = &app.Window{From: w.From, To: w.To, Incomplete: w.Incomplete}
	}
	for _, p := range ch.Accounts {
		out.Accounts = append(out.Accounts, accountOf(p))
	}
	for _, e := range ch.AccountErrors {
		out.AccountErrors = append(out.AccountErrors, app.AccountError{AccountID: e.AccountID, Code: e.Code, Message: e.Message})
	}
	return out, nil
}

// ReportOutcome records how an attempt ended.
func (a connectionsAdapter) ReportOutcome(ctx context.Context, id uuid.UUID, result error) (app.Connection, error) {
	return one(a.c.SystemReportOutcome(ctx, id, result))
}

// Classify reads a typed provider error.
func (a connectionsAdapter) Classify(err error) (app.ProviderFailure, bool) {
	var pe *connections.ProviderError
	if !errors.As(err, &pe) {
		return app.ProviderFailure{}, false
	}
	return app.ProviderFailure{Code: string(pe.Code), Message: pe.Message, RetryAfter: pe.RetryAfter}, true
}

// Failure builds a typed provider error.
func (a connectionsAdapter) Failure(code, message string) error {
	return &connections.ProviderError{Code: connections.ProviderCode(code), Message: message}
}

// ledgerAdapter gives the sync use cases the accounts module's ProviderSync
// contract; calls join the sync's database transaction through ctx.
type ledgerAdapter struct {
	a accounts.ProviderSync
	l accounts.Ledger
}

var _ app.Ledger = ledgerAdapter{}

// UpsertAccount mirrors a provider account in the ledger.
func (l ledgerAdapter) UpsertAccount(ctx context.Context, owner uuid.UUID, c app.Connection, p app.ProviderAccount) (uuid.UUID, app.UpsertOutcome, error) {
	acct, op, err := l.a.UpsertAccount(ctx, authn.Subject{UserID: owner}, accounts.ProviderAccount{
		ConnectionID: c.ID, Provider: c.Provider, ProviderAccountID: p.ID, Name: p.Name, AccountType: p.Type, Subtype: p.Subtype,
		Currency: money.Currency(p.Currency), AccountNumber: p.Mask, Balance: p.Balance, AvailableBalance: p.AvailableBalance,
	})
	if err != nil {
		return uuid.Nil, "", err
	}
	return acct.ID, app.UpsertOutcome(op), nil
}

// ApplyEntries writes one account's entries by canonical provider id.
func (l ledgerAdapter) ApplyEntries(ctx context.Context, owner uuid.UUID, accountID uuid.UUID, ups []domain.Entry, removed []string, balance money.NullAmount) error {
	batch := accounts.TransactionBatch{AccountID: accountID, Removed: removed, ReportedBalance: balance}
	for _, e := range ups {
		typ := "deposit"
		if e.Amount.IsNegative() {
			typ = "withdrawal"
		}
		batch.Upserts = append(batch.Upserts, accounts.ProviderTransaction{ProviderTransactionID: e.ID, Type: typ, Amount: e.Amount,
			Description: e.Description, Counterparty: e.Counterparty, Pending: e.Pending, BookedAt: e.Date})
	}
	if len(batch.Upserts) == 0 && len(batch.Removed) == 0 && !balance.Valid {
		return nil
	}
	_, err := l.a.SyncTransactions(ctx, authn.Subject{UserID: owner}, batch)
	return err
}

// Balance reads an account's ledger and provider balances.
func (l ledgerAdapter) Balance(ctx context.Context, sub authn.Subject, accountID uuid.UUID) (app.LedgerBalance, error) {
	a, err := l.l.Account(ctx, sub, accountID)
	if err != nil {
		return app.LedgerBalance{}, err
	}
	return app.LedgerBalance{Name: a.Name, Currency: string(a.Currency), Ledger: a.Balance, Provider: a.ProviderBalance, Available: a.AvailableBalance}, nil
}

// importRecorder gives the connections module the sync's audit trail for
// statement imports (connections.ImportRecorder), so the connections module
// never imports this one.
type importRecorder struct {
	svc *app.Service
}

var _ connections.ImportRecorder = importRecorder{}

// RecordImport records an import as a run with trigger import.
func (r importRecorder) RecordImport(ctx context.Context, in connections.ImportRun) (uuid.UUID, error) {
	s := in.Summary
	return r.svc.RecordImport(ctx, app.ImportRecord{ConnectionID: in.ConnectionID, UserID: in.UserID, StartedAt: in.StartedAt, FinishedAt: in.FinishedAt,
		Stats: domain.Stats{AccountsCreated: s.AccountsCreated, AccountsUpdated: s.AccountsUpdated, Created: s.AccountsCreated, Updated: s.AccountsUpdated,
			Added: s.TransactionsAdded, Modified: s.TransactionsModified, Removed: s.TransactionsRemoved, Duplicates: s.Duplicates, Pages: 1},
		ErrorCode: in.ErrorCode, ErrorMessage: in.ErrorMessage})
}
