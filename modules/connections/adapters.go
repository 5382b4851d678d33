package connections

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/accounts/accountsjson"
	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/money"
)

// accountsAdapter gives the connections use cases the accounts module's
// ProviderSync and Directory contracts.
type accountsAdapter struct {
	sync accounts.ProviderSync
	dir  accounts.Directory
}

var _ app.Accounts = accountsAdapter{}

// UpsertAccount mirrors a provider account and returns the Kontor account's id.
func (a accountsAdapter) UpsertAccount(ctx context.Context, sub authn.Subject, in app.LinkedAccount) (uuid.UUID, app.UpsertOutcome, error) {
	acct, op, err := a.sync.UpsertAccount(ctx, sub, accounts.ProviderAccount{
		ConnectionID: in.ConnectionID, Provider: in.Provider, ProviderAccountID: in.ProviderAccountID, Name: in.Name,
		AccountType: in.AccountType, Subtype: in.Subtype, Currency: money.Currency(in.Currency), AccountNumber: in.AccountNumber,
		Balance: in.Balance, AvailableBalance: in.AvailableBalance,
	})
	if err != nil {
		return uuid.Nil, "", err
	}
	return acct.ID, app.UpsertOutcome(op), nil
}

// SyncTransactions applies a batch to a linked account.
func (a accountsAdapter) SyncTransactions(ctx context.Context, sub authn.Subject, in app.TransactionBatch) (app.TransactionCounts, error) {
	ups := make([]accounts.ProviderTransaction, len(in.Upserts))
	for i, t := range in.Upserts {
		ups[i] = accounts.ProviderTransaction{
			ProviderTransactionID: t.ProviderTransactionID, PendingTransactionID: t.PendingTransactionID, Type: t.Type,
			Amount: t.Amount, Description: t.Description, Counterparty: t.Counterparty,
			Pending: t.Pending || t.Status == "pending", BookedAt: t.BookedAt,
		}
	}
	res, err := a.sync.SyncTransactions(ctx, sub, accounts.TransactionBatch{AccountID: in.AccountID, Upserts: ups, Removed: in.Removed, ReportedBalance: in.ReportedBalance})
	return app.TransactionCounts(res), err
}

// DeactivateConnection makes the connection's accounts inactive.
func (a accountsAdapter) DeactivateConnection(ctx context.Context, sub authn.Subject, connectionID uuid.UUID) (int, error) {
	return a.sync.DeactivateConnection(ctx, sub, connectionID)
}

// ConnectionAccounts lists the connection's accounts with GET /accounts' body.
func (a accountsAdapter) ConnectionAccounts(ctx context.Context, sub authn.Subject, connectionID uuid.UUID, query url.Values) (json.Marshaler, error) {
	q, err := accountsjson.ParseAccountQuery(query)
	if err != nil {
		return nil, err
	}
	page, err := a.dir.ConnectionAccounts(ctx, sub, connectionID, q)
	if err != nil {
		return nil, err
	}
	return accountListBody{body: accountsjson.AccountList(page)}, nil
}

// accountListBody marshals to GET /accounts' body.
type accountListBody struct{ body any }

// MarshalJSON writes the body.
func (b accountListBody) MarshalJSON() ([]byte, error) { return json.Marshal(b.body) }

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
