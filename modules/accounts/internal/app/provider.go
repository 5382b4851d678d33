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

// ProviderLink ties an account to the provider account it mirrors.
type ProviderLink struct {
	ConnectionID      uuid.UUID
	Provider          string
	ProviderAccountID string
}

// ProviderAccountInput is an account as a provider reports it. Balance is the
// provider's current balance; the ledger reaches it through a reconciliation entry.
type ProviderAccountInput struct {
	Link             ProviderLink
	Name             string
	AccountType      string
	Subtype          string
	Currency         string
	AccountNumber    string
	Balance          money.Amount
	AvailableBalance money.NullAmount
	InterestRate     money.NullAmount
}

// UpsertProviderAccount creates or refreshes the subject's account that mirrors a
// provider account, matched by connection and provider account id. A new account
// opens with the reported balance; a known one gets its provider-managed fields
// refreshed and its balance reconciled. People's own settings (name, display
// fields, archive) are left alone on refresh.
func (s *Service) UpsertProviderAccount(ctx context.Context, sub authn.Subject, in ProviderAccountInput) (domain.Account, UpsertOutcome, error) {
	var errs apperr.Fields
	if in.Link.ConnectionID == uuid.Nil {
		errs.Add("connection_id", "is required")
	}
	if strings.TrimSpace(in.Link.ProviderAccountID) == "" {
		errs.Add("provider_account_id", "is required")
	}
	if strings.TrimSpace(in.Link.Provider) == "" {
		errs.Add("provider", "is required")
	}
	if err := errs.Err(); err != nil {
		return domain.Account{}, "", err
	}
	fields := AccountFields{
		AccountType:            Set(in.AccountType),
		Currency:               Set(in.Currency),
		Subtype:                Set(in.Subtype),
		BalanceAmount:          Set(in.Balance.String()),
		AvailableBalanceAmount: nullableAmount(in.AvailableBalance),
		InterestRate:           nullableAmount(in.InterestRate),
	}
	if in.AccountNumber != "" {
		fields.AccountNumber = Set(in.AccountNumber)
	}
	for attempt := 0; attempt < 3; attempt++ {
		existing, found, err := s.repo.FindByProviderAccountID(ctx, in.Link.ConnectionID, in.Link.ProviderAccountID)
		if err != nil {
			return domain.Account{}, "", err
		}
		if found {
			return s.refreshProviderAccount(ctx, sub, existing.ID, fields)
		}
		if err := s.authorizeOwn(ctx, sub, authz.ActionWrite); err != nil {
			return domain.Account{}, "", err
		}
		create := fields
		create.Name = Set(in.Name)
		link := in.Link
		a, err := s.newAccount(ctx, sub, create, "", &link)
		if err != nil {
			return domain.Account{}, "", err
		}
		a, err = s.insert(ctx, &a, in.AccountNumber == "")
		if apperr.Is(err, apperr.Conflict) {
			continue // created by a concurrent sync a moment ago
		}
		return a, Created, err
	}
	return domain.Account{}, "", apperr.New(apperr.Conflict, "The account changed at the same moment; retry the sync.")
}

func (s *Service) refreshProviderAccount(ctx context.Context, sub authn.Subject, id uuid.UUID, f AccountFields) (domain.Account, UpsertOutcome, error) {
	p, errs := f.check()
	if err := errs.Err(); err != nil {
		return domain.Account{}, "", err
	}
	outcome := Unchanged
	a, err := s.update(ctx, sub, id.String(), authz.ActionWrite, func(a *domain.Account) error {
		now := s.now()
		differs := len(f.providerManaged(a, p)) > 0
		if err := s.apply(a, &f, p, now); err != nil {
			return err
		}
		a.LastSyncedAt = &now
		if differs || len(a.Changes()) > 0 {
			outcome = Updated
		}
		return nil
	})
	if err != nil {
		return domain.Account{}, "", err
	}
	return a, outcome, nil
}

func nullableAmount(n money.NullAmount) Patch[string] {
	if !n.Valid {
		return Clear[string]()
	}
	return Set(n.Amount.String())
}

// ProviderTransactionInput is a transaction as a provider reports it; Amount is
// signed (credits positive).
type ProviderTransactionInput struct {
	ProviderTransactionID string
	Type                  string
	Amount                money.Amount
	Description           string
	Counterparty          string
	Status                string
	BookedAt              time.Time
}

// ProviderTransactionsInput is one batch of a transaction sync for an account:
// entries to add or revise (matched by provider transaction id), provider ids to
// remove, and optionally the balance the provider reports, which the ledger is then
// reconciled to.
type ProviderTransactionsInput struct {
	AccountID       uuid.UUID
	Upserts         []ProviderTransactionInput
	Removed         []string
	ReportedBalance money.NullAmount
}

