package app

import (
	"context"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// fakeRepo keeps accounts and their entries in memory. Update hands the closure a
// copy and keeps it only when the closure succeeds, as a rolled-back transaction
// would; it applies the closure's ledger changes to the entries. The queries the
// use cases under test do not need answer empty.
type fakeRepo struct {
	accounts map[uuid.UUID]domain.Account
	entries  map[uuid.UUID][]domain.Transaction // by account, in insertion order
	updates  int                                // calls of Update, UpdatePair and UpdateConnection
	gets     int                                // calls of Get
}

var _ Repository = (*fakeRepo)(nil)

func newFakeRepo() *fakeRepo {
	return &fakeRepo{accounts: map[uuid.UUID]domain.Account{}, entries: map[uuid.UUID][]domain.Transaction{}}
}

func (r *fakeRepo) save(a *domain.Account) {
	for _, c := range a.Changes() {
		list := r.entries[a.ID]
		switch c.Kind {
		case domain.EntryAdded:
			list = append(list, c.Entry)
		case domain.EntryRevised:
			for i := range list {
				if list[i].ID == c.Entry.ID {
					list[i] = c.Entry
				}
			}
		case domain.EntryRemoved:
			for i := range list {
				if list[i].ID == c.Previous.ID {
					list = append(list[:i], list[i+1:]...)
					break
				}
			}
		}
		r.entries[a.ID] = list
	}
	a.ClearChanges()
	r.accounts[a.ID] = *a
}

func (r *fakeRepo) Create(_ context.Context, a *domain.Account) error {
	for _, o := range r.accounts {
		if o.UserID == a.UserID && o.AccountNumber == a.AccountNumber {
			return ErrAccountNumberTaken
		}
	}
	r.save(a)
	return nil
}

func (r *fakeRepo) Get(_ context.Context, id uuid.UUID) (domain.Account, error) {
	r.gets++
	a, ok := r.accounts[id]
	if !ok {
		return domain.Account{}, notFound()
	}
	return a, nil
}

func (r *fakeRepo) FindByExternalID(_ context.Context, userID uuid.UUID, ext string) (domain.Account, bool, error) {
	for _, a := range r.accounts {
		if a.UserID == userID && a.ExternalID == ext {
			return a, true, nil
		}
	}
	return domain.Account{}, false, nil
}

func (r *fakeRepo) FindByProviderAccountID(_ context.Context, conn uuid.UUID, id string) (domain.Account, bool, error) {
	for _, a := range r.accounts {
		if a.ConnectionID.Valid && a.ConnectionID.UUID == conn && a.ProviderAccountID == id {
			return a, true, nil
		}
	}
	return domain.Account{}, false, nil
}

func (r *fakeRepo) Update(ctx context.Context, id uuid.UUID, fn func(context.Context, *domain.Account) error) error {
	r.updates++
	a, err := r.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := fn(ctx, &a); err != nil {
		return err
	}
	r.save(&a)
	return nil
}

func (r *fakeRepo) UpdatePair(ctx context.Context, first, second uuid.UUID, fn func(context.Context, *domain.Account, *domain.Account) error) error {
	r.updates++
	a, err := r.Get(ctx, first)
	if err != nil {
		return err
	}
	b, err := r.Get(ctx, second)
	if err != nil {
		return err
	}
	if err := fn(ctx, &a, &b); err != nil {
		return err
	}
	r.save(&a)
	r.save(&b)
	return nil
}

func (r *fakeRepo) UpdateConnection(ctx context.Context, conn uuid.UUID, fn func(context.Context, *domain.Account) error) (int, error) {
	r.updates++
	var ids []uuid.UUID
	for id, a := range r.accounts {
		if a.ConnectionID.Valid && a.ConnectionID.UUID == conn {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	changed := make([]domain.Account, 0, len(ids))
	for _, id := range ids {
		a := r.accounts[id]
		if err := fn(ctx, &a); err != nil {
			return 0, err // nothing kept: one transaction
		}
		changed = append(changed, a)
	}
	for i := range changed {
		r.save(&changed[i])
	}
	return len(ids), nil
}

func (r *fakeRepo) List(context.Context, AccountQuery) (AccountPage, error) {
	return AccountPage{}, nil
}

func (r *fakeRepo) Summarize(context.Context, AccountFilter) (AccountSummary, error) {
	return AccountSummary{}, nil
}

func (r *fakeRepo) SummarizeByType(context.Context, AccountFilter) (map[domain.AccountType]TypeSummary, error) {
	return nil, nil
}

// ListTransactions keeps to the store's contract where the use cases rely on it:
// only q.UserID's entries of q.AccountIDs, at most q.Limit (newest first; the
// other filters and the cursor are the store suite's to test).
func (r *fakeRepo) ListTransactions(_ context.Context, q TransactionQuery) (TransactionPage, error) {
	var page TransactionPage
	for _, id := range q.AccountIDs {
		es := r.entries[id]
		for i := len(es) - 1; i >= 0; i-- {
			if es[i].UserID == q.UserID {
				page.Transactions = append(page.Transactions, es[i])
			}
		}
	}
	if q.Limit > 0 && len(page.Transactions) > q.Limit {
		page.Transactions, page.HasMore = page.Transactions[:q.Limit], true
	}
	return page, nil
}

func (r *fakeRepo) StreamLedger(_ context.Context, id uuid.UUID, from, to time.Time, fn func(domain.Transaction) error) error {
	for _, e := range r.entries[id] {
		if !e.BookedAt.Before(from) && e.BookedAt.Before(to) {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *fakeRepo) TransactionsByProviderID(_ context.Context, id uuid.UUID, ids []string) (map[string]domain.Transaction, error) {
	want := map[string]bool{}
	for _, x := range ids {
		want[x] = true
	}
	out := map[string]domain.Transaction{}
	for _, e := range r.entries[id] {
		if want[e.ProviderTransactionID] {
			out[e.ProviderTransactionID] = e
		}
	}
	return out, nil
}

func (r *fakeRepo) PendingProviderEntries(_ context.Context, id uuid.UUID, from, to time.Time) ([]domain.Transaction, error) {
	var out []domain.Transaction
	for _, e := range r.entries[id] {
		if e.ProviderTransactionID != "" && e.Status == domain.Pending && !e.BookedAt.Before(from) && e.BookedAt.Before(to) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (r *fakeRepo) DailyDeltas(context.Context, DeltaQuery) ([]DayDelta, error) { return nil, nil }

func (r *fakeRepo) FirstDeltaDays(context.Context, uuid.UUID) (map[money.Currency]time.Time, error) {
	return nil, nil
}

func (r *fakeRepo) Snapshots(context.Context, uuid.UUID) ([]AccountSnapshot, error) { return nil, nil }

func (r *fakeRepo) LatestTransactions(context.Context, uuid.UUID, int) ([]RecentTransaction, error) {
	return nil, nil
}

// ownerOnly lets a subject act on its own accounts only, as the casbin model does
// for a user without roles.
type ownerOnly struct{}

func (ownerOnly) Authorize(_ context.Context, s authn.Subject, r authz.Resource, _ string) error {
	if r.Owner != s.UserID.String() {
		return apperr.New(apperr.Forbidden, "You do not have access to this %s.", r.Type)
	}
	return nil
}

// fixedClock is a clock stopped at one instant.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }
