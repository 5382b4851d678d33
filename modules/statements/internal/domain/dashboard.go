package domain

import (
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/money"
)

// AccountSnapshot is what the dashboard knows about one account: its balance and the
// sum of its ledger (from the daily deltas), which must agree, and what it needs to
// say whether a linked account is kept up to date.
type AccountSnapshot struct {
	ID        uuid.UUID
	Name      string
	Type      string
	Currency  money.Currency
	Balance   money.Amount
	LedgerSum money.Amount
	Status    string
	Archived  bool
	// Linked is true for an account mirrored from a provider connection.
	Linked       bool
	LastSyncedAt *time.Time
}

// DayChange is the net change of all of a user's accounts in one currency on one day.
type DayChange struct {
	Currency money.Currency
	Day      time.Time
	Delta    money.Amount
}

// CategoryOf groups an account type the way the accounts page does: cash, credit,
// loans, investments, other.
func CategoryOf(accountType string) string {
	switch accountType {
	case "checking", "savings", "money_market", "cd", "cash", "ewallet":
		return "cash"
	case "credit_card", "line_of_credit":
		return "credit"
	case "loan", "mortgage":
		return "loans"
	case "brokerage", "ira", "roth_ira", "sep_ira", "simple_ira", "401k", "403b", "hsa", "education", "trust", "crypto":
		return "investments"
	}
	return "other"
}

// Categories lists the categories in the order the dashboard shows them.
var Categories = []string{"cash", "investments", "other", "credit", "loans"}

// CategoryLabel names a category for people.
func CategoryLabel(c string) string {
	switch c {
	case "cash":
		return "Cash and bank"
	case "credit":
		return "Credit cards and lines"
	case "loans":
		return "Loans and mortgages"
	case "investments":
		return "Investments"
	}
	return "Other"
}

// SeriesPoint is a value at the end of a day.
type SeriesPoint struct {
	Day   time.Time
	Value money.Amount
}

// Change is how much a figure moved over a number of days; Known is false when there
// is no history that far back (the user's first transaction is more recent).
type Change struct {
	Days  int
	Delta money.Amount
	Known bool
}

// CurrencyWorth is a user's net worth in one currency: now, its changes over 30, 90
// and 365 days, and its end-of-day history.
type CurrencyWorth struct {
	Currency money.Currency
	Current  money.Amount
	Changes  []Change
	Series   []SeriesPoint
}

// ChangeWindows are the periods over which the dashboard shows a change.
var ChangeWindows = []int{30, 90, 365}

// NetWorth computes each currency's net worth and history from the accounts'
// current balances and the daily changes since from: the balance at the end of day D
// is the current balance less every change after D. Nothing older than from is read,
// so the cost depends on the window, not on the length of the ledger. Series has one
// point every step days from from to today, today always included; firstDay is the
// day of each currency's first change ever, which says how far back a change is known.
func NetWorth(accounts []AccountSnapshot, changes []DayChange, firstDay map[money.Currency]time.Time, from, today time.Time, step int) []CurrencyWorth {
	current := map[money.Currency]money.Amount{}
	for _, a := range accounts {
		current[a.Currency] = current[a.Currency].Add(a.Balance)
	}
	byCurrency := map[money.Currency][]DayChange{}
	for _, c := range changes {
		byCurrency[c.Currency] = append(byCurrency[c.Currency], c)
		if _, ok := current[c.Currency]; !ok {
			current[c.Currency] = money.Zero
		}
	}
	currencies := make([]money.Currency, 0, len(current))
	for c := range current {
		currencies = append(currencies, c)
	}
	sort.Slice(currencies, func(i, j int) bool { return currencies[i] < currencies[j] })

	from, today = DayOf(from), DayOf(today)
	out := make([]CurrencyWorth, 0, len(currencies))
	for _, cur := range currencies {
		cs := byCurrency[cur]
		sort.Slice(cs, func(i, j int) bool { return cs[i].Day.Before(cs[j].Day) })
		// endOf(d) = current - sum of changes after d, walking back from today.
		endOf := func(d time.Time) money.Amount {
			v := current[cur]
			for i := len(cs) - 1; i >= 0 && cs[i].Day.After(d); i-- {
				v = v.Sub(cs[i].Delta)
			}
			return v
		}
		w := CurrencyWorth{Currency: cur, Current: current[cur]}
		for _, days := range ChangeWindows {
			d := today.AddDate(0, 0, -days)
			first, has := firstDay[cur]
			known := has && !first.After(d)
			ch := Change{Days: days, Known: known}
			if known {
				ch.Delta = current[cur].Sub(endOf(d))
			}
			w.Changes = append(w.Changes, ch)
		}
		w.Series = series(current[cur], cs, from, today, step)
		if first, ok := firstDay[cur]; ok && first.After(from) {
			w.Series = startAt(w.Series, DayOf(first), endOf(DayOf(first)))
		}
		out = append(out, w)
	}
	return out
}

