package domain

import (
	"strings"
	"time"
	"unicode"

	"github.com/kontor-app/kontor/platform/money"
)

// MatchWindow is how far apart a pending transaction and the posted one that
// replaces it may be dated for a match by amount.
const MatchWindow = 8 * 24 * time.Hour

// MatchKind says how a posted transaction found its pending twin.
type MatchKind string

// The outcomes of matching a posted transaction to the pending ones.
const (
	// MatchNone: no pending transaction could be this one.
	MatchNone MatchKind = ""
	// MatchExact: exactly one pending transaction with the same amount.
	MatchExact MatchKind = "exact"
	// MatchTip: no pending transaction with the same amount, and exactly one of
	// the same counterparty for up to 30 % less (a tip added on posting).
	MatchTip MatchKind = "tip"
	// MatchAmbiguous: several could be it; the owner decides.
	MatchAmbiguous MatchKind = "ambiguous"
)

// Match is the outcome of MatchPending: the one pending transaction a posted one
// replaces (exact or tip), or the candidates the owner chooses from (ambiguous).
type Match struct {
	Kind       MatchKind
	Pending    Fact
	Candidates []Fact
}

// MatchPending finds the pending transaction that posted became, among
// candidates of the same account: pending, neither merged nor removed, dated
// within MatchWindow of it. One with the same amount wins when it is the only
// one; failing that, one of the same counterparty and sign up to 30 % larger in
// magnitude on posting (a tip) wins when it is the only one. Several of either
// kind, or tip-sized ones without a matching counterparty, are ambiguous.
func MatchPending(posted Fact, candidates []Fact) Match {
	var exact, tips, loose []Fact
	for _, c := range candidates {
		if !c.Pending || c.Removed || c.LinkedPosted != "" || c.AccountID != posted.AccountID {
			continue
		}
		if d := posted.Date.Sub(c.Date); d > MatchWindow || d < -MatchWindow {
			continue
		}
		switch {
		case c.Amount.Equal(posted.Amount):
			exact = append(exact, c)
		case tipSized(c.Amount, posted.Amount):
			if sameParty(c, posted) {
				tips = append(tips, c)
			} else {
				loose = append(loose, c)
			}
		}
	}
	switch {
	case len(exact) == 1:
		return Match{Kind: MatchExact, Pending: exact[0]}
	case len(exact) > 1:
		return Match{Kind: MatchAmbiguous, Candidates: exact}
	case len(tips) == 1:
		return Match{Kind: MatchTip, Pending: tips[0]}
	case len(tips)+len(loose) > 0:
		return Match{Kind: MatchAmbiguous, Candidates: append(tips, loose...)}
	}
	return Match{}
}

// tipSized reports whether posted has pending's sign and a magnitude larger by
// at most 30 %.
func tipSized(pending, posted money.Amount) bool {
	if pending.Sign() == 0 || pending.Sign() != posted.Sign() {
		return false
	}
	p, q := pending.Abs(), posted.Abs()
	if q.Cmp(p) <= 0 {
		return false
	}
	return times(q, 10).Cmp(times(p, 13)) <= 0
}

func times(a money.Amount, n int) money.Amount {
	out := money.Amount{}
	for range n {
		out = out.Add(a)
	}
	return out
}

// sameParty compares counterparties (or, without them, descriptions) by their
// letters and digits, case folded; empty names never match.
func sameParty(a, b Fact) bool {
	x, y := normalize(a.Counterparty), normalize(b.Counterparty)
	if x == "" || y == "" {
		x, y = normalize(a.Description), normalize(b.Description)
	}
	return x != "" && x == y
}

func normalize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
