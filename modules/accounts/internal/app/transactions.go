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

// Booking dates Kontor accepts: from the start of 1900 to one year after now. A
// future-dated entry within that year counts in balance_amount at once (the balance
// is the whole ledger's) and appears in the history and in statements on its own
// day, so the balance at the end of any day, the history's point for it and a
// statement's closing balance agree.
var earliestBooking = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// latestBooking is the last moment an entry may be booked at, seen from now.
func latestBooking(now time.Time) time.Time { return now.AddDate(1, 0, 0) }

func checkBookedAt(errs *apperr.Fields, field string, t, now time.Time) {
	if t.Before(earliestBooking) || t.After(latestBooking(now)) {
		errs.Add(field, "must lie between 1900-01-01 and one year from today (%s)", latestBooking(now).Format(time.DateOnly))
	}
}

// RecordTransactionText is a new entry as text, the way POST
// /accounts/{id}/transactions and the transaction form receive it; the decoder
// ParseRecordTransaction reads it for both. Status and BookedAt are nil when not
// given; given, they must not be empty (a JSON client that sends "" has made a
// mistake; an HTML form leaves an empty optional input out).
type RecordTransactionText struct {
	AccountID    uuid.UUID
	Type         string
	Amount       string
	Description  string
	Counterparty string
	Status       *string
	BookedAt     *string
	ExternalID   string
}

// RecordTransactionInput records one entry on a manual account. Amount is a positive
// magnitude and Type sets the sign (deposit, interest, dividend and refund add;
// withdrawal, fee, purchase and payment subtract); adjustment and other take the
// amount with its own sign. Transfers go through Transfer, so transfer_in and
// transfer_out are refused here. A zero BookedAt means now and an empty Status
// posted.
type RecordTransactionInput struct {
	AccountID    uuid.UUID
	Type         domain.TransactionType
	Amount       money.Amount
	Description  string
	Counterparty string
	Status       domain.TransactionStatus
	BookedAt     time.Time
	ExternalID   string
}

// Recorded is a recorded entry and the account as it stands after it.
type Recorded struct {
	Transaction domain.Transaction
	Account     domain.Account
}

// ParseRecordTransaction decodes a new entry's text and checks it as the use case
// will, reporting every problem at once, the same for both faces.
func (s *Service) ParseRecordTransaction(in RecordTransactionText) (RecordTransactionInput, error) {
	var errs apperr.Fields
	out := RecordTransactionInput{AccountID: in.AccountID, Description: in.Description, Counterparty: in.Counterparty, ExternalID: in.ExternalID}
	typeOK, amountOK := false, false
	if strings.TrimSpace(in.Type) == "" {
		errs.Add("type", "is required")
	} else if t, err := domain.ParseTransactionType(in.Type); err != nil {
		errs.Add("type", "%s", err.Error())
	} else {
		out.Type, typeOK = t, true
	}
	if strings.TrimSpace(in.Amount) == "" {
		errs.Add("amount", "is required")
	} else {
		out.Amount, amountOK = parseAmount(&errs, "amount", in.Amount)
	}
	checkKind(&errs, out, typeOK, amountOK)
	if in.Status != nil {
		if strings.TrimSpace(*in.Status) == "" {
			errs.Add("status", "must not be empty; leave it out for posted")
		} else if st, err := domain.ParseTransactionStatus(*in.Status); err != nil {
			errs.Add("status", "%s", err.Error())
		} else {
			out.Status = st
		}
	}
	if in.BookedAt != nil {
		if strings.TrimSpace(*in.BookedAt) == "" {
			errs.Add("booked_at", "must not be empty; leave it out for now")
		} else if b, ok := parseInstant(&errs, "booked_at", *in.BookedAt); ok {
			out.BookedAt = b
		}
	}
	s.checkEntry(&errs, out)
	return out, errs.Err()
}