// series walks back from today once, subtracting each day's change, and keeps the
// end-of-day value of every step-th day.
func series(current money.Amount, cs []DayChange, from, today time.Time, step int) []SeriesPoint {
	if step <= 0 {
		step = 1
	}
	var points []SeriesPoint
	v := current
	i := len(cs) - 1
	for d := today; !d.Before(from); d = d.AddDate(0, 0, -step) {
		for i >= 0 && cs[i].Day.After(d) {
			v = v.Sub(cs[i].Delta)
			i--
		}
		points = append(points, SeriesPoint{Day: d, Value: v})
	}
	for l, r := 0, len(points)-1; l < r; l, r = l+1, r-1 {
		points[l], points[r] = points[r], points[l]
	}
	return points
}

// startAt drops the points before first, the day the currency's history begins,
// and starts the series with that day's value, so a new account's chart is its own
// history rather than weeks of zero and a spike.
func startAt(points []SeriesPoint, first time.Time, value money.Amount) []SeriesPoint {
	k := 0
	for k < len(points) && points[k].Day.Before(first) {
		k++
	}
	if k == 0 {
		return points
	}
	out := make([]SeriesPoint, 0, len(points)-k+1)
	if k == len(points) || !points[k].Day.Equal(first) {
		out = append(out, SeriesPoint{Day: first, Value: value})
	}
	return append(out, points[k:]...)
}

// Slice is one category's share of a currency's holdings.
type Slice struct {
	Category string
	Amount   money.Amount
}

// Allocation is how a currency's balances split across categories.
type Allocation struct {
	Currency money.Currency
	Slices   []Slice
}

// Allocate sums balances by currency and category, in Categories order, leaving out
// empty categories; debts stay negative.
func Allocate(accounts []AccountSnapshot) []Allocation {
	sums := map[money.Currency]map[string]money.Amount{}
	for _, a := range accounts {
		if sums[a.Currency] == nil {
			sums[a.Currency] = map[string]money.Amount{}
		}
		c := CategoryOf(a.Type)
		sums[a.Currency][c] = sums[a.Currency][c].Add(a.Balance)
	}
	var out []Allocation
	for cur, cats := range sums {
		al := Allocation{Currency: cur}
		for _, c := range Categories {
			if v, ok := cats[c]; ok && !v.IsZero() {
				al.Slices = append(al.Slices, Slice{Category: c, Amount: v})
			}
		}
		if len(al.Slices) > 0 {
			out = append(out, al)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

// AttentionKind says why an account needs attention.
type AttentionKind string

// The reasons an account needs attention.
const (
	// BalanceDrift: the balance differs from the sum of the account's ledger, which
	// should never happen and means the data needs repair.
	BalanceDrift AttentionKind = "balance_drift"
	// StaleSync: a linked account has not synced for longer than StaleAfter.
	StaleSync AttentionKind = "stale_sync"
	// BrokenConnection: the account's connection needs re-authorization or failed.
	BrokenConnection AttentionKind = "broken_connection"
	// ProviderDrift: a linked account's ledger differs from the balance its
	// provider reports, over two successful syncs in a row.
	ProviderDrift AttentionKind = "provider_drift"
)

// StaleAfter is how long a linked account may go without a sync before the
// dashboard points it out.
const StaleAfter = 48 * time.Hour

// Attention is one account that needs a look, and why.
type Attention struct {
	AccountID   uuid.UUID
	AccountName string
	Kind        AttentionKind
	Detail      string
	// Link, when set, is the page that shows what to do, named by LinkText.
	Link     string
	LinkText string
}

// NeedsAttention lists the open accounts whose balance drifted from their ledger and
// the linked ones that have not synced within StaleAfter of now.
func NeedsAttention(accounts []AccountSnapshot, now time.Time) []Attention {
	var out []Attention
	for _, a := range accounts {
		if a.Status == "closed" {
			continue
		}
		if !a.Balance.Equal(a.LedgerSum) {
			out = append(out, Attention{AccountID: a.ID, AccountName: a.Name, Kind: BalanceDrift,
				Detail: "The balance " + a.Balance.String() + " " + string(a.Currency) + " differs from the sum of its transactions, " + a.LedgerSum.String() + "."})
		}
		if a.Linked && a.Status == "active" {
			switch {
			case a.LastSyncedAt == nil:
				out = append(out, Attention{AccountID: a.ID, AccountName: a.Name, Kind: StaleSync, Detail: "It has never synced."})
			case now.Sub(*a.LastSyncedAt) > StaleAfter:
				out = append(out, Attention{AccountID: a.ID, AccountName: a.Name, Kind: StaleSync,
					Detail: "Last synced " + a.LastSyncedAt.UTC().Format("2006-01-02 15:04") + " UTC."})
			}
		}
	}
	return out
}

// RecentTransaction is a transaction in the dashboard's list of the latest ones.
type RecentTransaction struct {
	ID          uuid.UUID
	AccountID   uuid.UUID
	AccountName string
	BookedAt    time.Time
	Description string
	Type        string
	Amount      money.Amount
	Currency    money.Currency
}
