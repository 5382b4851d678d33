package app

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// RecordTransactionInput records one entry on a manual account. Amount is a positive
// magnitude and Type sets the sign (deposit, interest, dividend and refund add;
// withdrawal, fee, purchase and payment subtract); adjustment and other take the
// amount with its own sign. Transfers go through Transfer, so transfer_in and
// transfer_out are refused here. BookedAt is RFC 3339 or a date, and defaults to
// now; Status defaults to posted.
type RecordTransactionInput struct {
	AccountID    uuid.UUID
	Type         string
	Amount       string
	Description  string
	Counterparty string
	Status       string
	BookedAt     string
	ExternalID   string
}

// Recorded is a recorded entry and the account as it stands after it.
type Recorded struct {
	Transaction domain.Transaction
	Account     domain.Account
}

// RecordTransaction posts an entry; the balance changes in the same database
// transaction as the entry is written.
func (s *Service) RecordTransaction(ctx context.Context, sub authn.Subject, in RecordTransactionInput) (Recorded, error) {
	now := s.now()
	e, err := s.checkEntry(in, now)
	if err != nil {
		return Recorded{}, err
	}
	a, err := s.update(ctx, sub, in.AccountID, authz.ActionWrite, func(_ context.Context, a *domain.Account) error {
		e.Currency = a.Currency
		return a.Post(e, now)
	})
	if err != nil {
		return Recorded{}, err
	}
	e.AccountID, e.UserID = a.ID, a.UserID
	return Recorded{Transaction: e, Account: a}, nil
}

func (s *Service) checkEntry(in RecordTransactionInput, now time.Time) (domain.Transaction, error) {
	var errs apperr.Fields
	e := domain.Transaction{ID: s.NewID(), Status: domain.Posted, BookedAt: now, CreatedAt: now}
	t, err := domain.ParseTransactionType(in.Type)
	switch {
	case in.Type == "":
		errs.Add("type", "is required")
	case err != nil:
		errs.Add("type", "%s", err.Error())
	case t == domain.TransferIn || t == domain.TransferOut:
		errs.Add("type", "transfers are recorded with POST /transfers, which writes both legs")
	}
	e.Type = t
	if strings.TrimSpace(in.Amount) == "" {
		errs.Add("amount", "is required")
	} else if amount, ok := parseAmount(&errs, "amount", in.Amount); ok && err == nil {
		signed, serr := domain.SignedAmount(t, amount)
		if serr != nil {
			errs.Add("amount", "%s", serr.Error())
		}
		e.Amount = signed
	}
	if in.Status != "" {
		st, err := domain.ParseTransactionStatus(in.Status)
		if err != nil {
			errs.Add("status", "%s", err.Error())
		}
		e.Status = st
	}
	if in.BookedAt != "" {
		if b, ok := parseInstant(&errs, "booked_at", in.BookedAt); ok {
			e.BookedAt = b
		}
	}
	if err := domain.CheckText(in.Description, domain.MaxDescriptionLength); err != nil {
		errs.Add("description", "%s", err.Error())
	}
	if err := domain.CheckText(in.Counterparty, domain.MaxCounterpartyLength); err != nil {
		errs.Add("counterparty", "%s", err.Error())
	}
	if err := domain.CheckText(in.ExternalID, domain.MaxExternalIDLength); err != nil {
		errs.Add("external_id", "%s", err.Error())
	}
	e.Description = strings.TrimSpace(in.Description)
	e.Counterparty = strings.TrimSpace(in.Counterparty)
	e.ExternalID = strings.TrimSpace(in.ExternalID)
	return e, errs.Err()
}

// TransferInput moves money between two of the subject's manual accounts in one
// currency. Amount is a positive magnitude.
type TransferInput struct {
	SourceAccountID      string
	DestinationAccountID string
	Amount               string
	Description          string
	BookedAt             string
}

// TransferResult is a recorded transfer with both legs and both accounts after it.
type TransferResult struct {
	Transfer    domain.TransferRecord
	Source      domain.Account
	Destination domain.Account
}

// Transfer records both legs of a transfer or neither.
func (s *Service) Transfer(ctx context.Context, sub authn.Subject, in TransferInput) (TransferResult, error) {
	var errs apperr.Fields
	now := s.now()
	src, serr := uuid.Parse(in.SourceAccountID)
	if in.SourceAccountID == "" {
		errs.Add("source_account_id", "is required")
	} else if serr != nil {
		errs.Add("source_account_id", "must be an account id")
	}
	dst, derr := uuid.Parse(in.DestinationAccountID)
	if in.DestinationAccountID == "" {
		errs.Add("destination_account_id", "is required")
	} else if derr != nil {
		errs.Add("destination_account_id", "must be an account id")
	}
	if serr == nil && derr == nil && src == dst {
		errs.Add("destination_account_id", "must differ from source_account_id")
	}
	var amount money.Amount
	if strings.TrimSpace(in.Amount) == "" {
		errs.Add("amount", "is required")
	} else if a, ok := parseAmount(&errs, "amount", in.Amount); ok {
		if !a.IsPositive() {
			errs.Add("amount", "must be a positive amount")
		}
		amount = a
	}
	bookedAt := now
	if in.BookedAt != "" {
		if b, ok := parseInstant(&errs, "booked_at", in.BookedAt); ok {
			bookedAt = b
		}
	}
	if err := domain.CheckText(in.Description, domain.MaxDescriptionLength); err != nil {
		errs.Add("description", "%s", err.Error())
	}
	if err := errs.Err(); err != nil {
		return TransferResult{}, err
	}
	var out TransferResult
	var source, destination *domain.Account
	err := s.repo.UpdatePair(ctx, src, dst, func(ctx context.Context, first, second *domain.Account) error {
		source, destination = first, second
		if first.ID != src {
			source, destination = second, first
		}
		if err := s.authorize(ctx, sub, source, authz.ActionWrite); err != nil {
			return err
		}
		if err := s.authorize(ctx, sub, destination, authz.ActionWrite); err != nil {
			return err
		}
		rec, err := domain.Transfer(s.NewID(), s.NewID(), s.NewID(), source, destination, amount, strings.TrimSpace(in.Description), bookedAt, now)
		out.Transfer = rec
		return err
	})
	if err != nil {
		return TransferResult{}, s.mapRepoError(err)
	}
	// The repository saved both accounts through these pointers and raised their
	// versions there.
	out.Source, out.Destination = *source, *destination
	return out, nil
}