// checkKind holds a typed entry's type and amount to the rules; typeOK and
// amountOK say whether those fields are there to check (a decoder has reported
// them otherwise).
func checkKind(errs *apperr.Fields, in RecordTransactionInput, typeOK, amountOK bool) {
	if typeOK {
		if _, err := domain.ParseTransactionType(string(in.Type)); err != nil {
			errs.Add("type", "%s", err.Error())
			typeOK = false
		} else if in.Type == domain.TransferIn || in.Type == domain.TransferOut {
			errs.Add("type", "transfers are recorded with POST /transfers, which writes both legs")
		}
	}
	if typeOK && amountOK {
		if _, err := domain.SignedAmount(in.Type, in.Amount); err != nil {
			errs.Add("amount", "%s", err.Error())
		}
	}
}

// checkEntry holds the rest of a typed entry to the rules.
func (s *Service) checkEntry(errs *apperr.Fields, in RecordTransactionInput) {
	if in.Status != "" {
		if _, err := domain.ParseTransactionStatus(string(in.Status)); err != nil {
			errs.Add("status", "%s", err.Error())
		}
	}
	if !in.BookedAt.IsZero() {
		checkBookedAt(errs, "booked_at", in.BookedAt, s.now())
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
}

// RecordTransaction posts an entry; the balance changes in the same database
// transaction as the entry is written.
func (s *Service) RecordTransaction(ctx context.Context, sub authn.Subject, in RecordTransactionInput) (Recorded, error) {
	var errs apperr.Fields
	if in.Type == "" {
		errs.Add("type", "is required")
	}
	checkKind(&errs, in, in.Type != "", true)
	s.checkEntry(&errs, in)
	if err := errs.Err(); err != nil {
		return Recorded{}, err
	}
	now := s.now()
	signed, _ := domain.SignedAmount(in.Type, in.Amount)
	e := domain.Transaction{
		ID: s.NewID(), Type: in.Type, Amount: signed, Status: domain.Posted, BookedAt: now, CreatedAt: now,
		Description: strings.TrimSpace(in.Description), Counterparty: strings.TrimSpace(in.Counterparty),
		ExternalID: strings.TrimSpace(in.ExternalID),
	}
	if in.Status != "" {
		e.Status = in.Status
	}
	if !in.BookedAt.IsZero() {
		e.BookedAt = in.BookedAt.UTC().Truncate(time.Microsecond)
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

// TransferText is a transfer as text, the way POST /transfers and the transfer
// form receive it; BookedAt is nil when not given and must not be empty when given.
type TransferText struct {
	SourceAccountID      string
	DestinationAccountID string
	Amount               string
	Description          string
	BookedAt             *string
}

// TransferInput moves money between two of the subject's manual accounts in one
// currency. Amount is a positive magnitude; a zero BookedAt means now.
type TransferInput struct {
	SourceAccountID      uuid.UUID
	DestinationAccountID uuid.UUID
	Amount               money.Amount
	Description          string
	BookedAt             time.Time
}

// TransferResult is a recorded transfer with both legs and both accounts after it.
type TransferResult struct {
	Transfer    domain.TransferRecord
	Source      domain.Account
	Destination domain.Account
}

// ParseTransfer decodes a transfer's text and checks it as the use case will,
// reporting every problem at once, the same for both faces.
func (s *Service) ParseTransfer(in TransferText) (TransferInput, error) {
	var errs apperr.Fields
	out := TransferInput{Description: in.Description}
	var serr, derr error
	out.SourceAccountID, serr = uuid.Parse(in.SourceAccountID)
	if in.SourceAccountID == "" {
		errs.Add("source_account_id", "is required")
	} else if serr != nil {
		errs.Add("source_account_id", "must be an account id")
	}
	out.DestinationAccountID, derr = uuid.Parse(in.DestinationAccountID)
	if in.DestinationAccountID == "" {
		errs.Add("destination_account_id", "is required")
	} else if derr != nil {
		errs.Add("destination_account_id", "must be an account id")
	}
	amountOK := false
	if strings.TrimSpace(in.Amount) == "" {
		errs.Add("amount", "is required")
	} else {
		out.Amount, amountOK = parseAmount(&errs, "amount", in.Amount)
	}
	if in.BookedAt != nil {
		if strings.TrimSpace(*in.BookedAt) == "" {
			errs.Add("booked_at", "must not be empty; leave it out for now")
		} else if b, ok := parseInstant(&errs, "booked_at", *in.BookedAt); ok {
			out.BookedAt = b
		}
	}
	s.checkTransfer(&errs, out, serr == nil && derr == nil, amountOK)
	return out, errs.Err()
}

func (s *Service) checkTransfer(errs *apperr.Fields, in TransferInput, idsOK, amountOK bool) {
	if idsOK && in.SourceAccountID == in.DestinationAccountID {
		errs.Add("destination_account_id", "must differ from source_account_id")
	}
	if amountOK && !in.Amount.IsPositive() {
		errs.Add("amount", "must be a positive amount")
	}
	if !in.BookedAt.IsZero() {
		checkBookedAt(errs, "booked_at", in.BookedAt, s.now())
	}
	if err := domain.CheckText(in.Description, domain.MaxDescriptionLength); err != nil {
		errs.Add("description", "%s", err.Error())
	}
}

// Transfer records both legs of a transfer or neither.
func (s *Service) Transfer(ctx context.Context, sub authn.Subject, in TransferInput) (TransferResult, error) {
	var errs apperr.Fields
	if in.SourceAccountID == uuid.Nil {
		errs.Add("source_account_id", "is required")
	}
	if in.DestinationAccountID == uuid.Nil {
		errs.Add("destination_account_id", "is required")
	}
	s.checkTransfer(&errs, in, true, true)
	if err := errs.Err(); err != nil {
		return TransferResult{}, err
	}
	now := s.now()
	bookedAt := now
	if !in.BookedAt.IsZero() {
		bookedAt = in.BookedAt.UTC().Truncate(time.Microsecond)
	}
	src, dst := in.SourceAccountID, in.DestinationAccountID
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
		rec, err := domain.Transfer(s.NewID(), s.NewID(), s.NewID(), source, destination, in.Amount, strings.TrimSpace(in.Description), bookedAt, now)
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

// ListTransactionsText is the transaction list's query as text, the way GET
// /accounts/{id}/transactions, GET /transactions and the account page receive it;
// ParseListTransactions decodes it for every face alike. Dates are YYYY-MM-DD and
// inclusive; empty means "any".
type ListTransactionsText struct {
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

// ListTransactionsInput filters and pages entries, newest first. AccountID limits
// the list to one account (the per-account route); AccountIDs, for the list across
// accounts, to several. From and To are UTC days, both inclusive; MinAmount and
// MaxAmount bound the magnitude of the amount, whatever its sign. A zero Limit
// means DefaultLimit.
type ListTransactionsInput struct {
	AccountID  uuid.NullUUID
	AccountIDs []uuid.UUID
	From       *time.Time
	To         *time.Time
	Types      []domain.TransactionType
	Status     domain.TransactionStatus
	MinAmount  *money.Amount
	MaxAmount  *money.Amount
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

// ParseListTransactions decodes the transaction list's query text; both faces call
// it, so both report the same field errors.
func ParseListTransactions(in ListTransactionsText) (ListTransactionsInput, error) {
	var errs apperr.Fields
	out := ListTransactionsInput{Q: strings.TrimSpace(in.Q), Limit: in.Limit, Cursor: in.Cursor}
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
			out.AccountIDs = append(out.AccountIDs, id)
		}
	}
	if in.StartDate != "" {
		if d, ok := parseDate(&errs, "start_date", in.StartDate); ok {
			out.From = &d
		}
	}
	if in.EndDate != "" {
		if d, ok := parseDate(&errs, "end_date", in.EndDate); ok {
			out.To = &d
		}
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
			out.Types = append(out.Types, t)
		}
	}
	if in.Status != "" {
		st, err := domain.ParseTransactionStatus(in.Status)
		if err != nil {
			errs.Add("status", "%s", err.Error())
		}
		out.Status = st
	}
	out.MinAmount = parseOptionalAmount(&errs, "min_amount", in.MinAmount)
	out.MaxAmount = parseOptionalAmount(&errs, "max_amount", in.MaxAmount)
	checkTransactionQuery(&errs, out)
	return out, errs.Err()
}

// checkTransactionQuery holds a typed list query to the list's rules.
func checkTransactionQuery(errs *apperr.Fields, in ListTransactionsInput) {
	if in.From != nil && in.To != nil && in.From.After(*in.To) {
		errs.Add("start_date", "must not be after end_date")
	}
	for _, t := range in.Types {
		if _, err := domain.ParseTransactionType(string(t)); err != nil {
			errs.Add("transaction_type", "%s", err.Error())
		}
	}
	if in.Status != "" {
		if _, err := domain.ParseTransactionStatus(string(in.Status)); err != nil {
			errs.Add("status", "%s", err.Error())
		}
	}
	checkLimit(errs, in.Limit)
}

// ListTransactions returns a page of the subject's entries.
func (s *Service) ListTransactions(ctx context.Context, sub authn.Subject, in ListTransactionsInput) (TransactionList, error) {
	q := TransactionQuery{TransactionFilter: TransactionFilter{UserID: sub.UserID}}
	if in.AccountID.Valid && len(in.AccountIDs) == 0 {
		return s.listAccountTransactions(ctx, sub, q, in)
	}
	if in.AccountID.Valid {
		a, err := s.load(ctx, sub, in.AccountID.UUID, authz.ActionRead)
		if err != nil {
			return TransactionList{}, err
		}
		q.AccountIDs = []uuid.UUID{a.ID}
	} else if err := s.authorizeOwn(ctx, sub, authz.ActionRead); err != nil {
		return TransactionList{}, err
	}
	for _, id := range in.AccountIDs {
		// Naming another user's account is forbidden, not silently empty.
		a, err := s.load(ctx, sub, id, authz.ActionRead)
		if err != nil {
			return TransactionList{}, err
		}
		q.AccountIDs = append(q.AccountIDs, a.ID)
	}
	return s.listTransactions(ctx, q, in)
}

// listAccountTransactions is one account's page in one query: the page query
// reads only the subject's entries of the account (q.UserID), so it enforces
// ownership itself, and casbin's owner rule always allows an owner to read. Only
// when that finds nothing (or the input is refused) is the account loaded and
// authorized, to answer as before: not_found for no such account, forbidden for
// another user's, and otherwise the empty page or the input's error.
func (s *Service) listAccountTransactions(ctx context.Context, sub authn.Subject, q TransactionQuery, in ListTransactionsInput) (TransactionList, error) {
	q.AccountIDs = []uuid.UUID{in.AccountID.UUID}
	list, err := s.listTransactions(ctx, q, in)
	if err == nil && len(list.Transactions) > 0 {
		return list, nil
	}
	if _, loadErr := s.load(ctx, sub, in.AccountID.UUID, authz.ActionRead); loadErr != nil {
		return TransactionList{}, loadErr
	}
	return list, err
}

// listTransactions runs an authorized list query: q holds the user and the
// accounts already checked, in the rest of the query.
func (s *Service) listTransactions(ctx context.Context, q TransactionQuery, in ListTransactionsInput) (TransactionList, error) {
	var errs apperr.Fields
	checkTransactionQuery(&errs, in)
	if err := errs.Err(); err != nil {
		return TransactionList{}, err
	}
	if in.From != nil {
		from := domain.DayOf(*in.From)
		q.From = &from
	}
	if in.To != nil {
		to := domain.DayOf(*in.To).AddDate(0, 0, 1)
		q.To = &to
	}
	q.Types, q.Status, q.MinAmount, q.MaxAmount = in.Types, in.Status, in.MinAmount, in.MaxAmount
	q.Contains = strings.TrimSpace(in.Q)
	q.Limit = in.Limit
	if q.Limit == 0 {
		q.Limit = DefaultLimit
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