// TransactionSyncResult counts what a transaction sync did.
type TransactionSyncResult struct {
	Added     int
	Modified  int
	Removed   int
	Unchanged int
}

// SyncProviderTransactions applies one batch to a linked account: new entries are
// added, known ones revised when the provider changed them (a pending one that
// posted is updated, never duplicated), withdrawn ones removed, all in one database
// transaction with the balance.
func (s *Service) SyncProviderTransactions(ctx context.Context, sub authn.Subject, in ProviderTransactionsInput) (TransactionSyncResult, error) {
	ids := make([]string, 0, len(in.Upserts)+len(in.Removed))
	for _, t := range in.Upserts {
		ids = append(ids, t.ProviderTransactionID)
	}
	ids = append(ids, in.Removed...)
	known, err := s.repo.TransactionsByProviderID(ctx, in.AccountID, ids)
	if err != nil {
		return TransactionSyncResult{}, err
	}
	var res TransactionSyncResult
	_, err = s.update(ctx, sub, in.AccountID.String(), authz.ActionWrite, func(a *domain.Account) error {
		if a.IsManual() {
			return apperr.New(apperr.Conflict, "The account is kept by hand; it has no provider to sync from.")
		}
		now := s.now()
		seen := map[string]bool{}
		for i, t := range in.Upserts {
			if t.ProviderTransactionID == "" || seen[t.ProviderTransactionID] {
				return apperr.Validation(apperr.FieldError{Field: "transactions", Message: "every transaction needs a distinct provider transaction id"})
			}
			seen[t.ProviderTransactionID] = true
			e, err := s.providerEntry(t, a.Currency, now)
			if err != nil {
				return apperr.Validation(apperr.FieldError{Field: "transactions", Message: "entry " + itoa(i) + ": " + err.Error()})
			}
			prev, ok := known[t.ProviderTransactionID]
			switch {
			case !ok:
				if err := a.PostFromProvider(e, now); err != nil {
					return err
				}
				res.Added++
			case sameEntry(prev, e):
				res.Unchanged++
			default:
				if err := a.Revise(prev, e, now); err != nil {
					return err
				}
				res.Modified++
			}
		}
		for _, id := range in.Removed {
			if prev, ok := known[id]; ok && !seen[id] {
				if err := a.Remove(prev, now); err != nil {
					return err
				}
				res.Removed++
			}
		}
		if in.ReportedBalance.Valid {
			e := domain.Transaction{ID: s.NewID(), Description: domain.ReconciliationDescription, Status: domain.Posted, BookedAt: now, CreatedAt: now}
			if err := a.AdjustBalanceTo(in.ReportedBalance.Amount, e, now); err != nil {
				return err
			}
		}
		a.LastSyncedAt = &now
		return nil
	})
	return res, err
}

func (s *Service) providerEntry(t ProviderTransactionInput, currency money.Currency, now time.Time) (domain.Transaction, error) {
	typ, err := domain.ParseTransactionType(t.Type)
	if err != nil {
		return domain.Transaction{}, err
	}
	status := domain.Posted
	if t.Status != "" {
		if status, err = domain.ParseTransactionStatus(t.Status); err != nil {
			return domain.Transaction{}, err
		}
	}
	booked := t.BookedAt.UTC().Truncate(time.Microsecond)
	if booked.IsZero() {
		booked = now
	}
	return domain.Transaction{
		ID: s.NewID(), ProviderTransactionID: t.ProviderTransactionID, Type: typ, Amount: t.Amount,
		Currency: currency, Description: t.Description, Counterparty: t.Counterparty,
		Status: status, BookedAt: booked, CreatedAt: now,
	}, nil
}

func sameEntry(a, b domain.Transaction) bool {
	return a.Type == b.Type && a.Amount.Equal(b.Amount) && a.Description == b.Description &&
		a.Counterparty == b.Counterparty && a.Status == b.Status && a.BookedAt.Equal(b.BookedAt)
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// DeactivateConnectionAccounts marks every account of a disconnected connection
// inactive; they keep their history. It returns how many accounts changed.
func (s *Service) DeactivateConnectionAccounts(ctx context.Context, sub authn.Subject, connectionID uuid.UUID) (int, error) {
	ids, err := s.repo.ListIDs(ctx, sub.UserID, connectionID)
	if err != nil {
		return 0, err
	}
	changed := 0
	for _, id := range ids {
		_, err := s.update(ctx, sub, id.String(), authz.ActionWrite, func(a *domain.Account) error {
			if a.Status == domain.StatusActive {
				changed++
				return a.SetStatus(domain.StatusInactive, s.now())
			}
			return nil
		})
		if err != nil {
			return changed, err
		}
	}
	return changed, nil
}
