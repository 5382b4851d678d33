// Package domain is the sandbox bank's world: its personas, their accounts and the
// deterministic, seeded generator of their transactions, and how a world moves on
// when its clock advances. Everything here is pure: the same persona and day give the
// same transactions on every machine.
package domain

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"time"
)

// The personas a consent may choose.
const (
	Standard = "standard"
	Bulk     = "bulk"
	Flaky    = "flaky"
)

// Personas lists the personas in the order the consent page offers them.
var Personas = []string{Standard, Bulk, Flaky}

// Describe says in a few words what a persona is, for the consent page.
func Describe(persona string) string {
	switch persona {
	case Standard:
		return "Standard: checking, savings, credit card, brokerage and Roth IRA with six months of history"
	case Bulk:
		return "Bulk: one checking account with 100,000 transactions"
	case Flaky:
		return "Flaky: answers 503 to every third API call and 429 now and then"
	}
	return persona
}

// Known reports whether persona is one of Personas.
func Known(persona string) bool {
	for _, p := range Personas {
		if p == persona {
			return true
		}
	}
	return false
}

// BulkCount is how many transactions the bulk persona starts with.
const BulkCount = 100_000

// HistoryDays is how far back the standard and flaky personas' history reaches.
const HistoryDays = 182

// Tags mark a pending transaction for what happens to it when it posts.
const (
	// TagTip posts with a larger amount, as a restaurant bill with a tip added.
	TagTip = "tip"
	// TagHold is an authorisation hold that is cancelled instead of posting.
	TagHold = "hold"
)

// Date is a calendar day, YYYY-MM-DD.
type Date string

// DateOf returns the day t falls on in UTC.
func DateOf(t time.Time) Date { return Date(t.UTC().Format(time.DateOnly)) }

// Time returns the start of the day in UTC.
func (d Date) Time() time.Time {
	t, err := time.Parse(time.DateOnly, string(d))
	if err != nil {
		panic(fmt.Sprintf("sandbox: invalid date %q", string(d)))
	}
	return t
}

// AddDays returns the day n days after d.
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// Before reports whether d comes before e.
func (d Date) Before(e Date) bool { return d < e }

// Account is one account of a persona. Amounts are whole cents of USD.
type Account struct {
	ID           string
	Position     int
	Name         string
	Type         string // Kontor's account types: checking, savings, credit_card, brokerage, roth_ira
	Mask         string
	OpeningCents int64
	LimitCents   *int64 // credit limit of a card
}

// Txn is one generated transaction. Cents is signed: credits positive, debits
// negative.
type Txn struct {
	AccountID   string
	Cents       int64
	Date        Date
	Description string
	Pending     bool
	Tag         string
}

// Accounts returns a persona's accounts.
func Accounts(persona string) []Account {
	limit := int64(1_000_000)
	switch persona {
	case Standard:
		return []Account{
			{ID: "acc_std_checking", Position: 0, Name: "Everyday Checking", Type: "checking", Mask: "4821", OpeningCents: 420_000},
			{ID: "acc_std_savings", Position: 1, Name: "High-Yield Savings", Type: "savings", Mask: "7730", OpeningCents: 1_200_000},
			{ID: "acc_std_card", Position: 2, Name: "Rewards Visa", Type: "credit_card", Mask: "1009", OpeningCents: -85_000, LimitCents: &limit},
			{ID: "acc_std_brokerage", Position: 3, Name: "Individual Brokerage", Type: "brokerage", Mask: "3312", OpeningCents: 2_500_000},
			{ID: "acc_std_roth", Position: 4, Name: "Roth IRA", Type: "roth_ira", Mask: "5590", OpeningCents: 1_800_000},
		}
	case Bulk:
		return []Account{{ID: "acc_bulk_checking", Position: 0, Name: "Bulk Checking", Type: "checking", Mask: "0001", OpeningCents: 1_000_000}}
	case Flaky:
		return []Account{
			{ID: "acc_flaky_checking", Position: 0, Name: "Flaky Checking", Type: "checking", Mask: "6502", OpeningCents: 250_000},
			{ID: "acc_flaky_card", Position: 1, Name: "Flaky Mastercard", Type: "credit_card", Mask: "6503", OpeningCents: -12_000, LimitCents: &limit},
		}
	}
	return nil
}

// TxnID is the id of a persona's n-th transaction.
func TxnID(persona string, n int64) string {
	prefix := "txn_std_"
	switch persona {
	case Bulk:
		prefix = "txn_bulk_"
	case Flaky:
		prefix = "txn_flaky_"
	}
	return prefix + strconv.FormatInt(n, 10)
}

