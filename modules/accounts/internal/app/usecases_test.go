package app

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/money"
)

// fixture is the use cases over a repository in memory, at a fixed moment.
type fixture struct {
	repo       *fakeRepo
	svc        *Service
	now        time.Time
	alice, bob authn.Subject
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	repo := newFakeRepo()
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	return &fixture{repo: repo, svc: NewService(repo, ownerOnly{}, fixedClock(now)), now: now,
		alice: authn.Subject{UserID: uuid.New()}, bob: authn.Subject{UserID: uuid.New()}}
}

func (f *fixture) manual(t *testing.T, typ domain.AccountType, opening string) domain.Account {
	t.Helper()
	amount := money.MustParse(opening)
	a, err := f.svc.CreateAccount(context.Background(), f.alice, CreateAccountInput{
		Fields: AccountFields{Name: Set("Manual " + string(typ)), AccountType: Set(typ), Currency: Set(money.Currency("USD"))}, OpeningBalance: &amount})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *fixture) linked(t *testing.T, conn uuid.UUID, id, balance string) domain.Account {
	t.Helper()
	a, op, err := f.svc.UpsertProviderAccount(context.Background(), f.alice, ProviderAccountInput{
		Link: ProviderLink{ConnectionID: conn, Provider: "sandbox", ProviderAccountID: id}, Name: "Linked " + id,
		AccountType: domain.Checking, Currency: "USD", Balance: money.MustParse(balance)})
	if err != nil || op != Created {
		t.Fatalf("linked account: %s %v", op, err)
	}
	return a
}

func code(err error) apperr.Code {
	if err == nil {
		return ""
	}
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	return apperr.Internal
}

func TestRecordTransactionRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	checking := f.manual(t, domain.Checking, "100")
	closed := f.manual(t, domain.Cash, "0")
	if _, err := f.svc.CloseAccount(ctx, f.alice, closed.ID); err != nil {
		t.Fatal(err)
	}
	linked := f.linked(t, uuid.New(), "l-1", "10")
	entry := func(id uuid.UUID, typ domain.TransactionType, amount string) RecordTransactionInput {
		return RecordTransactionInput{AccountID: id, Type: typ, Amount: money.MustParse(amount)}
	}
	at := func(in RecordTransactionInput, t time.Time) RecordTransactionInput { in.BookedAt = t; return in }
	cases := []struct {
		name string
		sub  authn.Subject
		in   RecordTransactionInput
		want apperr.Code
	}{
		{"a deposit", f.alice, entry(checking.ID, domain.Deposit, "5"), ""},
		{"another user's account", f.bob, entry(checking.ID, domain.Deposit, "5"), apperr.Forbidden},
		{"no such account", f.alice, entry(uuid.New(), domain.Deposit, "5"), apperr.NotFound},
		{"past the balance of a bank account", f.alice, entry(checking.ID, domain.Withdrawal, "105.01"), domain.InsufficientFunds},
		{"an adjustment is exempt", f.alice, entry(checking.ID, domain.Adjustment, "-200"), ""},
		{"a transfer leg", f.alice, entry(checking.ID, domain.TransferIn, "1"), apperr.ValidationFailed},
		{"no type", f.alice, entry(checking.ID, "", "1"), apperr.ValidationFailed},
		{"a negative magnitude", f.alice, entry(checking.ID, domain.Deposit, "-1"), apperr.ValidationFailed},
		{"zero", f.alice, entry(checking.ID, domain.Fee, "0"), apperr.ValidationFailed},
		{"a linked account", f.alice, entry(linked.ID, domain.Deposit, "1"), domain.ProviderManaged},
		{"a closed account", f.alice, entry(closed.ID, domain.Deposit, "1"), domain.AccountClosed},
		{"booked before 1900", f.alice, at(entry(checking.ID, domain.Deposit, "1"), time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)), apperr.ValidationFailed},
		{"booked more than a year ahead", f.alice, at(entry(checking.ID, domain.Deposit, "1"), f.now.AddDate(1, 0, 1)), apperr.ValidationFailed},
		{"booked within the year ahead", f.alice, at(entry(checking.ID, domain.Deposit, "1"), f.now.AddDate(0, 11, 0)), ""},
	}
	for _, c := range cases {
		before := f.repo.accounts[c.in.AccountID]
		_, err := f.svc.RecordTransaction(ctx, c.sub, c.in)
		if code(err) != c.want {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
		if c.want != "" && !f.repo.accounts[c.in.AccountID].Balance.Equal(before.Balance) {
			t.Errorf("%s: a refused entry moved the balance", c.name)
		}
	}
	if got := f.repo.accounts[checking.ID].Balance.String(); got != "-94.00" {
		t.Fatalf("balance %s after 100 + 5 - 200 + 1", got)
	}
}

