package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"time"

	"github.com/kontor-app/kontor/platform/money"
)

// Fact is a transaction as a provider reported it, keyed by (provider account,
// provider id) within a connection: the raw fact the ledger entry is made from.
// Canonical is the provider id the ledger entry carries: its own id, or for a
// posted transaction that replaced a pending one, the pending one's id, so the
// entry is revised in place and never duplicated. A pending fact a posted one
// absorbed names it in LinkedPosted. Removed is a tombstone: the provider
// withdrew it, or it was a pending transaction absent from a complete window.
type Fact struct {
	AccountID    string
	ID           string
	Canonical    string
	Pending      bool
	Amount       money.Amount
	Date         time.Time
	Description  string
	Counterparty string
	PendingID    string
	LinkedPosted string
	Removed      bool
	Hash         string
}

// Key identifies a fact within a connection.
type Key struct {
	AccountID string
	ID        string
}

// Key returns the fact's key.
func (f Fact) Key() Key { return Key{f.AccountID, f.ID} }

// Incoming is a transaction in a page from the provider.
type Incoming struct {
	AccountID    string
	ID           string
	Pending      bool
	Amount       money.Amount
	Date         time.Time
	Description  string
	Counterparty string
	PendingID    string
}

// Hash fingerprints what a provider said of a transaction, so that a repeat with
// nothing changed is recognised as a duplicate.
func (in Incoming) Hash() string {
	h := sha256.New()
	pending := "0"
	if in.Pending {
		pending = "1"
	}
	for _, s := range []string{pending, in.Amount.String(), in.Date.UTC().Format(time.DateOnly), in.Description, in.Counterparty, in.PendingID} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// Entry is what the ledger is told about one transaction: its canonical id and
// the provider's fields.
type Entry struct {
	ID           string
	Pending      bool
	Amount       money.Amount
	Date         time.Time
	Description  string
	Counterparty string
}

// Suggestion proposes that a posted transaction replaces a pending one; the owner
// confirms or rejects it.
type Suggestion struct {
	AccountID string
	PostedID  string
	PendingID string
}

// Page is one page of changes to apply. Window, when set, says the page is a
// window provider's whole answer for From..To: a pending transaction of an
// account listed in Complete, dated in the window and absent from the page is
// removed. A posted one is never removed by absence.
type Page struct {
	Upserts []Incoming
	Removed []Key // AccountID may be empty: then any account's fact with the id
	Window  *PageWindow
}

// PageWindow is the window a window provider answered, with the accounts whose
// listing it reported complete.
type PageWindow struct {
	From, To time.Time
	Complete map[string]bool
}

// Plan is what applying a page does: per provider account, the ledger entries to
// write and the canonical ids to remove; the facts to save; the suggestions to
// record; and the counts.
type Plan struct {
	Upserts     map[string][]Entry
	Removals    map[string][]string
	Facts       []Fact
	Suggestions []Suggestion
	Stats       Stats
}

// Known is what the store knows of a page before it is applied: the facts with
// the page's ids (and the pending ones they name), and every open pending fact
// of the page's accounts (the candidates for matching and window removal).
type Known struct {
	Facts map[Key]Fact
}

// Apply plans a page against known. It is deterministic and idempotent: planning
// a page again against the facts its plan saved plans nothing but duplicates.
func Apply(known Known, page Page) Plan {
	p := newPlanner(known.Facts)
	seen := map[Key]bool{}
	for _, in := range page.Upserts {
		seen[Key{in.AccountID, in.ID}] = true
		p.upsert(in)
	}
	for _, r := range page.Removed {
		p.remove(r)
	}
	if w := page.Window; w != nil {
		for _, k := range p.sortedKeys() {
			f := p.facts[k]
			if !f.Pending || f.Removed || f.LinkedPosted != "" || seen[k] || !w.Complete[f.AccountID] {
				continue
			}
			if f.Date.Before(w.From) || f.Date.After(w.To) {
				continue
			}
			p.remove(k)
		}
	}
	return p.finish()
}

// ledgerOp is the last thing planned for one ledger entry of one account.
type ledgerOp struct {
	entry  Entry
	remove bool
}

type planner struct {
	facts    map[Key]Fact
	byID     map[string][]Key
	pendings map[string][]Key // account -> pending facts, in key order
	touched  map[Key]bool
	ops      map[string]map[string]ledgerOp // account -> canonical -> op
	order    map[string][]string            // account -> canonicals in first-touch order
	plan     Plan
}

func newPlanner(facts map[Key]Fact) *planner {
	p := &planner{facts: map[Key]Fact{}, byID: map[string][]Key{}, pendings: map[string][]Key{}, touched: map[Key]bool{},
		ops: map[string]map[string]ledgerOp{}, order: map[string][]string{}}
	keys := make([]Key, 0, len(facts))
	for k := range facts {
		keys = append(keys, k)
	}
	sortKeys(keys)
	for _, k := range keys {
		p.index(facts[k])
	}
	return p
}

func sortKeys(keys []Key) {
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].AccountID != keys[j].AccountID {
			return keys[i].AccountID < keys[j].AccountID
		}
		return keys[i].ID < keys[j].ID
	})
}