// rng returns the generator for persona on day d: the same inputs, the same numbers.
func rng(persona string, d Date) *rand.Rand {
	h := fnv.New64a()
	_, _ = h.Write([]byte(persona + "|" + string(d)))
	return rand.New(rand.NewPCG(h.Sum64(), 0x6b6f6e746f72))
}

type merchant struct {
	name     string
	min, max int64 // cents
	tag      string
}

var groceries = []merchant{
	{"Whole Foods Market", 2500, 14000, ""},
	{"Trader Joe's", 1800, 9000, ""},
	{"Safeway", 1500, 11000, ""},
}

var everyday = []merchant{
	{"Blue Bottle Coffee", 450, 1400, ""},
	{"Amazon.com", 1200, 8900, ""},
	{"Uber", 900, 4200, ""},
	{"Target", 1500, 9500, ""},
	{"CVS Pharmacy", 600, 4500, ""},
	{"Netflix", 1549, 1549, ""},
	{"Chipotle", 1100, 2600, TagTip},
	{"The Corner Bistro", 3800, 12000, TagTip},
}

func pick(r *rand.Rand, ms []merchant) merchant { return ms[r.IntN(len(ms))] }

func amount(r *rand.Rand, m merchant) int64 {
	if m.max <= m.min {
		return m.min
	}
	return m.min + r.Int64N(m.max-m.min+1)
}

// Day returns the transactions persona has on day d, given the running balances of
// its accounts before that day (cents by account id, which Day updates with its
// posted transactions). Transactions on days at or after pendingFrom are pending,
// except incoming money, which posts at once; the pending ones include a restaurant
// bill that posts with a tip and a fuel authorisation hold that is cancelled.
func Day(persona string, d Date, pendingFrom Date, balances map[string]int64) []Txn {
	r := rng(persona, d)
	pending := !d.Before(pendingFrom)
	var out []Txn
	add := func(acc string, cents int64, desc string, pend bool, tag string) {
		out = append(out, Txn{AccountID: acc, Cents: cents, Date: d, Description: desc, Pending: pend, Tag: tag})
		if !pend {
			balances[acc] += cents
		}
	}
	day := d.Time().Day()
	switch persona {
	case Standard:
		chk, sav, card, brk, roth := "acc_std_checking", "acc_std_savings", "acc_std_card", "acc_std_brokerage", "acc_std_roth"
		if day == 1 || day == 15 {
			add(chk, 325_000, "Acme Corp Payroll", false, "")
		}
		if day == 1 {
			add(chk, -185_000, "Maple Street Apartments Rent", pending, "")
			add(roth, 50_000, "Roth IRA contribution", false, "")
		}
		if day == 5 {
			add(chk, -50_000, "Transfer to High-Yield Savings", pending, "")
			add(sav, 50_000, "Transfer from Everyday Checking", false, "")
		}
		if day == 8 {
			add(chk, -14_000-r.Int64N(6_000), "Pacific Gas & Electric", pending, "")
		}
		if day == 10 {
			add(chk, -30_000, "Transfer to Individual Brokerage", pending, "")
			add(brk, 30_000, "Transfer from Everyday Checking", false, "")
		}
		if day == 20 && balances[card] < 0 && !pending {
			owed := -balances[card]
			add(chk, -owed, "Rewards Visa payment", false, "")
			add(card, owed, "Payment - thank you", false, "")
		}
		if day == 28 {
			add(sav, 3_000+r.Int64N(2_000), "Interest paid", false, "")
			add(brk, 1_000+r.Int64N(9_000), "Dividend: VTI", false, "")
		}
		if day == 14 && d.Time().Month()%3 == 0 {
			add(roth, 5_000+r.Int64N(10_000), "Dividend: VXUS", false, "")
		}
		m := pick(r, groceries)
		if r.IntN(3) == 0 || pending {
			add(chk, -amount(r, m), m.name, pending, "")
		}
		for range 1 + r.IntN(2) {
			m := pick(r, everyday)
			tag := ""
			if pending {
				tag = m.tag
			}
			add(card, -amount(r, m), m.name, pending, tag)
		}
		if pending {
			add(card, -2_500-r.Int64N(5_000), "The Corner Bistro", true, TagTip)
			add(card, -10_000, "Shell Oil pre-authorization hold", true, TagHold)
		}
	case Flaky:
		chk, card := "acc_flaky_checking", "acc_flaky_card"
		if day == 1 || day == 15 {
			add(chk, 180_000, "Globex Payroll", false, "")
		}
		if day == 20 && balances[card] < 0 && !pending {
			owed := -balances[card]
			add(chk, -owed, "Mastercard payment", false, "")
			add(card, owed, "Payment received", false, "")
		}
		m := pick(r, everyday)
		tag := ""
		if pending {
			tag = m.tag
		}
		add(card, -amount(r, m), m.name, pending, tag)
		if pending {
			add(card, -7_500, "Hertz car rental hold", true, TagHold)
		}
	case Bulk:
		// The bulk persona's history comes from BulkTxn; advancing it adds a
		// few everyday transactions a day.
		chk := "acc_bulk_checking"
		for range 2 {
			m := pick(r, everyday)
			add(chk, -amount(r, m), m.name, pending, "")
		}
		if day == 1 {
			add(chk, 500_000, "Initech Payroll", false, "")
		}
	}
	return out
}

