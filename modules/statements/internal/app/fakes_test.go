package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// fakeLedger is a ledger in memory: accounts and their entries in booking order.
type fakeLedger struct {
	accounts map[uuid.UUID]domain.Account
	entries  map[uuid.UUID][]domain.Entry
	// gen, when set, generates the entries of an account on the fly, so benchmarks
	// can stream any number of them without holding them.
	gen func(accountID uuid.UUID, from, until time.Time, fn func(domain.Entry) error) error
}

func newFakeLedger() *fakeLedger {
	return &fakeLedger{accounts: map[uuid.UUID]domain.Account{}, entries: map[uuid.UUID][]domain.Entry{}}
}

func (l *fakeLedger) Account(_ context.Context, _ authn.Subject, id uuid.UUID) (domain.Account, error) {
	a, ok := l.accounts[id]
	if !ok {
		return domain.Account{}, ErrNotFound
	}
	return a, nil
}

func (l *fakeLedger) BalanceBefore(_ context.Context, _ authn.Subject, id uuid.UUID, t time.Time) (money.Amount, error) {
	total := money.Zero
	for _, e := range l.entries[id] {
		if e.BookedAt.Before(t) {
			total = total.Add(e.Amount)
		}
	}
	return total, nil
}

func (l *fakeLedger) Entries(_ context.Context, _ authn.Subject, id uuid.UUID, from, until time.Time, fn func(domain.Entry) error) error {
	if l.gen != nil {
		return l.gen(id, from, until, fn)
	}
	for _, e := range l.entries[id] {
		if !e.BookedAt.Before(from) && e.BookedAt.Before(until) {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

type fakeDirectory map[uuid.UUID]string

func (d fakeDirectory) HolderName(_ context.Context, id uuid.UUID) (string, error) {
	n, ok := d[id]
	if !ok {
		return "", ErrNotFound
	}
	return n, nil
}

// ownerOnly allows exactly what the casbin model allows a plain user: their own.
type ownerOnly struct{}

func (ownerOnly) Authorize(_ context.Context, s authn.Subject, r authz.Resource, _ string) error {
	if s.UserID.String() != r.Owner {
		return apperr.New(apperr.Forbidden, "You do not have access to this %s.", r.Type)
	}
	return nil
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// fixture is a small, fixed ledger: the seed document's example month, with the
// awkward cases a statement must survive (quotes, commas, a formula-looking
// description, non-Latin text, many decimals, an entry on the last instant).
type fixture struct {
	svc     *Service
	ledger  *fakeLedger
	owner   authn.Subject
	other   authn.Subject
	account domain.Account
}

var (
	ownerID   = uuid.MustParse("550e8400-e29b-41d4-a716-446655440010")
	otherID   = uuid.MustParse("550e8400-e29b-41d4-a716-446655440099")
	accountID = uuid.MustParse("550e8400-e29b-41d4-a716-446655440001")
	now       = time.Date(2025, 2, 3, 9, 30, 0, 0, time.UTC)
)

func txID(n int) uuid.UUID {
	return uuid.MustParse("550e8400-e29b-41d4-a716-4466554400" + string(rune('0'+n/10)) + string(rune('0'+n%10)))
}

func newFixture() *fixture {
	l := newFakeLedger()
	acc := domain.Account{ID: accountID, OwnerID: ownerID, Number: "ACC-12345", Name: "Everyday account", Type: "checking", Currency: "USD"}
	l.accounts[acc.ID] = acc
	day := func(d, h int) time.Time { return time.Date(2025, 1, d, h, 0, 0, 0, time.UTC) }
	l.entries[acc.ID] = []domain.Entry{
		{TransactionID: txID(1), BookedAt: time.Date(2024, 12, 1, 8, 0, 0, 0, time.UTC), Description: "Opening balance", Type: "adjustment", Amount: money.MustParse("5000.00")},
		{TransactionID: txID(2), BookedAt: day(5, 12), Description: "Salary deposit", Counterparty: "Engines Ltd", Type: "deposit", Amount: money.MustParse("1000.00")},
		{TransactionID: txID(3), BookedAt: day(15, 12), Description: "Rent payment", Counterparty: "-Landlord", Type: "payment", Amount: money.MustParse("-500.00")},
		{TransactionID: txID(4), BookedAt: day(15, 12), Description: `Café "Zur Post", Wien`, Type: "purchase", Amount: money.MustParse("-12.345")},
		{TransactionID: txID(5), BookedAt: day(20, 9), Description: "=HYPERLINK(\"http://evil\")", Type: "fee", Amount: money.MustParse("-0.000000000000000001")},
		{TransactionID: txID(6), BookedAt: day(21, 9), Description: "Multi-line\nmemo, with comma", Type: "refund", Amount: money.MustParse("12.345")},
		{TransactionID: txID(7), BookedAt: day(22, 9), Description: "東京 transfer", Type: "transfer_in", Amount: money.MustParse("250.50")},
		{TransactionID: txID(8), BookedAt: day(25, 9), Description: "Zero-value correction", Type: "adjustment", Amount: money.Zero},
		{TransactionID: txID(9), BookedAt: time.Date(2025, 1, 31, 23, 59, 59, 0, time.UTC), Description: "Card payment", Type: "purchase", Amount: money.MustParse("-99.99")},
		{TransactionID: txID(10), BookedAt: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), Description: "Next month", Type: "deposit", Amount: money.MustParse("1.00")},
	}
	return &fixture{
		svc:     NewService(l, fakeDirectory{ownerID: "Ada Lovelace"}, ownerOnly{}, fixedClock(now)),
		ledger:  l,
		owner:   authn.Subject{UserID: ownerID, Name: "Ada Lovelace"},
		other:   authn.Subject{UserID: otherID},
		account: acc,
	}
}

// january is the fixture's statement period.
var january = domain.PeriodInput{StartDate: "2025-01-01", EndDate: "2025-01-31"}
