package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/money"
)

// Spec describes the data set Seed writes for one user.
type Spec struct {
	// Accounts is how many accounts the user has.
	Accounts int
	// Transactions is how many ledger entries they hold in all, opening entries and
	// transfer legs included.
	Transactions int
	// Hot are the entry counts of the busiest accounts, hottest first; the other
	// accounts share the rest with a long-tailed (log-normal) spread.
	Hot []int
	// Years is how far back the ledger reaches from End.
	Years int
	// End is the latest booking time.
	End time.Time
	// TransferShare is the share of entries that are legs of transfers between two
	// of the user's accounts.
	TransferShare float64
	// Seed makes the data set reproducible (for the same End).
	Seed uint64
}

// DefaultSpec is the data set of the accounts performance target: 1,000 accounts and
// 1,000,000 entries over three years, five hot accounts with 50,000 to 80,000 each.
func DefaultSpec() Spec {
	return Spec{
		Accounts: 1000, Transactions: 1_000_000,
		Hot:   []int{80_000, 70_000, 60_000, 55_000, 50_000},
		Years: 3, End: time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour),
		TransferShare: 0.01, Seed: 20261121,
	}
}

// Seeded describes what Seed wrote.
type Seeded struct {
	UserID uuid.UUID
	// Accounts are the account ids in generation order; the first len(Hot) are the
	// hot accounts, hottest first.
	Accounts []uuid.UUID
	// Counts is the number of entries per account, in the order of Accounts.
	Counts       []int
	Transactions int
	Transfers    int
	DailyDeltas  int
	// Generate, Write and Analyze time the phases: building the rows in memory,
	// writing them, and refreshing the planner's statistics (PostgreSQL only).
	Generate, Write, Analyze time.Duration
}

// Hot returns the id of the i-th hottest account.
func (s Seeded) Hot(i int) uuid.UUID { return s.Accounts[i] }

// account is one planned account.
type account struct {
	id        uuid.UUID
	name      string
	typ       string
	currency  string
	number    string
	created   time.Time
	updated   time.Time
	status    string
	archived  bool
	favourite bool
	n         int
	balance   int64 // cents
}

// entry is one planned ledger entry, kept compact: a million of them are held at once.
type entry struct {
	id       uuid.UUID
	account  int32
	transfer int32 // index into transfers, or -1
	booked   int64 // unix microseconds
	cents    int64
	kind     uint8 // index into txTypes
	merchant uint8
	pending  bool
	opening  bool
	party    bool
}

type transfer struct {
	id       uuid.UUID
	src, dst int32
	out, in  int // indexes into entries, set once entries are in their final order
	cents    int64
	at       int64
}

type dailyDelta struct {
	account int32
	day     string
	cents   int64
	count   int64
}

// data is a generated data set.
type data struct {
	user      uuid.UUID
	accounts  []account
	entries   []entry
	transfers []transfer
	deltas    []dailyDelta
}

var txTypes = []string{"deposit", "withdrawal", "transfer_in", "transfer_out", "fee", "interest", "dividend", "purchase", "payment", "refund", "adjustment", "other"}

const (
	tDeposit = iota
	tWithdrawal
	tTransferIn
	tTransferOut
	tFee
	tInterest
	tDividend
	tPurchase
	tPayment
	tRefund
	tAdjustment
	tOther
)

// txSign is the sign each type gives its amount (the domain's TransactionType.Sign);
// 0 means the amount carries its own.
var txSign = []int64{1, -1, 1, -1, -1, 1, 1, -1, -1, 1, 0, 0}

var merchants = []string{
	"Harbor Grocers", "Corner Coffee", "Northwind Fuel", "City Transit", "Blue Apron Market", "Metro Pharmacy",
	"Riverside Books", "Oak Street Bakery", "Summit Outdoor", "Lumen Electric", "Aqua Water Co", "Fiber Net",
	"Pine Hardware", "Golden Noodle", "Cinema Plaza", "Bright Dental", "Union Gym", "Parkside Parking",
	"Maple Insurance", "Cloud Storage Inc", "Streamly", "Orbit Mobile", "Fresh Farm Box", "The Daily Paper",
	"Atlas Airlines", "Stay Inn Hotels", "Quick Cab", "Green Garden Centre", "Pet Palace", "Kids Corner Toys",
	"Acme Payroll", "Evergreen Rent", "Civic Tax Office", "Harbor Bank ATM", "Sunrise Cafe", "Vista Optics",
	"Rapid Repairs", "Crafty Supplies", "Nimbus Software", "Central Library",
}