// ListTransactionsInput filters and pages entries, newest first. AccountID limits
// the list to one account (the per-account route); AccountIDs, for the list across
// accounts, to several. Dates are YYYY-MM-DD and inclusive; MinAmount and MaxAmount
// bound the magnitude of the amount, whatever its sign.
type ListTransactionsInput struct {
	AccountID  uuid.NullUUID
	AccountIDs []string
	StartDate  string
	EndDate    string
	Types      []string
	Status     string
	MinAmount  string
	MaxAmount  string
	Q          string
	Limit      int
	Cursor     string
}

// TransactionList is one page of entries.
type TransactionList struct {
	Transactions []domain.Transaction
	NextCursor   string
	HasMore      bool
}

const transactionCursorKind = "transactions"

// ListTransactions returns a page of the subject's entries.
func (s *Service) ListTransactions(ctx context.Context, sub authn.Subject, in ListTransactionsInput) (TransactionList, error) {
	q := TransactionQuery{TransactionFilter: TransactionFilter{UserID: sub.UserID}}
	if in.AccountID.Valid {
		a, err := s.load(ctx, sub, in.AccountID.UUID, authz.ActionRead)
		if err != nil {
			return TransactionList{}, err
		}
		q.AccountIDs = []uuid.UUID{a.ID}
	} else if err := s.authorizeOwn(ctx, sub, authz.ActionRead); err != nil {
		return TransactionList{}, err
	}
	var errs apperr.Fields
	for _, raw := range in.AccountIDs {
		for _, v := range strings.Split(raw, ",") {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			id, err := uuid.Parse(v)
			if err != nil {
				errs.Add("account_id", "must be an account id")
				continue
			}
			// Naming another user's account is forbidden, not silently empty.
			a, err := s.load(ctx, sub, id, authz.ActionRead)
			if err != nil {
				return TransactionList{}, err
			}
			q.AccountIDs = append(q.AccountIDs, a.ID)
		}
	}
	var start, end time.Time
	var hasStart, hasEnd bool
	if in.StartDate != "" {
		start, hasStart = parseDate(&errs, "start_date", in.StartDate)
	}
	if in.EndDate != "" {
		end, hasEnd = parseDate(&errs, "end_date", in.EndDate)
	}
	if hasStart && hasEnd && start.After(end) {
		errs.Add("start_date", "must not be after end_date")
	}
	if hasStart {
		q.From = &start
	}
	if hasEnd {
		to := end.AddDate(0, 0, 1)
		q.To = &to
	}
	for _, raw := range in.Types {
		for _, v := range strings.Split(raw, ",") {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			t, err := domain.ParseTransactionType(v)
			if err != nil {
				errs.Add("transaction_type", "%s", err.Error())
				continue
			}
			q.Types = append(q.Types, t)
		}
	}
	if in.Status != "" {
		st, err := domain.ParseTransactionStatus(in.Status)
		if err != nil {
			errs.Add("status", "%s", err.Error())
		}
		q.Status = st
	}
	q.MinAmount = parseOptionalAmount(&errs, "min_amount", in.MinAmount)
	q.MaxAmount = parseOptionalAmount(&errs, "max_amount", in.MaxAmount)
	q.Contains = strings.TrimSpace(in.Q)
	q.Limit = checkLimit(&errs, in.Limit)
	if err := errs.Err(); err != nil {
		return TransactionList{}, err
	}
	after, err := decodeCursor(in.Cursor, transactionCursorKind, "")
	if err != nil {
		return TransactionList{}, err
	}
	if after != nil {
		if _, err := time.Parse(time.RFC3339Nano, after.Value); err != nil {
			return TransactionList{}, apperr.New(apperr.InvalidCursor, "The cursor is not one this list handed out; start again without it.")
		}
	}
	q.After = after
	page, err := s.repo.ListTransactions(ctx, q)
	if err != nil {
		return TransactionList{}, err
	}
	out := TransactionList{Transactions: page.Transactions, HasMore: page.HasMore}
	if page.HasMore && len(page.Transactions) > 0 {
		last := page.Transactions[len(page.Transactions)-1]
		out.NextCursor = encodeCursor(transactionCursorKind, "", last.BookedAt.UTC().Format(time.RFC3339Nano), last.ID)
	}
	return out, nil
}
