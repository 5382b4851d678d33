package connections

import (
	"context"
	"strconv"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/events"
	"github.com/kontor-app/kontor/platform/money"
)

// accountsAdapter gives the connections use cases the accounts module's
// ProviderSync and Directory contracts.
type accountsAdapter struct {
	sync accounts.ProviderSync
	dir  accounts.Directory
}

var _ app.Accounts = accountsAdapter{}

// UpsertAccount mirrors a provider account and returns the Kontor account's id. A
// currency the provider spells wrongly is a validation error on currency.
func (a accountsAdapter) UpsertAccount(ctx context.Context, sub authn.Subject, in app.LinkedAccount) (uuid.UUID, app.UpsertOutcome, error) {
	cur, err := money.ParseCurrency(in.Currency)
	if err != nil {
		return uuid.Nil, "", apperr.Validation(apperr.FieldError{Field: "currency", Message: "must be an ISO 4217 code or a crypto ticker, got " + strconvQuote(in.Currency)})
	}
	acct, op, err := a.sync.UpsertAccount(ctx, sub, accounts.ProviderAccount{
		ConnectionID: in.ConnectionID, Provider: in.Provider, ProviderAccountID: in.ProviderAccountID, Name: in.Name,
		AccountType: in.AccountType, Subtype: in.Subtype, Currency: cur, AccountNumber: in.AccountNumber,
		Balance: in.Balance, AvailableBalance: in.AvailableBalance,
	})
	if err != nil {
		return uuid.Nil, "", err
	}
	return acct.ID, app.UpsertOutcome(op), nil
}

func strconvQuote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

// SyncTransactions applies a batch to a linked account.
func (a accountsAdapter) SyncTransactions(ctx context.Context, sub authn.Subject, in app.TransactionBatch) (app.TransactionCounts, error) {
	ups := make([]accounts.ProviderTransaction, len(in.Upserts))
	for i, t := range in.Upserts {
		ups[i] = accounts.ProviderTransaction{
			ProviderTransactionID: t.ProviderTransactionID, PendingTransactionID: t.PendingTransactionID, Type: t.Type,
			Amount: t.Amount, Description: t.Description, Counterparty: t.Counterparty, Pending: t.Pending, BookedAt: t.BookedAt,
		}
	}
	res, err := a.sync.SyncTransactions(ctx, sub, accounts.TransactionBatch{AccountID: in.AccountID, Upserts: ups, Removed: in.Removed, ReportedBalance: in.ReportedBalance})
	return app.TransactionCounts{Added: res.Added, Modified: res.Modified, Removed: res.Removed, Unchanged: res.Unchanged}, err
}

// DeactivateConnection makes the connection's accounts inactive.
func (a accountsAdapter) DeactivateConnection(ctx context.Context, sub authn.Subject, connectionID uuid.UUID) (int, error) {
	return a.sync.DeactivateConnection(ctx, sub, connectionID)
}

// ConnectionAccounts lists one page of the connection's accounts.
func (a accountsAdapter) ConnectionAccounts(ctx context.Context, sub authn.Subject, connectionID uuid.UUID, q accounts.AccountQuery) (accounts.AccountPage, error) {
	return a.dir.ConnectionAccounts(ctx, sub, connectionID, q)
}

// CountAccounts counts each connection's accounts, archived and inactive ones
// included, from the list's total.
func (a accountsAdapter) CountAccounts(ctx context.Context, sub authn.Subject, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	out := make(map[uuid.UUID]int, len(ids))
	for _, id := range ids {
		page, err := a.dir.ConnectionAccounts(ctx, sub, id, accounts.AccountQuery{Limit: 1, IncludeArchived: true})
		if err != nil {
			return nil, err
		}
		out[id] = int(page.TotalCount)
	}
	return out, nil
}

// eventPublisher announces status changes on the platform's event bus, writing
// each to the event log in the transaction of the change.
type eventPublisher struct {
	bus *events.Bus
	db  *database.DB
}

var _ app.Publisher = eventPublisher{}

// Publish appends the change to the event log in ctx's transaction.
func (p eventPublisher) Publish(ctx context.Context, e domain.ConnectionStatusChanged) error {
	data := map[string]any{"provider": e.Provider, "from": string(e.From), "to": string(e.To), "status_reason": nil}
	if e.Reason != nil {
		data["status_reason"] = map[string]any{"code": string(e.Reason.Code), "message": e.Reason.Message, "action": string(e.Reason.Action)}
	}
	_, err := p.bus.Publish(ctx, p.db.Conn(ctx), events.Event{
		Type: events.Type(e.EventType()), UserID: e.UserID, OccurredAt: e.OccurredAt, ConnectionID: e.ConnectionID, Data: data,
	})
	return err
}