var descriptionPrefix = []string{
	tDeposit: "Deposit from ", tWithdrawal: "Cash withdrawal at ", tFee: "Fee: ", tInterest: "Interest from ",
	tDividend: "Dividend from ", tPurchase: "Card purchase at ", tPayment: "Payment to ", tRefund: "Refund from ",
	tAdjustment: "Valuation change at ", tOther: "Other: ",
}

// accountKinds is the mix of account types, with weights, currencies aside.
var accountKinds = []struct {
	typ    string
	label  string
	weight int
}{
	{"checking", "Checking", 250}, {"savings", "Savings", 200}, {"credit_card", "Credit Card", 150},
	{"brokerage", "Brokerage", 60}, {"ira", "IRA", 30}, {"roth_ira", "Roth IRA", 20}, {"401k", "401(k)", 30},
	{"cash", "Cash", 40}, {"ewallet", "E-Wallet", 40}, {"loan", "Loan", 30}, {"mortgage", "Mortgage", 20},
	{"money_market", "Money Market", 30}, {"cd", "Certificate of Deposit", 20}, {"hsa", "HSA", 20},
	{"crypto", "Crypto", 20}, {"other", "Other", 40},
}

// hotTypes are the types of the hot accounts, in order.
var hotTypes = []string{"checking", "credit_card", "checking", "savings", "ewallet"}

// mix is how an account type spreads its entries over transaction types; each
// pair is (type, weight) and amounts are drawn in cents from [lo, hi].
type mixItem struct {
	kind   uint8
	weight int
	lo, hi int64
}

func mixFor(typ string) []mixItem {
	switch typ {
	case "credit_card", "line_of_credit":
		return []mixItem{{tPurchase, 82, 300, 25_000}, {tRefund, 8, 500, 10_000}, {tFee, 4, 100, 4_000}, {tDeposit, 6, 5_000, 150_000}}
	case "loan", "mortgage":
		return []mixItem{{tDeposit, 70, 20_000, 300_000}, {tFee, 30, 1_000, 80_000}}
	case "brokerage", "ira", "roth_ira", "401k", "hsa", "crypto":
		return []mixItem{{tDividend, 30, 100, 50_000}, {tDeposit, 30, 10_000, 500_000}, {tWithdrawal, 10, 10_000, 200_000},
			{tFee, 10, 100, 5_000}, {tInterest, 5, 1, 2_000}, {tAdjustment, 15, 100, 300_000}}
	case "other":
		return []mixItem{{tOther, 60, 100, 100_000}, {tDeposit, 20, 1_000, 100_000}, {tWithdrawal, 20, 1_000, 50_000}}
	}
	return []mixItem{{tDeposit, 14, 20_000, 500_000}, {tPurchase, 52, 200, 20_000}, {tWithdrawal, 8, 2_000, 50_000},
		{tFee, 2, 100, 3_500}, {tInterest, 4, 1, 2_000}, {tPayment, 14, 2_000, 120_000}, {tRefund, 6, 500, 10_000}}
}

