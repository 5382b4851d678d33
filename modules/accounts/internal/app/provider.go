package app

import (
	"context"
	"strconv"
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
// provider's current balance: a new account opens with it, and a known one keeps it
// beside its ledger as the provider's balance, showing any drift.
type ProviderAccountInput struct {
	Link             ProviderLink
	Name             string
	AccountType      domain.AccountType
	Subtype          string
	Currency         money.Currency
	AccountNumber    string
	Balance          money.Amount
	AvailableBalance money.NullAmount
	InterestRate     money.NullAmount
}

func (in *ProviderAccountInput) check() error {
	var errs apperr.Fields
	if in.Link.ConnectionID == uuid.Nil {
		errs.Add("connection_id", "is required")
	}
	in.Link.ProviderAccountID = strings.TrimSpace(in.Link.ProviderAccountID)
	if in.Link.ProviderAccountID == "" {
		errs.Add("provider_account_id", "is required")
	} else if err := domain.CheckText(in.Link.ProviderAccountID, domain.MaxExternalIDLength); err != nil {
		errs.Add("provider_account_id", "%s", err.Error())
	}
	in.Link.Provider = strings.TrimSpace(in.Link.Provider)
	if in.Link.Provider == "" {
		errs.Add("provider", "is required")
	}
	if _, err := domain.ParseAccountType(string(in.AccountType)); err != nil {
		errs.Add("account_type", "%s", err.Error())
	}
	if _, err := money.ParseCurrency(string(in.Currency)); err != nil {
		errs.Add("currency", "%s", err.Error())
	}
	if err := domain.CheckName(in.Name); err != nil {
		errs.Add("name", "%s", err.Error())
	}
	if err := domain.CheckText(in.Subtype, domain.MaxSubtypeLength); err != nil {
		errs.Add("subtype", "%s", err.Error())
	}
	if err := domain.CheckText(in.AccountNumber, domain.MaxAccountNumberLength); err != nil {
		errs.Add("account_number", "%s", err.Error())
	}
	return errs.Err()
}

// UpsertProviderAccount creates or refreshes the subject's account that mirrors a
// provider account, matched by connection and provider account id. A new account
// opens with one opening entry for the reported balance, so the ledger equals the
// provider's balance at once; a known one gets its provider-managed fields refreshed
// and the reported balance kept beside the ledger, where a difference shows as
// drift. People's own settings (display fields, archive, notes) are left alone on
// refresh.
func (s *Service) UpsertProviderAccount(ctx context.Context, sub authn.Subject, in ProviderAccountInput) (domain.Account, UpsertOutcome, error) {
	if err := in.check(); err != nil {
		return domain.Account{}, "", err
	}
	for attempt := 0; attempt < 3; attempt++ {
		existing, found, err := s.repo.FindByProviderAccountID(ctx, in.Link.ConnectionID, in.Link.ProviderAccountID)
		if err != nil {
			return domain.Account{}, "", err
		}
		if found {
			return s.refreshProviderAccount(ctx, sub, existing.ID, in)
		}
		if err := s.authorizeOwn(ctx, sub, authz.ActionWrite); err != nil {
			return domain.Account{}, "", err
		}
		a, err := s.newProviderAccount(sub, in)
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

func (s *Service) newProviderAccount(sub authn.Subject, in ProviderAccountInput) (domain.Account, error) {
	now := s.now()
	a := domain.Account{
		ID: s.NewID(), UserID: sub.UserID, Status: domain.StatusActive, ShowInDashboard: true,
		ConnectionID: uuid.NullUUID{UUID: in.Link.ConnectionID, Valid: true}, Provider: in.Link.Provider,
		ProviderAccountID: in.Link.ProviderAccountID, Name: strings.TrimSpace(in.Name), Type: in.AccountType,
		Subtype: strings.TrimSpace(in.Subtype), Currency: in.Currency, AccountNumber: strings.TrimSpace(in.AccountNumber),
		AvailableBalance: in.AvailableBalance, InterestRate: in.InterestRate,
		ProviderBalance: money.NullAmount{Amount: in.Balance, Valid: true},
		Metadata:        map[string]string{}, CustomFields: []domain.CustomField{},
		LastSyncedAt: &now, CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	if !in.Balance.IsZero() {
		if err := a.PostFromProvider(s.openingEntry(&a, in.Balance, now), now); err != nil {
			return domain.Account{}, err
		}
	}
	return a, nil
}

// openingEntry is a linked account's opening entry of amount: it stands for the
// history the provider did not return and is booked when the account was first
// synced, the moment of the balance it was derived from.
func (s *Service) openingEntry(a *domain.Account, amount money.Amount, now time.Time) domain.Transaction {
	return domain.Transaction{
		ID: s.NewID(), ProviderTransactionID: domain.OpeningProviderID, Type: domain.Adjustment, Amount: amount,
		Currency: a.Currency, Description: domain.OpeningBalanceDescription, Status: domain.Posted,
		BookedAt: a.CreatedAt, CreatedAt: now,
	}
}

func (s *Service) refreshProviderAccount(ctx context.Context, sub authn.Subject, id uuid.UUID, in ProviderAccountInput) (domain.Account, UpsertOutcome, error) {
	outcome := Unchanged
	a, err := s.update(ctx, sub, id, authz.ActionWrite, func(_ context.Context, a *domain.Account) error {
		now := s.now()
		before := *a
		a.Name = strings.TrimSpace(in.Name)
		a.Type = in.AccountType
		a.Subtype = strings.TrimSpace(in.Subtype)
		if in.Currency != a.Currency && a.TransactionCount == 0 {
			a.Currency = in.Currency
		}
		if n := strings.TrimSpace(in.AccountNumber); n != "" {
			a.AccountNumber = n
		}
		a.AvailableBalance = in.AvailableBalance
		a.InterestRate = in.InterestRate
		a.ProviderBalance = money.NullAmount{Amount: in.Balance, Valid: true}
		if providerFieldsDiffer(&before, a) {
			outcome = Updated
			a.UpdatedAt = now
		}
		a.LastSyncedAt = &now
		return nil
	})
	if err != nil {
		return domain.Account{}, "", err
	}
	return a, outcome, nil
}

func providerFieldsDiffer(a, b *domain.Account) bool {
	return a.Name != b.Name || a.Type != b.Type || a.Subtype != b.Subtype || a.Currency != b.Currency || a.AccountNumber != b.AccountNumber ||
		!sameNullAmount(a.AvailableBalance, b.AvailableBalance) || !sameNullAmount(a.InterestRate, b.InterestRate) ||
		!sameNullAmount(a.ProviderBalance, b.ProviderBalance)
}

func sameNullAmount(a, b money.NullAmount) bool {
	return a.Valid == b.Valid && (!a.Valid || a.Amount.Equal(b.Amount))
}

// ProviderTransactionInput is a transaction as a provider reports it; Amount is
// signed (credits positive). A pending one is listed but does not move the balance
// until it posts. PendingTransactionID, on a posted transaction, names the pending
// one it replaces under a new id.
type ProviderTransactionInput struct {
	ProviderTransactionID string
	PendingTransactionID  string
	Type                  domain.TransactionType
	Amount                money.Amount
	Description           string
	Counterparty          string
	Pending               bool
	BookedAt              time.Time
}

// ProviderTransactionsInput is one batch of a transaction sync for an account:
// entries to add or revise (matched by provider transaction id, or by the pending
// transaction a posted one replaces), provider ids to remove, optionally a window
// whose pending entries the batch reports in full (any other pending entry booked in
// [PendingWindowStart, PendingWindowEnd) is removed), and optionally the balance the
// provider reports, kept beside the ledger to show any drift.
type ProviderTransactionsInput struct {
	AccountID          uuid.UUID
	Upserts            []ProviderTransactionInput
	Removed            []string
	PendingWindowStart time.Time
	PendingWindowEnd   time.Time
	ReportedBalance    money.NullAmount
}

// TransactionSyncResult counts what a transaction sync did.
type TransactionSyncResult struct {
	Added     int
	Modified  int
	Removed   int
	Unchanged int
	// ZeroAmountSkipped counts the provider's rows of amount zero (a waived fee, a
	// memo line): the ledger holds movements only, so they are not entered, and one
	// that had an amount before is withdrawn (counted in Removed too).
	ZeroAmountSkipped int
}

func (in *ProviderTransactionsInput) check() error {
	seen := map[string]bool{}
	for i, t := range in.Upserts {
		field := "transactions[" + strconv.Itoa(i) + "]"
		switch {
		case t.ProviderTransactionID == "" || seen[t.ProviderTransactionID]:
			return apperr.Validation(apperr.FieldError{Field: field, Message: "every transaction needs a distinct provider transaction id"})
		case strings.HasPrefix(t.ProviderTransactionID, "kontor:") || strings.HasPrefix(t.PendingTransactionID, "kontor:"):
			return apperr.Validation(apperr.FieldError{Field: field, Message: "provider transaction ids must not start with \"kontor:\""})
		case t.Pending && t.PendingTransactionID != "":
			return apperr.Validation(apperr.FieldError{Field: field, Message: "a pending transaction cannot replace another pending one"})
		}
		if _, err := domain.ParseTransactionType(string(t.Type)); err != nil {
			return apperr.Validation(apperr.FieldError{Field: field, Message: err.Error()})
		}
		if err := domain.CheckText(t.ProviderTransactionID, domain.MaxExternalIDLength); err != nil {
			return apperr.Validation(apperr.FieldError{Field: field, Message: "provider transaction id " + err.Error()})
		}
		seen[t.ProviderTransactionID] = true
	}
	if !in.PendingWindowStart.IsZero() && !in.PendingWindowEnd.After(in.PendingWindowStart) {
		return apperr.Validation(apperr.FieldError{Field: "pending_window", Message: "must end after it starts"})
	}
	return nil
}

// SyncProviderTransactions applies one batch to a linked account, all in one
// database transaction with the balance: new entries are added; known ones revised
// when the provider changed them; a posted entry that names its pending one replaces
// it in place, never beside it; withdrawn ones are removed. Posted entries booked up
// to the account's first sync are already in the provider's balance of that moment,
// so the opening entry absorbs them and a backfill never counts twice.
func (s *Service) SyncProviderTransactions(ctx context.Context, sub authn.Subject, in ProviderTransactionsInput) (TransactionSyncResult, error) {
	if err := in.check(); err != nil {
		return TransactionSyncResult{}, err
	}
	var res TransactionSyncResult
	_, err := s.update(ctx, sub, in.AccountID, authz.ActionWrite, func(ctx context.Context, a *domain.Account) error {
		if a.IsManual() {
			return apperr.New(apperr.Conflict, "The account is kept by hand; it has no provider to sync from.")
		}
		// Read inside the lock, after authorization: no other sync of the account
		// can add or change an entry between this lookup and the save.
		ids := make([]string, 0, 2*len(in.Upserts)+len(in.Removed)+1)
		for _, t := range in.Upserts {
			ids = append(ids, t.ProviderTransactionID)
			if t.PendingTransactionID != "" {
				ids = append(ids, t.PendingTransactionID)
			}
		}
		ids = append(append(ids, in.Removed...), domain.OpeningProviderID)
		known, err := s.repo.TransactionsByProviderID(ctx, a.ID, ids)
		if err != nil {
			return err
		}
		now := s.now()
		seen := map[string]bool{}
		gone := map[string]bool{}
		remove := func(id string) error {
			prev, ok := known[id]
			if !ok || gone[id] || seen[id] {
				return nil
			}
			gone[id] = true
			res.Removed++
			return a.Remove(prev, now)
		}
		for _, t := range in.Upserts {
			if t.Amount.IsZero() {
				res.ZeroAmountSkipped++
				for _, id := range []string{t.ProviderTransactionID, t.PendingTransactionID} {
					if id == "" {
						continue
					}
					if err := remove(id); err != nil {
						return err
					}
				}
				seen[t.ProviderTransactionID] = true
				continue
			}
			seen[t.ProviderTransactionID] = true
			e := s.providerEntry(t, a.Currency, now)
			prev, ok := known[t.ProviderTransactionID]
			if twin, found := known[t.PendingTransactionID]; found && t.PendingTransactionID != "" && twin.Status == domain.Pending && !gone[t.PendingTransactionID] {
				if !ok {
					// The pending entry posts under a new id: revise it in place.
					gone[t.PendingTransactionID] = true
					if err := a.Revise(twin, e, now); err != nil {
						return err
					}
					res.Modified++
					continue
				}
				// Both are stored already: the pending one goes.
				if err := remove(t.PendingTransactionID); err != nil {
					return err
				}
			}
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
			if err := remove(id); err != nil {
				return err
			}
		}
		if !in.PendingWindowStart.IsZero() {
			pending, err := s.repo.PendingProviderEntries(ctx, a.ID, in.PendingWindowStart, in.PendingWindowEnd)
			if err != nil {
				return err
			}
			for _, p := range pending {
				known[p.ProviderTransactionID] = p
				if err := remove(p.ProviderTransactionID); err != nil {
					return err
				}
			}
		}
		if err := s.absorbIntoOpening(a, known[domain.OpeningProviderID], now); err != nil {
			return err
		}
		if in.ReportedBalance.Valid {
			a.ProviderBalance = in.ReportedBalance
		}
		a.LastSyncedAt = &now
		return nil
	})
	return res, err
}

// absorbIntoOpening moves the opening entry by what this sync changed among the
// entries booked up to the account's first sync, whose balance already held them.
func (s *Service) absorbIntoOpening(a *domain.Account, opening domain.Transaction, now time.Time) error {
	early := func(t domain.Transaction) bool {
		return t.ProviderTransactionID != domain.OpeningProviderID && !t.BookedAt.After(a.CreatedAt)
	}
	var moved money.Amount
	for _, c := range a.Changes() {
		if c.Kind != domain.EntryAdded && early(c.Previous) {
			moved = moved.Sub(c.Previous.Effect())
		}
		if c.Kind != domain.EntryRemoved && early(c.Entry) {
			moved = moved.Add(c.Entry.Effect())
		}
	}
	if moved.IsZero() {
		return nil
	}
	if opening.ID == uuid.Nil {
		return a.PostFromProvider(s.openingEntry(a, moved.Neg(), now), now)
	}
	next := opening
	next.Amount = opening.Amount.Sub(moved)
	if next.Amount.IsZero() {
		return a.Remove(opening, now)
	}
	return a.Revise(opening, next, now)
}

func (s *Service) providerEntry(t ProviderTransactionInput, currency money.Currency, now time.Time) domain.Transaction {
	status := domain.Posted
	if t.Pending {
		status = domain.Pending
	}
	booked := t.BookedAt.UTC().Truncate(time.Microsecond)
	if booked.IsZero() {
		booked = now
	}
	return domain.Transaction{
		ID: s.NewID(), ProviderTransactionID: t.ProviderTransactionID, Type: t.Type, Amount: t.Amount,
		Currency: currency, Description: strings.TrimSpace(t.Description), Counterparty: strings.TrimSpace(t.Counterparty),
		Status: status, BookedAt: booked, CreatedAt: now,
	}
}

func sameEntry(a, b domain.Transaction) bool {
	return a.Type == b.Type && a.Amount.Equal(b.Amount) && a.Description == b.Description &&
		a.Counterparty == b.Counterparty && a.Status == b.Status && a.BookedAt.Equal(b.BookedAt)
}

// DeactivateConnectionAccounts marks every account of a disconnected connection
// inactive, in one database transaction; they keep their history. Every account is
// authorized against sub, so a connection of another user is forbidden and changes
// nothing. It returns how many accounts changed.
func (s *Service) DeactivateConnectionAccounts(ctx context.Context, sub authn.Subject, connectionID uuid.UUID) (int, error) {
	changed := 0
	_, err := s.repo.UpdateConnection(ctx, connectionID, func(ctx context.Context, a *domain.Account) error {
		if err := s.authorize(ctx, sub, a, authz.ActionWrite); err != nil {
			return err
		}
		if a.Status != domain.StatusActive {
			return nil
		}
		changed++
		return a.SetStatus(domain.StatusInactive, s.now())
	})
	if err != nil {
		return 0, s.mapRepoError(err)
	}
	return changed, nil
}

// Reconcile records a linked account's drift as one adjustment entry, so the ledger
// agrees with the provider's last reported balance, and returns the entry; an
// account without drift answers nothing_to_reconcile.
func (s *Service) Reconcile(ctx context.Context, sub authn.Subject, id uuid.UUID) (Recorded, error) {
	var entry domain.Transaction
	a, err := s.update(ctx, sub, id, authz.ActionWrite, func(_ context.Context, a *domain.Account) error {
		now := s.now()
		e, err := a.Reconcile(domain.Transaction{ID: s.NewID(), BookedAt: now, CreatedAt: now}, now)
		entry = e
		return err
	})
	if err != nil {
		return Recorded{}, err
	}
	return Recorded{Transaction: entry, Account: a}, nil
}
