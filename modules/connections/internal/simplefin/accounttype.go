package simplefin

import (
	"strings"
	"unicode"

	"github.com/kontor-app/kontor/platform/money"
)

// AccountType guesses API.md's account_type for a SimpleFIN account, which reports no
// type, from its name (case-insensitive, whole words unless noted), the first rule
// that matches winning:
//
//  1. "mortgage" → mortgage
//  2. "line of credit", "heloc", "loc" → line_of_credit
//  3. "loan", "auto loan", "student loan" → loan
//  4. a card: "card", "visa", "mastercard", "amex", "american express", or "credit" not
//     followed by "union" → credit_card
//  5. "roth" → roth_ira; "sep ira" → sep_ira; "simple ira" → simple_ira; "ira" → ira;
//     "401k"/"401(k)" → 401k; "403b"/"403(b)" → 403b; "hsa", "health savings" → hsa;
//     "529", "education" → education
//  6. "crypto", "bitcoin", "btc", "ethereum", "coinbase" → crypto
//  7. "brokerage", "investment(s)", "invest", "stock(s)", "trading", "securities",
//     "portfolio", or the account carries holdings → brokerage
//  8. "money market" → money_market; "certificate", "cd" → cd; "savings", "saving",
//     "saver" → savings; "checking", "chequing", "current" → checking
//  9. "trust" → trust
//  10. "wallet", "paypal", "venmo", "cash app" → ewallet
//  11. no hint and a negative balance → credit_card (money is owed, as on a card)
//  12. otherwise checking.
//
// The guess only seeds the linked account; it is stored as the provider's type.
func AccountType(name string, balance money.Amount, hasHoldings bool) string {
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '(' && r != ')'
	})
	has := func(ws ...string) bool {
		for _, w := range words {
			for _, x := range ws {
				if w == x {
					return true
				}
			}
		}
		return false
	}
	// phrase matches consecutive words.
	phrase := func(p string) bool {
		ps := strings.Fields(p)
		for i := 0; i+len(ps) <= len(words); i++ {
			ok := true
			for j, x := range ps {
				if words[i+j] != x {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		}
		return false
	}
	creditCard := func() bool {
		if has("card", "cards", "visa", "mastercard", "amex") || phrase("american express") {
			return true
		}
		for i, w := range words {
			if w == "credit" && (i+1 >= len(words) || words[i+1] != "union") {
				return true
			}
		}
		return false
	}
	switch {
	case has("mortgage"):
		return "mortgage"
	case phrase("line of credit") || has("heloc", "loc"):
		return "line_of_credit"
	case has("loan", "loans"):
		return "loan"
	case creditCard():
		return "credit_card"
	case has("roth"):
		return "roth_ira"
	case phrase("sep ira"):
		return "sep_ira"
	case phrase("simple ira"):
		return "simple_ira"
	case has("ira"):
		return "ira"
	case has("401k", "401(k)"):
		return "401k"
	case has("403b", "403(b)"):
		return "403b"
	case has("hsa") || phrase("health savings"):
		return "hsa"
	case has("529", "education"):
		return "education"
	case has("crypto", "bitcoin", "btc", "ethereum", "coinbase"):
		return "crypto"
	case has("brokerage", "investment", "investments", "invest", "stock", "stocks", "trading", "securities", "portfolio") || hasHoldings:
		return "brokerage"
	case phrase("money market"):
		return "money_market"
	case has("certificate", "cd"):
		return "cd"
	case has("savings", "saving", "saver"):
		return "savings"
	case has("checking", "chequing", "current"):
		return "checking"
	case has("trust"):
		return "trust"
	case has("wallet", "paypal", "venmo") || phrase("cash app"):
		return "ewallet"
	case balance.IsNegative():
		return "credit_card"
	}
	return "checking"
}