// generate builds the whole data set in memory, deterministically from spec.Seed.
func generate(spec Spec, user uuid.UUID) (*data, error) {
	hotTotal := 0
	for _, n := range spec.Hot {
		hotTotal += n
	}
	cold := spec.Accounts - len(spec.Hot)
	if cold < 0 || spec.Transactions < hotTotal+cold || (cold == 0 && spec.Transactions != hotTotal) {
		return nil, fmt.Errorf("spec: %d accounts and %d entries cannot hold hot accounts %v", spec.Accounts, spec.Transactions, spec.Hot)
	}
	rng := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))
	d := &data{user: user}
	start := spec.End.AddDate(-spec.Years, 0, 0)
	span := spec.End.Sub(start)

	// Accounts.
	totalWeight := 0
	for _, k := range accountKinds {
		totalWeight += k.weight
	}
	numbers := map[string]bool{}
	d.accounts = make([]account, spec.Accounts)
	for i := range d.accounts {
		a := &d.accounts[i]
		hot := i < len(spec.Hot)
		if hot {
			a.typ = hotTypes[i%len(hotTypes)]
		} else {
			w := rng.IntN(totalWeight)
			for _, k := range accountKinds {
				if w < k.weight {
					a.typ = k.typ
					break
				}
				w -= k.weight
			}
		}
		label := a.typ
		for _, k := range accountKinds {
			if k.typ == a.typ {
				label = k.label
			}
		}
		a.name = fmt.Sprintf("%s %04d", label, i+1)
		a.currency = "USD"
		if !hot {
			switch r := rng.IntN(100); {
			case r < 10:
				a.currency = "EUR"
			case r < 15:
				a.currency = "GBP"
			}
		}
		for {
			a.number = fmt.Sprintf("ACC-%010d", rng.Int64N(10_000_000_000))
			if !numbers[a.number] {
				numbers[a.number] = true
				break
			}
		}
		a.created = start
		if !hot {
			// Later accounts open during the first half of the span.
			a.created = start.Add(time.Duration(rng.Int64N(int64(span / 2))))
		}
		a.created = a.created.Truncate(time.Microsecond)
		a.status = "active"
		if !hot {
			switch r := rng.IntN(100); {
			case r < 3:
				a.status = "inactive"
			case r < 4:
				a.archived = true
			}
		}
		a.favourite = hot || rng.IntN(50) == 0
		a.id = uuidV7(a.created, rng)
	}

	// Entry counts: the hot accounts as given, the rest log-normally spread with at
	// least the opening entry each.
	rest := spec.Transactions - hotTotal
	weights := make([]float64, cold)
	sum := 0.0
	for i := range weights {
		weights[i] = math.Exp(rng.NormFloat64() * 0.9)
		sum += weights[i]
	}
	assigned := 0
	for i := range d.accounts {
		if i < len(spec.Hot) {
			d.accounts[i].n = spec.Hot[i]
			continue
		}
		n := max(1, int(float64(rest)*weights[i-len(spec.Hot)]/sum))
		d.accounts[i].n = n
		assigned += n
	}
	for i := len(spec.Hot); assigned != rest; i++ {
		a := &d.accounts[len(spec.Hot)+(i-len(spec.Hot))%cold]
		if assigned < rest {
			a.n++
			assigned++
		} else if a.n > 1 {
			a.n--
			assigned--
		}
	}

	// Transfers between accounts of the same currency; each uses one non-opening
	// slot of both accounts.
	free := make([]int, len(d.accounts))
	byCurrency := map[string][]int32{}
	for i, a := range d.accounts {
		free[i] = a.n - 1
		if !a.archived {
			byCurrency[a.currency] = append(byCurrency[a.currency], int32(i))
		}
	}
	wanted := int(float64(spec.Transactions) * spec.TransferShare / 2)
	d.entries = make([]entry, 0, spec.Transactions)
	for tries := 0; len(d.transfers) < wanted && tries < wanted*20; tries++ {
		pool := byCurrency["USD"]
		if rng.IntN(10) == 0 {
			pool = byCurrency["EUR"]
		}
		if len(pool) < 2 {
			continue
		}
		src, dst := pool[rng.IntN(len(pool))], pool[rng.IntN(len(pool))]
		if src == dst || free[src] == 0 || free[dst] == 0 {
			continue
		}
		free[src]--
		free[dst]--
		from := d.accounts[src].created
		if d.accounts[dst].created.After(from) {
			from = d.accounts[dst].created
		}
		at := from.Add(time.Duration(rng.Int64N(int64(spec.End.Sub(from))))).Truncate(time.Microsecond)
		t := transfer{id: uuidV7(at, rng), src: src, dst: dst, cents: 1000 + rng.Int64N(200_000), at: at.UnixMicro()}
		d.entries = append(d.entries, entry{id: uuidV7(at, rng), account: src, transfer: int32(len(d.transfers)), booked: t.at, cents: -t.cents, kind: tTransferOut})
		d.entries = append(d.entries, entry{id: uuidV7(at, rng), account: dst, transfer: int32(len(d.transfers)), booked: t.at, cents: t.cents, kind: tTransferIn})
		d.transfers = append(d.transfers, t)
	}

	// The opening entry and the account's own entries.
	recent := spec.End.Add(-72 * time.Hour).UnixMicro()
	for i := range d.accounts {
		a := &d.accounts[i]
		opening := int64(0)
		switch a.typ {
		case "loan":
			opening = -(500_000 + rng.Int64N(3_000_000))
		case "mortgage":
			opening = -(10_000_000 + rng.Int64N(40_000_000))
		case "credit_card", "line_of_credit":
			opening = -rng.Int64N(200_000)
		default:
			opening = rng.Int64N(2_000_000)
		}
		if opening != 0 {
			kind := uint8(tDeposit)
			if opening < 0 {
				kind = tAdjustment
			}
			d.entries = append(d.entries, entry{id: uuidV7(a.created, rng), account: int32(i), transfer: -1,
				booked: a.created.UnixMicro(), cents: opening, kind: kind, opening: true})
		} else {
			// A zero opening balance records no entry; give the slot to the ledger.
			free[i]++
		}
		mix := mixFor(a.typ)
		mixWeight := 0
		for _, m := range mix {
			mixWeight += m.weight
		}
		life := spec.End.Sub(a.created)
		for k := 0; k < free[i]; k++ {
			at := a.created.Add(time.Duration(rng.Int64N(int64(life)))).Truncate(time.Microsecond)
			w := rng.IntN(mixWeight)
			var m mixItem
			for _, m = range mix {
				if w < m.weight {
					break
				}
				w -= m.weight
			}
			cents := m.lo + rng.Int64N(m.hi-m.lo+1)
			switch txSign[m.kind] {
			case -1:
				cents = -cents
			case 0:
				if rng.IntN(2) == 0 {
					cents = -cents
				}
			}
			e := entry{id: uuidV7(at, rng), account: int32(i), transfer: -1, booked: at.UnixMicro(), cents: cents,
				kind: m.kind, merchant: uint8(rng.IntN(len(merchants))), party: rng.IntN(10) < 7}
			e.pending = e.booked > recent && rng.IntN(3) == 0
			d.entries = append(d.entries, e)
		}
	}

	// Balances, counts, last change and daily deltas follow from the entries.
	type dayKey struct {
		account int32
		day     int64
	}
	deltas := map[dayKey]*dailyDelta{}
	counts := make([]int, len(d.accounts))
	for i := range d.entries {
		e := &d.entries[i]
		a := &d.accounts[e.account]
		a.balance += e.cents
		counts[e.account]++
		if c := createdAt(e); c.After(a.updated) {
			a.updated = c
		}
		k := dayKey{e.account, e.booked / (86_400 * 1_000_000)}
		dd := deltas[k]
		if dd == nil {
			dd = &dailyDelta{account: e.account, day: time.UnixMicro(e.booked).UTC().Format(time.DateOnly)}
			deltas[k] = dd
		}
		dd.cents += e.cents
		dd.count++
	}
	for i := range d.accounts {
		d.accounts[i].n = counts[i]
		if d.accounts[i].updated.IsZero() {
			d.accounts[i].updated = d.accounts[i].created
		}
	}
	d.deltas = make([]dailyDelta, 0, len(deltas))
	for _, dd := range deltas {
		d.deltas = append(d.deltas, *dd)
	}
	sort.Slice(d.deltas, func(i, j int) bool {
		if d.deltas[i].account != d.deltas[j].account {
			return d.deltas[i].account < d.deltas[j].account
		}
		return d.deltas[i].day < d.deltas[j].day
	})
	// Write entries in the order they were created, as the application would have.
	sort.Slice(d.entries, func(i, j int) bool { return d.entries[i].booked < d.entries[j].booked })
	for i := range d.transfers {
		d.transfers[i].out, d.transfers[i].in = -1, -1
	}
	for i := range d.entries {
		e := &d.entries[i]
		if e.transfer < 0 {
			continue
		}
		t := &d.transfers[e.transfer]
		if e.kind == tTransferOut {
			t.out = i
		} else {
			t.in = i
		}
	}
	return d, nil
}