func TestParseRecordTransactionRefusesEmptyStrings(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	empty := ""
	_, err := f.svc.ParseRecordTransaction(RecordTransactionText{Type: "deposit", Amount: "1", Status: &empty, BookedAt: &empty})
	e, ok := apperr.As(err)
	if !ok || len(e.Fields) != 2 || e.Fields[0].Field != "status" || e.Fields[1].Field != "booked_at" {
		t.Fatalf("empty status and booked_at: %v", err)
	}
	in, err := f.svc.ParseRecordTransaction(RecordTransactionText{Type: "fee", Amount: "2.5", BookedAt: nil})
	if err != nil || !in.BookedAt.IsZero() || in.Type != domain.Fee {
		t.Fatalf("left out means now: %+v %v", in, err)
	}
}

func TestSyncProviderTransactionsRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	conn := uuid.New()
	a := f.linked(t, conn, "l-1", "1000")
	later := f.now.Add(24 * time.Hour)
	sync := func(sub authn.Subject, in ProviderTransactionsInput) (TransactionSyncResult, error) {
		in.AccountID = a.ID
		return f.svc.SyncProviderTransactions(ctx, sub, in)
	}
	tx := func(id, pending string, amount string, isPending bool, at time.Time) ProviderTransactionInput {
		return ProviderTransactionInput{ProviderTransactionID: id, PendingTransactionID: pending, Type: domain.Purchase,
			Amount: money.MustParse(amount), Pending: isPending, BookedAt: at}
	}
	balance := func() string { return f.repo.accounts[a.ID].Balance.String() }

	res, err := sync(f.alice, ProviderTransactionsInput{Upserts: []ProviderTransactionInput{tx("p1", "", "-10", true, later)}})
	if err != nil || res.Added != 1 || balance() != "1000.00" {
		t.Fatalf("a pending entry is listed but out of the balance: %+v %v %s", res, err, balance())
	}
	res, err = sync(f.alice, ProviderTransactionsInput{Upserts: []ProviderTransactionInput{tx("p2", "p1", "-12", false, later)}})
	if err != nil || res.Modified != 1 || res.Added != 0 || balance() != "988.00" || len(f.repo.entries[a.ID]) != 2 {
		t.Fatalf("posting under a new id revises in place: %+v %v %s, %d entries", res, err, balance(), len(f.repo.entries[a.ID]))
	}
	res, err = sync(f.alice, ProviderTransactionsInput{Upserts: []ProviderTransactionInput{tx("old", "", "-50", false, f.now.AddDate(0, -1, 0))}})
	if err != nil || res.Added != 1 || balance() != "988.00" {
		t.Fatalf("history before the first sync is absorbed by the opening entry: %+v %v %s", res, err, balance())
	}
	// A zero-amount row (a waived fee) is not a movement: skipped, and a known entry
	// whose amount the provider turns to zero is withdrawn, its pending twin too.
	res, err = sync(f.alice, ProviderTransactionsInput{Upserts: []ProviderTransactionInput{tx("z1", "", "0", false, later), tx("p3", "", "-4", true, later)}})
	if err != nil || res.ZeroAmountSkipped != 1 || res.Added != 1 || balance() != "988.00" || len(f.repo.entries[a.ID]) != 4 {
		t.Fatalf("a zero-amount row: %+v %v %s, %d entries", res, err, balance(), len(f.repo.entries[a.ID]))
	}
	res, err = sync(f.alice, ProviderTransactionsInput{Upserts: []ProviderTransactionInput{tx("p4", "p3", "0", false, later), tx("p2", "", "0", false, later)}})
	if err != nil || res.ZeroAmountSkipped != 2 || res.Removed != 2 || balance() != "1000.00" || len(f.repo.entries[a.ID]) != 2 {
		t.Fatalf("amounts turned to zero withdraw their entries: %+v %v %s, %d entries", res, err, balance(), len(f.repo.entries[a.ID]))
	}
	res, err = sync(f.alice, ProviderTransactionsInput{Upserts: []ProviderTransactionInput{tx("p2", "", "-12", false, later)}})
	if err != nil || res.Added != 1 || balance() != "988.00" {
		t.Fatalf("the entry back with its amount: %+v %v %s", res, err, balance())
	}
	for _, c := range []struct {
		name string
		sub  authn.Subject
		in   ProviderTransactionsInput
		want apperr.Code
	}{
		{"another user", f.bob, ProviderTransactionsInput{}, apperr.Forbidden},
		{"a reserved id", f.alice, ProviderTransactionInput{}.batch(tx("kontor:opening", "", "1", false, later)), apperr.ValidationFailed},
		{"a repeated id", f.alice, ProviderTransactionsInput{Upserts: []ProviderTransactionInput{tx("x", "", "1", false, later), tx("x", "", "2", false, later)}}, apperr.ValidationFailed},
		{"an unknown type", f.alice, ProviderTransactionInput{}.batch(ProviderTransactionInput{ProviderTransactionID: "y", Type: "gift", Amount: money.MustParse("1")}), apperr.ValidationFailed},
		{"a window that ends before it starts", f.alice, ProviderTransactionsInput{PendingWindowStart: later, PendingWindowEnd: f.now}, apperr.ValidationFailed},
	} {
		if _, err := sync(c.sub, c.in); code(err) != c.want {
			t.Errorf("%s: error %v, want %s", c.name, err, c.want)
		}
	}
	manual := f.manual(t, domain.Savings, "5")
	if _, err := f.svc.SyncProviderTransactions(ctx, f.alice, ProviderTransactionsInput{AccountID: manual.ID}); code(err) != apperr.Conflict {
		t.Fatalf("sync of a manual account: %v", err)
	}

	// The reported balance shows as drift until the owner reconciles it.
	if _, err := sync(f.alice, ProviderTransactionsInput{ReportedBalance: money.NullAmount{Amount: money.MustParse("990"), Valid: true}}); err != nil {
		t.Fatal(err)
	}
	stored := f.repo.accounts[a.ID]
	if d := stored.Drift(); !d.Valid || d.Amount.String() != "2.00" || balance() != "988.00" {
		t.Fatalf("drift %+v, balance %s", d, balance())
	}
	if _, err := f.svc.Reconcile(ctx, f.bob, a.ID); code(err) != apperr.Forbidden {
		t.Fatalf("bob reconciles: %v", err)
	}
	rec, err := f.svc.Reconcile(ctx, f.alice, a.ID)
	if err != nil || rec.Transaction.Amount.String() != "2.00" || balance() != "990.00" {
		t.Fatalf("reconcile: %+v %v", rec, err)
	}
	if _, err := f.svc.Reconcile(ctx, f.alice, a.ID); code(err) != domain.NothingToReconcile {
		t.Fatalf("reconcile again: %v", err)
	}
	if _, err := f.svc.Reconcile(ctx, f.alice, manual.ID); code(err) != domain.NothingToReconcile {
		t.Fatalf("reconcile a manual account: %v", err)
	}
}

