package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"github.com/kontor-app/kontor/platform/spreadsheet"
	"io"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/userdata"
)

// exportPage is the page size the export reads with: the API's largest.
const exportPage = 200

// Exporter writes the accounts part of a data export: accounts.json, the body of
// GET /accounts?include_archived=true with every account on one page, and per
// account accounts/<id>/transactions.json, the body of GET
// /accounts/<id>/transactions with every entry on one page, and the same entries
// as accounts/<id>/transactions.csv. The JSON is written by the same code as the
// API's answers.
type Exporter struct {
	svc Service
}

// NewExporter returns the accounts exporter over svc.
func NewExporter(svc Service) *Exporter { return &Exporter{svc: svc} }

// ExportUser writes the files; transactions are streamed page by page.
func (e *Exporter) ExportUser(ctx context.Context, sub authn.Subject, create userdata.CreateFunc) error {
	var all app.AccountList
	q := app.ListAccountsQuery{Limit: exportPage}
	q.IncludeArchived = true
	for {
		page, err := e.svc.ListAccounts(ctx, sub, q)
		if err != nil {
			return err
		}
		if q.Cursor == "" {
			all = page
			all.Accounts = nil
		}
		all.Accounts = append(all.Accounts, page.Accounts...)
		if !page.HasMore {
			break
		}
		q.Cursor = page.NextCursor
	}
	all.NextCursor, all.HasMore = "", false
	if err := userdata.WriteJSON(create, "accounts.json", AccountListBody(all)); err != nil {
		return err
	}
	for _, a := range all.Accounts {
		if err := e.exportTransactions(ctx, sub, a, create); err != nil {
			return err
		}
	}
	return nil
}

// eachTransaction calls fn with every page of the account's entries, in the API's
// order.
func (e *Exporter) eachTransaction(ctx context.Context, sub authn.Subject, id uuid.UUID, fn func(domain.Transaction) error) error {
	in := app.ListTransactionsInput{AccountID: uuid.NullUUID{UUID: id, Valid: true}, Limit: exportPage}
	for {
		list, err := e.svc.ListTransactions(ctx, sub, in)
		if err != nil {
			return err
		}
		for _, t := range list.Transactions {
			if err := fn(t); err != nil {
				return err
			}
		}
		if !list.HasMore {
			return nil
		}
		in.Cursor = list.NextCursor
	}
}

// TransactionCSVHeader is the first row of an export's transactions.csv: the
// transaction object's fields. Free text (description, counterparty and the
// external ids) is made spreadsheet-safe.
var TransactionCSVHeader = []string{"id", "account_id", "booked_at", "type", "status", "amount", "currency", "description", "counterparty", "external_id", "provider_transaction_id", "transfer_id", "created_at"}

func (e *Exporter) exportTransactions(ctx context.Context, sub authn.Subject, a domain.Account, create userdata.CreateFunc) error {
	dir := "accounts/" + a.ID.String() + "/"
	w, err := create(dir + "transactions.json")
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, "{\n  \"transactions\": ["); err != nil {
		return err
	}
	first := true
	err = e.eachTransaction(ctx, sub, a.ID, func(t domain.Transaction) error {
		b, err := json.Marshal(transactionOf(t))
		if err != nil {
			return err
		}
		sep := ",\n    "
		if first {
			sep, first = "\n    ", false
		}
		_, err = io.WriteString(w, sep+string(b))
		return err
	})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\n  ],\n  \"next_cursor\": null,\n  \"has_more\": false\n}\n"); err != nil {
		return err
	}

	w, err = create(dir + "transactions.csv")
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(TransactionCSVHeader); err != nil {
		return err
	}
	err = e.eachTransaction(ctx, sub, a.ID, func(t domain.Transaction) error {
		j := transactionOf(t)
		return cw.Write([]string{
			j.ID, j.AccountID, j.BookedAt, j.Type, j.Status, j.Amount.String(), j.Currency, spreadsheet.SafeCell(j.Description),
			spreadsheet.SafeCell(deref(j.Counterparty)), spreadsheet.SafeCell(deref(j.ExternalID)), spreadsheet.SafeCell(deref(j.ProviderTransactionID)),
			deref(j.TransferID), j.CreatedAt,
		})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
