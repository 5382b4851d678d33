package domain

import (
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/money"
)

// ledger is a test ledger: every entry an account ever had, in booking order.
type ledger []Entry

// balanceBefore is the opening balance a real ledger reports: everything before t.
func (l ledger) balanceBefore(t time.Time) money.Amount {
	total := money.Zero
	for _, e := range l {
		if e.BookedAt.Before(t) {
			total = total.Add(e.Amount)
		}
	}
	return total
}

// randomAmount returns a signed amount with up to 18 fractional digits and up to 12
// integer digits, zero now and then, so that the sums exercise every digit.
func randomAmount(r *rand.Rand) money.Amount {
	if r.IntN(20) == 0 {
		return money.Zero
	}
	whole := strconv.FormatInt(r.Int64N(1_000_000_000_000), 10)
	frac := strconv.FormatInt(r.Int64N(1_000_000_000_000_000_000), 10)
	s := whole + "." + frac[:1+r.IntN(len(frac))]
	if r.IntN(2) == 0 {
		s = "-" + s
	}
	return money.MustParse(s)
}

func randomLedger(r *rand.Rand, n int, from time.Time, days int) ledger {
	l := make(ledger, n)
	for i := range l {
		l[i] = Entry{
			TransactionID: uuid.New(),
			BookedAt:      from.Add(time.Duration(r.Int64N(int64(days) * int64(24*time.Hour)))),
			Description:   "entry " + strconv.Itoa(i),
			Type:          "other",
			Amount:        randomAmount(r),
		}
	}
	// Several entries on one instant are common (a sync books a day at midnight).
	for i := 1; i < len(l); i += 7 {
		l[i].BookedAt = l[i-1].BookedAt
	}
	slices.SortStableFunc(l, func(a, b Entry) int { return a.BookedAt.Compare(b.BookedAt) })
	return l
}

// TestStatementInvariantsHoldForRandomLedgers is the property test: for random ledgers
// and random periods, built the way the service builds them, opening + deposits -
// withdrawals = closing, the last balance_after is the closing balance, the opening
// balance is the sum of everything before the start, and the closing balance is the
// sum of everything up to the end, to the last digit.
func TestStatementInvariantsHoldForRandomLedgers(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("STATEMENT_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("STATEMENT_SEED: %v", err)
		}
	}
	t.Logf("seed %d (STATEMENT_SEED=%d replays this run)", seed, seed)
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	origin := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	const span = 3 * 365

	for round := 0; round < 300; round++ {
		l := randomLedger(r, r.IntN(400), origin, span)
		startDay := r.IntN(span+60) - 30
		length := r.IntN(span/2 + 1)
		p := Period{Start: origin.AddDate(0, 0, startDay)}
		p.End = p.Start.AddDate(0, 0, length)

		opening := l.balanceBefore(p.From())
		b := NewBuilder(p, opening)
		var last *Line
		count, positive, negative := 0, money.Zero, money.Zero
		for _, e := range l {
			if !p.Contains(e.BookedAt) {
				continue
			}
			line, err := b.Add(e)
			if err != nil {
				t.Fatalf("round %d: Add: %v", round, err)
			}
			last = &line
			count++
			if e.Amount.IsPositive() {
				positive = positive.Add(e.Amount)
			} else {
				negative = negative.Add(e.Amount)
			}
		}
		tot := b.Totals()
		if err := tot.Check(); err != nil {
			t.Fatalf("round %d (seed %d): %v", round, seed, err)
		}
		if !tot.Opening.Equal(l.balanceBefore(p.From())) {
			t.Fatalf("round %d: opening %s is not the sum before %s", round, tot.Opening, p.StartDate())
		}
		if !tot.Closing.Equal(l.balanceBefore(p.Until())) {
			t.Fatalf("round %d: closing %s is not the sum up to %s (%s)", round, tot.Closing, p.EndDate(), l.balanceBefore(p.Until()))
		}
		if last != nil && !last.BalanceAfter.Equal(tot.Closing) {
			t.Fatalf("round %d: last balance_after %s != closing %s", round, last.BalanceAfter, tot.Closing)
		}
		if last == nil && !tot.Closing.Equal(tot.Opening) {
			t.Fatalf("round %d: an empty period changed the balance", round)
		}
		if tot.Count != count || !tot.Deposits.Equal(positive) || !tot.Withdrawals.Equal(negative.Neg()) {
			t.Fatalf("round %d: totals %+v disagree with count %d, +%s, %s", round, tot, count, positive, negative)
		}
		if tot.Deposits.IsNegative() || tot.Withdrawals.IsNegative() {
			t.Fatalf("round %d: deposits and withdrawals are magnitudes: %+v", round, tot)
		}
	}
}

func TestBuilderRefusesEntriesOutsideThePeriodOrOrder(t *testing.T) {
	t.Parallel()
	p := Period{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)}
	b := NewBuilder(p, money.MustParse("10.00"))
	if _, err := b.Add(Entry{BookedAt: p.Until(), Amount: money.FromInt(1)}); !errors.Is(err, ErrOutOfPeriod) {
		t.Fatalf("entry after the period: %v", err)
	}
	if _, err := b.Add(Entry{BookedAt: p.Start.Add(time.Hour), Amount: money.FromInt(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Add(Entry{BookedAt: p.Start, Amount: money.FromInt(1)}); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("entry before the previous one: %v", err)
	}
	if tot := b.Totals(); tot.Count != 1 || !tot.Closing.Equal(money.MustParse("11")) {
		t.Fatalf("refused entries changed the totals: %+v", tot)
	}
}

func TestBuilderExample(t *testing.T) {
	t.Parallel()
	// The seed document's example: 5000 opening, +1000 salary, -500 rent.
	p := Period{Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)}
	b := NewBuilder(p, money.MustParse("5000.00"))
	l1, _ := b.Add(Entry{BookedAt: time.Date(2025, 1, 5, 12, 0, 0, 0, time.UTC), Amount: money.MustParse("1000.00")})
	l2, _ := b.Add(Entry{BookedAt: time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC), Amount: money.MustParse("-500.00")})
	tot := b.Totals()
	if l1.BalanceAfter.String() != "6000.00" || l2.BalanceAfter.String() != "5500.00" ||
		tot.Closing.String() != "5500.00" || tot.Deposits.String() != "1000.00" || tot.Withdrawals.String() != "500.00" || tot.Count != 2 {
		t.Fatalf("lines %s, %s; totals %+v", l1.BalanceAfter, l2.BalanceAfter, tot)
	}
}
