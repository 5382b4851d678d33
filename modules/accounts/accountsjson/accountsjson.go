// Package accountsjson lets another module's JSON route serve a list of accounts
// exactly as GET /api/v1/accounts does: the same query parameters, read by the same
// decoder, and the same body, written by the same code. The accounts contract
// (package accounts) stays free of HTTP; this package is its one JSON face for other
// modules, such as GET /connections/{id}/accounts.
package accountsjson

import (
	"net/url"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/accounts/internal/api"
	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
)

// ParseAccountQuery reads the query parameters of GET /accounts (limit, cursor,
// active_only, account_type, status, currency, manual, min_balance, max_balance,
// created_after, created_before, q, include_archived, sort) with the same rules and
// the same errors. A connection_id parameter is checked but not kept: the caller's
// route names the connection.
func ParseAccountQuery(v url.Values) (accounts.AccountQuery, error) {
	q, err := api.ParseListAccounts(v)
	if err != nil {
		return accounts.AccountQuery{}, err
	}
	out := accounts.AccountQuery{
		ActiveOnly: q.ActiveOnly, Currency: q.Currency, Manual: q.Manual, MinBalance: q.MinBalance,
		MaxBalance: q.MaxBalance, CreatedAfter: q.CreatedAfter, CreatedBefore: q.CreatedBefore,
		NameContains: q.NameContains, IncludeArchived: q.IncludeArchived, Limit: q.Limit, Cursor: q.Cursor,
	}
	if q.Sort.Field != "" {
		out.Sort = q.Sort.String()
	}
	for _, t := range q.Types {
		out.Types = append(out.Types, string(t))
	}
	for _, s := range q.Statuses {
		out.Statuses = append(out.Statuses, string(s))
	}
	return out, nil
}

// AccountList returns the body of GET /accounts for page, for the caller to send
// as JSON (for example with fiber's c.JSON).
func AccountList(page accounts.AccountPage) any {
	list := app.AccountList{
		Accounts: make([]domain.Account, len(page.Accounts)), TotalCount: page.TotalCount, ActiveCount: page.ActiveCount,
		TotalBalanceByCurrency: page.TotalBalanceByCurrency, NextCursor: page.NextCursor, HasMore: page.HasMore,
	}
	for i, a := range page.Accounts {
		list.Accounts[i] = domainAccount(a)
	}
	return api.AccountListBody(list)
}

// domainAccount turns the contract's account back into the module's own, for the
// JSON view that GET /accounts uses.
func domainAccount(a accounts.Account) domain.Account {
	out := domain.Account{
		ID: a.ID, UserID: a.UserID, ConnectionID: a.ConnectionID, Provider: a.Provider, ProviderAccountID: a.ProviderAccountID,
		ExternalID: a.ExternalID, AccountNumber: a.AccountNumber, Name: a.Name, Type: domain.AccountType(a.Type),
		Subtype: a.Subtype, Currency: a.Currency, Balance: a.Balance, AvailableBalance: a.AvailableBalance,
		OverdraftLimit: a.OverdraftLimit, InterestRate: a.InterestRate, Status: domain.Status(a.Status),
		IsHidden: a.IsHidden, IsFavourite: a.IsFavourite, ShowInDashboard: a.ShowInDashboard, Color: a.Color,
		Icon: a.Icon, Notes: a.Notes, SortOrder: a.SortOrder, CustomFields: make([]domain.CustomField, len(a.CustomFields)),
		Metadata: a.Metadata, LinkedAccountID: a.LinkedAccountID, ProviderBalance: a.ProviderBalance,
		TransactionCount: a.TransactionCount, LastSyncedAt: a.LastSyncedAt, CreatedAt: a.CreatedAt,
		UpdatedAt: a.UpdatedAt, ClosedAt: a.ClosedAt, ArchivedAt: a.ArchivedAt, Version: a.Version,
	}
	for i, f := range a.CustomFields {
		out.CustomFields[i] = domain.CustomField(f)
	}
	return out
}