// createdAt is when the application recorded the entry: the opening entry with its
// account, others a little after they were booked.
func createdAt(e *entry) time.Time {
	t := time.UnixMicro(e.booked).UTC()
	if e.opening || e.transfer >= 0 {
		return t
	}
	return t.Add(time.Duration(e.booked%3600) * time.Second)
}

// uuidV7 returns a version 7 UUID for time t with random bits from rng, so ids sort
// by creation time like the ones the application makes (uuid.NewV7).
func uuidV7(t time.Time, rng *rand.Rand) uuid.UUID {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	binary.BigEndian.PutUint16(u[6:], uint16(rng.Uint32()))
	binary.BigEndian.PutUint64(u[8:], rng.Uint64())
	u[6] = (u[6] & 0x0f) | 0x70
	u[8] = (u[8] & 0x3f) | 0x80
	return u
}

// centsString is the canonical amount string (money.Amount.String) of cents: at
// least two fractional digits, "-" for negatives, never "-0.00".
func centsString(c int64) string {
	neg := c < 0
	if neg {
		c = -c
	}
	s := strconv.FormatInt(c/100, 10) + "." + fmt.Sprintf("%02d", c%100)
	if neg {
		return "-" + s
	}
	return s
}

func amountOf(c int64) money.Amount { return money.MustParse(centsString(c)) }

