package web

import (
	"sort"
	"strconv"
	"time"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/money"
	shell "github.com/kontor-app/kontor/web"
)

// typeLabels are the account types as people call them.
var typeLabels = map[domain.AccountType]string{
	domain.Checking:     "Checking",
	domain.Savings:      "Savings",
	domain.MoneyMarket:  "Money market",
	domain.CD:           "Certificate of deposit (CD)",
	domain.Brokerage:    "Brokerage",
	domain.IRA:          "IRA",
	domain.RothIRA:      "Roth IRA",
	domain.SEPIRA:       "SEP IRA",
	domain.SimpleIRA:    "SIMPLE IRA",
	domain.Plan401k:     "401(k)",
	domain.Plan403b:     "403(b)",
	domain.HSA:          "Health savings account (HSA)",
	domain.Education:    "Education savings",
	domain.Trust:        "Trust",
	domain.CreditCard:   "Credit card",
	domain.LineOfCredit: "Line of credit",
	domain.Loan:         "Loan",
	domain.Mortgage:     "Mortgage",
	domain.EWallet:      "E-wallet",
	domain.Crypto:       "Crypto",
	domain.Cash:         "Cash",
	domain.OtherAccount: "Other",
}

func typeLabel(t domain.AccountType) string {
	if l, ok := typeLabels[t]; ok {
		return l
	}
	return string(t)
}

// typeOptions are the account types for a select, in the domain's form order.
func typeOptions() []shell.Option {
	out := make([]shell.Option, len(domain.AccountTypes))
	for i, t := range domain.AccountTypes {
		out[i] = shell.Option{Value: string(t), Label: typeLabel(t)}
	}
	return out
}

// entryTypeLabels are the transaction types as people call them.
var entryTypeLabels = map[domain.TransactionType]string{
	domain.Deposit:     "Deposit",
	domain.Withdrawal:  "Withdrawal",
	domain.TransferIn:  "Transfer in",
	domain.TransferOut: "Transfer out",
	domain.Fee:         "Fee",
	domain.Interest:    "Interest",
	domain.Dividend:    "Dividend",
	domain.Purchase:    "Purchase",
	domain.Payment:     "Payment",
	domain.Refund:      "Refund",
	domain.Adjustment:  "Adjustment",
	domain.OtherTx:     "Other",
}

func entryTypeLabel(t domain.TransactionType) string {
	if l, ok := entryTypeLabels[t]; ok {
		return l
	}
	return string(t)
}

// entryTypeOptions are every transaction type, for filtering a ledger.
func entryTypeOptions() []shell.Option {
	out := make([]shell.Option, len(domain.TransactionTypes))
	for i, t := range domain.TransactionTypes {
		out[i] = shell.Option{Value: string(t), Label: entryTypeLabel(t)}
	}
	return out
}

// recordTypeOptions are the types a person records by hand, each saying which way
// the money goes; transfers have their own form, which writes both legs.
func recordTypeOptions() []shell.Option {
	var out []shell.Option
	for _, t := range domain.TransactionTypes {
		var way string
		switch t.Sign() {
		case 1:
			way = "money in"
		case -1:
			way = "money out"
		default:
			way = "signed amount"
		}
		if t == domain.TransferIn || t == domain.TransferOut {
			continue
		}
		out = append(out, shell.Option{Value: string(t), Label: entryTypeLabel(t) + " (" + way + ")"})
	}
	return out
}

var statusLabels = map[domain.Status]string{
	domain.StatusActive:   "Active",
	domain.StatusInactive: "Inactive",
	domain.StatusClosed:   "Closed",
}

func statusLabel(s domain.Status) string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return string(s)
}

func statusOptions() []shell.Option {
	return []shell.Option{
		{Value: string(domain.StatusActive), Label: "Active"},
		{Value: string(domain.StatusInactive), Label: "Inactive"},
		{Value: string(domain.StatusClosed), Label: "Closed"},
	}
}

func entryStatusOptions() []shell.Option {
	return []shell.Option{{Value: string(domain.Posted), Label: "Posted"}, {Value: string(domain.Pending), Label: "Pending"}}
}

// group is one heading of the accounts page and the account types under it.
type group struct {
	Key   string
	Title string
	Types []domain.AccountType
}

// groups are the headings of the accounts page, in order: bank deposits, debts,
// investments, and everything else (cash, wallets, other).
var groups = func() []group {
	gs := []group{
		{Key: "bank", Title: "Bank accounts"},
		{Key: "debts", Title: "Credit cards & loans"},
		{Key: "investments", Title: "Investments"},
		{Key: "other", Title: "Cash, wallets & other"},
	}
	for _, t := range domain.AccountTypes {
		i := groupIndex(t)
		gs[i].Types = append(gs[i].Types, t)
	}
	return gs
}()

// groupIndex returns the index in groups of the heading t is listed under.
func groupIndex(t domain.AccountType) int {
	switch {
	case t.IsBank():
		return 0
	case t.IsLiability():
		return 1
	case t.IsInvestment():
		return 2
	}
	return 3
}

// amountText shows an amount for people, rounded to its currency's usual digits,
// without its sign: MoneyText adds a real minus sign to negative amounts.
func amountText(a money.Amount, c money.Currency) string {
	return money.Format(a.Abs(), c) + " " + string(c)
}

// currencyTotal is one currency's amount in a list of totals.
type currencyTotal struct {
	Currency money.Currency
	Amount   money.Amount
}

// totalsOf lists totals by currency in alphabetical order, so pages are stable.
func totalsOf(m map[money.Currency]money.Amount) []currencyTotal {
	out := make([]currencyTotal, 0, len(m))
	for c, a := range m {
		out = append(out, currencyTotal{Currency: c, Amount: a})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

// dateText shows a day as every page does, "31 Jan 2026".
func dateText(t time.Time) string { return shell.Date(t) }

// timeText shows a moment to the minute, in UTC like everything Kontor stores.
func timeText(t time.Time) string { return shell.DateTime(t) }

// isoDate is the value format of <input type="date">.
func isoDate(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// plural returns "1 account" or "3 accounts".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

func itoa(n int) string { return strconv.Itoa(n) }

// typeAndSubtype shows an account's type with its subtype: "Checking · joint".
func typeAndSubtype(a domain.Account) string {
	if a.Subtype != "" {
		return typeLabel(a.Type) + " · " + a.Subtype
	}
	return typeLabel(a.Type)
}

// eyebrow is the line above an account's name: its type and masked number.
func eyebrow(a domain.Account) string {
	if a.AccountNumber != "" {
		return typeLabel(a.Type) + " · " + a.AccountNumberMasked()
	}
	return typeLabel(a.Type)
}

// entryNote is the line under a transaction's description: its type and who was
// on the other side.
func entryNote(t domain.Transaction) string {
	if t.Counterparty != "" {
		return entryTypeLabel(t.Type) + " · " + t.Counterparty
	}
	return entryTypeLabel(t.Type)
}