func (p *planner) sortedKeys() []Key {
	keys := make([]Key, 0, len(p.facts))
	for k := range p.facts {
		keys = append(keys, k)
	}
	sortKeys(keys)
	return keys
}

// index adds a fact not seen before to the lookups.
func (p *planner) index(f Fact) {
	k := f.Key()
	if _, ok := p.facts[k]; !ok {
		p.byID[f.ID] = append(p.byID[f.ID], k)
		if f.Pending {
			p.pendings[f.AccountID] = append(p.pendings[f.AccountID], k)
		}
	}
	p.facts[k] = f
}

func (p *planner) save(f Fact) {
	p.index(f)
	p.touched[f.Key()] = true
}

func (p *planner) op(account, canonical string, op ledgerOp) {
	m := p.ops[account]
	if m == nil {
		m = map[string]ledgerOp{}
		p.ops[account] = m
	}
	if _, ok := m[canonical]; !ok {
		p.order[account] = append(p.order[account], canonical)
	}
	m[canonical] = op
}

func (p *planner) write(f Fact) {
	p.op(f.AccountID, f.Canonical, ledgerOp{entry: Entry{
		ID: f.Canonical, Pending: f.Pending, Amount: f.Amount, Date: f.Date, Description: f.Description, Counterparty: f.Counterparty,
	}})
}

func (p *planner) finish() Plan {
	p.plan.Upserts, p.plan.Removals = map[string][]Entry{}, map[string][]string{}
	for account, order := range p.order {
		for _, id := range order {
			op := p.ops[account][id]
			if op.remove {
				p.plan.Removals[account] = append(p.plan.Removals[account], id)
			} else {
				p.plan.Upserts[account] = append(p.plan.Upserts[account], op.entry)
			}
		}
	}
	keys := make([]Key, 0, len(p.touched))
	for k := range p.touched {
		keys = append(keys, k)
	}
	sortKeys(keys)
	for _, k := range keys {
		p.plan.Facts = append(p.plan.Facts, p.facts[k])
	}
	return p.plan
}

func (p *planner) upsert(in Incoming) {
	k := Key{in.AccountID, in.ID}
	hash := in.Hash()
	if f, ok := p.facts[k]; ok {
		if (f.Hash == hash && !f.Removed) || (f.Pending && f.LinkedPosted != "") {
			// Nothing new, or a late word about a pending transaction that has
			// already posted: the posted one is the truth.
			p.plan.Stats.Duplicates++
			return
		}
		if f.Pending && !in.Pending {
			p.plan.Stats.LinkedPending++ // the same id posted
		}
		f.Pending, f.Amount, f.Date, f.Description, f.Counterparty, f.PendingID = in.Pending, in.Amount, in.Date, in.Description, in.Counterparty, in.PendingID
		f.Removed, f.Hash = false, hash
		p.save(f)
		p.write(f)
		p.plan.Stats.Modified++
		return
	}
	f := Fact{AccountID: in.AccountID, ID: in.ID, Canonical: in.ID, Pending: in.Pending, Amount: in.Amount, Date: in.Date,
		Description: in.Description, Counterparty: in.Counterparty, PendingID: in.PendingID, Hash: hash}
	if !in.Pending {
		if twin, ok := p.twin(f); ok {
			twin.LinkedPosted = f.ID
			p.save(twin)
			f.Canonical = twin.Canonical
			p.save(f)
			p.write(f)
			p.plan.Stats.LinkedPending++
			p.plan.Stats.Modified++
			return
		}
	}
	p.save(f)
	p.write(f)
	p.plan.Stats.Added++
}

// twin finds the pending fact a new posted fact replaces: the one it names, else
// a unique match by amount; ambiguous matches become suggestions.
func (p *planner) twin(f Fact) (Fact, bool) {
	if f.PendingID != "" {
		if t, ok := p.facts[Key{f.AccountID, f.PendingID}]; ok && t.Pending && t.LinkedPosted == "" {
			return t, true // named by the provider: even a removed one comes back
		}
		return Fact{}, false
	}
	keys := p.pendings[f.AccountID]
	candidates := make([]Fact, 0, len(keys))
	for _, k := range keys {
		candidates = append(candidates, p.facts[k])
	}
	m := MatchPending(f, candidates)
	switch m.Kind {
	case MatchExact, MatchTip:
		return m.Pending, true
	case MatchAmbiguous:
		for _, c := range m.Candidates {
			p.plan.Suggestions = append(p.plan.Suggestions, Suggestion{AccountID: f.AccountID, PostedID: f.ID, PendingID: c.ID})
			p.plan.Stats.Suggestions++
		}
	}
	return Fact{}, false
}

func (p *planner) remove(r Key) {
	f, ok := p.facts[r]
	if !ok && r.AccountID == "" {
		if keys := p.byID[r.ID]; len(keys) > 0 {
			f, ok = p.facts[keys[0]], true
		}
	}
	if !ok || f.Removed {
		return
	}
	f.Removed = true
	p.save(f)
	if f.Pending && f.LinkedPosted != "" {
		return // it posted: the entry now belongs to the posted transaction
	}
	p.op(f.AccountID, f.Canonical, ledgerOp{remove: true})
	p.plan.Stats.Removed++
}