func (d *data) description(e *entry) (description, counterparty string) {
	switch {
	case e.opening:
		return "Opening balance", ""
	case e.transfer >= 0:
		t := d.transfers[e.transfer]
		if e.kind == tTransferOut {
			return "Transfer to " + d.accounts[t.dst].name, ""
		}
		return "Transfer from " + d.accounts[t.src].name, ""
	}
	m := merchants[e.merchant]
	if e.party {
		counterparty = m
	}
	return descriptionPrefix[e.kind] + m, counterparty
}

// ledgerSeed is the data set as the accounts contract takes it: the accounts, the
// entries made one by one as the contract walks them, and the transfers.
func (d *data) ledgerSeed() accounts.LedgerSeed {
	seed := accounts.LedgerSeed{UserID: d.user, Accounts: make([]accounts.SeedAccount, len(d.accounts)), Transfers: make([]accounts.SeedTransfer, len(d.transfers))}
	for i := range d.accounts {
		a := &d.accounts[i]
		seed.Accounts[i] = accounts.SeedAccount{ID: a.id, AccountNumber: a.number, Name: a.name, AccountType: a.typ,
			Currency: a.currency, Status: a.status, IsFavourite: a.favourite, CreatedAt: a.created}
		if a.archived {
			at := a.updated
			seed.Accounts[i].ArchivedAt = &at
		}
	}
	for i := range d.transfers {
		t := &d.transfers[i]
		seed.Transfers[i] = accounts.SeedTransfer{ID: t.id, SourceAccountID: d.accounts[t.src].id, DestinationAccountID: d.accounts[t.dst].id,
			SourceTransactionID: d.entries[t.out].id, DestinationTransactionID: d.entries[t.in].id,
			Amount: amountOf(t.cents), Currency: d.accounts[t.src].currency, CreatedAt: time.UnixMicro(t.at).UTC()}
	}
	seed.Transactions = func(yield func(accounts.SeedTransaction) bool) {
		for i := range d.entries {
			e := &d.entries[i]
			desc, party := d.description(e)
			t := accounts.SeedTransaction{ID: e.id, AccountID: d.accounts[e.account].id, Type: txTypes[e.kind], Amount: amountOf(e.cents),
				Description: desc, Counterparty: party, Status: "posted", BookedAt: time.UnixMicro(e.booked).UTC(), CreatedAt: createdAt(e)}
			if e.pending {
				t.Status = "pending"
			}
			if e.transfer >= 0 {
				t.TransferID = uuid.NullUUID{UUID: d.transfers[e.transfer].id, Valid: true}
			}
			if !yield(t) {
				return
			}
		}
	}
	return seed
}

// Seed writes spec's data set for the user into db through the accounts contract's
// bulk-seeding system call (accounts.Contract.SeedLedgerAsSystem), so the rows are
// in the store's own format and the schema lives in one place. The user must exist
// (register them through the API, so the application knows them as a normal user).
// Afterwards the planner's statistics are refreshed: VACUUM ANALYZE of the accounts
// tables on PostgreSQL, as autovacuum would do after such a load, and on SQLite a
// checkpoint of the write-ahead log (no ANALYZE, as the application runs none; the
// wrk harness, cmd/benchdb, runs one on both engines).
func Seed(ctx context.Context, db *database.DB, user uuid.UUID, spec Spec) (Seeded, error) {
	began := time.Now()
	d, err := generate(spec, user)
	if err != nil {
		return Seeded{}, err
	}
	out := Seeded{UserID: user, Transactions: len(d.entries), Transfers: len(d.transfers), DailyDeltas: len(d.deltas), Generate: time.Since(began)}
	for _, a := range d.accounts {
		out.Accounts = append(out.Accounts, a.id)
		out.Counts = append(out.Counts, a.n)
	}
	began = time.Now()
	az, err := authz.New(db)
	if err != nil {
		return out, err
	}
	written, err := accounts.New(db, az).SeedLedgerAsSystem(ctx, d.ledgerSeed())
	if err != nil {
		return out, err
	}
	if written.Transactions != len(d.entries) || written.DailyDeltas != len(d.deltas) {
		return out, fmt.Errorf("the contract wrote %d entries and %d daily deltas, want %d and %d",
			written.Transactions, written.DailyDeltas, len(d.entries), len(d.deltas))
	}
	out.Write = time.Since(began)
	began = time.Now()
	if db.Dialect == database.Postgres {
		for _, table := range []string{"accounts", "transactions", "transfers", "account_daily_deltas"} {
			if _, err := db.ExecContext(ctx, "VACUUM ANALYZE "+table); err != nil {
				return out, fmt.Errorf("vacuum %s: %w", table, err)
			}
		}
	} else if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return out, fmt.Errorf("checkpoint: %w", err)
	}
	out.Analyze = time.Since(began)
	return out, nil
}