// batch wraps entries into a batch, for the table above.
func (ProviderTransactionInput) batch(ts ...ProviderTransactionInput) ProviderTransactionsInput {
	return ProviderTransactionsInput{Upserts: ts}
}

func TestDeactivateConnectionIsOneTransaction(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	conn := uuid.New()
	first, second := f.linked(t, conn, "a", "1"), f.linked(t, conn, "b", "2")
	f.repo.updates = 0
	if _, err := f.svc.DeactivateConnectionAccounts(ctx, f.bob, conn); code(err) != apperr.Forbidden {
		t.Fatalf("bob deactivates: %v", err)
	}
	if f.repo.accounts[first.ID].Status != domain.StatusActive || f.repo.accounts[second.ID].Status != domain.StatusActive {
		t.Fatal("a refused deactivation changed an account")
	}
	n, err := f.svc.DeactivateConnectionAccounts(ctx, f.alice, conn)
	if err != nil || n != 2 || f.repo.updates != 2 {
		t.Fatalf("deactivate: %d %v after %d repository calls (one each)", n, err, f.repo.updates)
	}
	for _, id := range []uuid.UUID{first.ID, second.ID} {
		if a := f.repo.accounts[id]; a.Status != domain.StatusInactive || len(f.repo.entries[id]) != 1 {
			t.Fatalf("account %s: %s with %d entries", id, a.Status, len(f.repo.entries[id]))
		}
	}
}

func TestUpdateAccountRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	manual := f.manual(t, domain.Checking, "10")
	linked := f.linked(t, uuid.New(), "l-1", "10")
	cases := []struct {
		name string
		in   UpdateAccountInput
		want apperr.Code
	}{
		{"a stale version", UpdateAccountInput{ID: manual.ID, ExpectedVersions: []int64{manual.Version + 1}, Fields: AccountFields{Name: Set("X")}}, apperr.PreconditionFailed},
		{"the current version", UpdateAccountInput{ID: manual.ID, ExpectedVersions: []int64{manual.Version}, Fields: AccountFields{Name: Set("Y")}}, ""},
		{"a manual balance", UpdateAccountInput{ID: manual.ID, Fields: AccountFields{BalanceAmount: Set(money.MustParse("25"))}}, ""},
		{"a linked name", UpdateAccountInput{ID: linked.ID, Fields: AccountFields{Name: Set("Mine")}}, domain.ProviderManaged},
		{"a linked balance", UpdateAccountInput{ID: linked.ID, Fields: AccountFields{BalanceAmount: Set(money.MustParse("1"))}}, domain.ProviderManaged},
		{"a linked display field", UpdateAccountInput{ID: linked.ID, Fields: AccountFields{Color: Set("teal"), IsFavourite: Set(true), SortOrder: Set(4)}}, ""},
		{"a negative overdraft", UpdateAccountInput{ID: manual.ID, Fields: AccountFields{OverdraftLimit: Set(money.MustParse("-1"))}}, apperr.ValidationFailed},
		{"an unknown type", UpdateAccountInput{ID: manual.ID, Fields: AccountFields{AccountType: Set(domain.AccountType("vault"))}}, apperr.ValidationFailed},
		{"itself as linked account", UpdateAccountInput{ID: manual.ID, Fields: AccountFields{LinkedAccountID: Set(manual.ID)}}, apperr.ValidationFailed},
	}
	for _, c := range cases {
		if _, err := f.svc.UpdateAccount(ctx, f.alice, c.in); code(err) != c.want {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	if got := f.repo.accounts[manual.ID]; got.Name != "Y" || got.Balance.String() != "25.00" {
		t.Fatalf("manual account %q %s", got.Name, got.Balance)
	}
	if got := f.repo.accounts[linked.ID]; got.Name != "Linked l-1" || got.Color != "teal" || got.SortOrder != 4 {
		t.Fatalf("linked account %+v", got)
	}
}

// An account's page is one query: the page query reads only the subject's entries,
// and the account is read only when the page is empty, to tell an empty ledger from
// another user's account (forbidden) or none (not_found).
func TestListAccountTransactionsReadsTheAccountOnlyForAnEmptyPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	funded := f.manual(t, domain.Checking, "100")
	empty := f.manual(t, domain.Savings, "0")
	page := func(sub authn.Subject, id uuid.UUID, cursor string) (TransactionList, int, error) {
		before := f.repo.gets
		list, err := f.svc.ListTransactions(ctx, sub, ListTransactionsInput{AccountID: uuid.NullUUID{UUID: id, Valid: true}, Cursor: cursor})
		return list, f.repo.gets - before, err
	}
	cases := []struct {
		name    string
		sub     authn.Subject
		id      uuid.UUID
		cursor  string
		want    apperr.Code
		entries int
		gets    int
	}{
		{"own account with entries", f.alice, funded.ID, "", "", 1, 0},
		{"own account without entries", f.alice, empty.ID, "", "", 0, 1},
		{"another user's account", f.bob, funded.ID, "", apperr.Forbidden, 0, 1},
		{"no such account", f.alice, uuid.New(), "", apperr.NotFound, 0, 1},
		{"no such account and a bad cursor", f.alice, uuid.New(), "garbage", apperr.NotFound, 0, 1},
		{"another user's account and a bad cursor", f.bob, funded.ID, "garbage", apperr.Forbidden, 0, 1},
		{"own account and a bad cursor", f.alice, funded.ID, "garbage", apperr.InvalidCursor, 0, 1},
	}
	for _, c := range cases {
		list, gets, err := page(c.sub, c.id, c.cursor)
		if code(err) != c.want || len(list.Transactions) != c.entries || gets != c.gets {
			t.Errorf("%s: %d entries, %d account reads, error %v; want %d, %d, %q", c.name, len(list.Transactions), gets, err, c.entries, c.gets, c.want)
		}
	}
}