// History returns persona's history up to and including today, in booking order:
// HistoryDays of days, the last two of them pending. The bulk persona's history is
// made by BulkTxn instead.
func History(persona string, today Date) []Txn {
	balances := map[string]int64{}
	for _, a := range Accounts(persona) {
		balances[a.ID] = a.OpeningCents
	}
	pendingFrom := today.AddDays(-1)
	var out []Txn
	for d := today.AddDays(-HistoryDays); !today.Before(d); d = d.AddDays(1) {
		out = append(out, Day(persona, d, pendingFrom, balances)...)
	}
	return out
}

// BulkNames are the descriptions the bulk persona's debits cycle through.
var BulkNames = []string{"Coffee", "Groceries", "Fuel", "Books", "Lunch", "Parking", "Pharmacy", "Hardware", "Cinema", "Taxi"}

// BulkPerDay is how many of the bulk persona's transactions fall on one day.
const BulkPerDay = 100

// BulkStart is the first day of the bulk persona's history when today is today.
func BulkStart(today Date) Date { return today.AddDays(-BulkCount / BulkPerDay) }

// BulkTxn is the bulk persona's i-th transaction (0-based) of a history starting on
// start: every BulkPerDay-th a payroll credit, the others small debits that differ
// from row to row. It is a cheap formula so that the store can make 100,000 rows in
// the database itself (store.InsertBulk computes the same; a test holds them equal).
func BulkTxn(start Date, i int) Txn {
	d := start.AddDays(i / BulkPerDay)
	if i%BulkPerDay == 0 {
		return Txn{AccountID: BulkAccountID, Cents: 400_000 + int64(i%7)*1_000, Date: d, Description: "Initech Payroll"}
	}
	return Txn{AccountID: BulkAccountID, Cents: -int64(100 + (i*7919)%9_000), Date: d, Description: BulkNames[i%len(BulkNames)] + " #" + strconv.Itoa(i)}
}

// BulkAccountID is the bulk persona's one account.
const BulkAccountID = "acc_bulk_checking"

// Settlement is what happens to a pending transaction when the world moves past it.
type Settlement struct {
	// Cancelled: the hold disappears and nothing posts.
	Cancelled bool
	// PostedCents and PostedDate are the amount and booking day of the posted
	// transaction that replaces the pending one.
	PostedCents int64
	PostedDate  Date
}

// PendingTxn is a pending transaction that Settle looks at.
type PendingTxn struct {
	ID    string
	Cents int64
	Date  Date
	Tag   string
}

// Settle decides, for the pending transactions of a persona, which post and which is
// cancelled when the world's day becomes today: every pending transaction older than
// a day settles; the first hold among them (or, with none, the first purchase) is
// cancelled; a tagged restaurant bill posts with a 20 % tip; every posting is booked
// a day after its authorisation (never after today). Others stay pending (nil).
func Settle(pending []PendingTxn, today Date) []*Settlement {
	out := make([]*Settlement, len(pending))
	cancel := -1
	for i, p := range pending {
		if p.Date.Before(today.AddDays(-1)) && p.Tag == TagHold {
			cancel = i
			break
		}
	}
	if cancel < 0 {
		for i, p := range pending {
			if p.Date.Before(today.AddDays(-1)) && p.Cents < 0 {
				cancel = i
				break
			}
		}
	}
	for i, p := range pending {
		if !p.Date.Before(today.AddDays(-1)) {
			continue
		}
		if i == cancel {
			out[i] = &Settlement{Cancelled: true}
			continue
		}
		cents := p.Cents
		if p.Tag == TagTip {
			tip := (-cents*20 + 50) / 100 // 20 %, rounded to the cent
			cents -= tip
		}
		posted := p.Date.AddDays(1)
		if today.Before(posted) {
			posted = today
		}
		out[i] = &Settlement{PostedCents: cents, PostedDate: posted}
	}
	return out
}

// FormatCents writes cents as an exact decimal string: -1234 → "-12.34".
func FormatCents(c int64) string {
	sign := ""
	u := uint64(c)
	if c < 0 {
		sign = "-"
		u = uint64(-c)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}
