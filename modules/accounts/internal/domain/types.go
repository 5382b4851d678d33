package domain

import "fmt"

// AccountType is the kind of an account, one of API.md's list.
type AccountType string

// The account types of API.md.
const (
	Checking     AccountType = "checking"
	Savings      AccountType = "savings"
	MoneyMarket  AccountType = "money_market"
	CD           AccountType = "cd"
	Brokerage    AccountType = "brokerage"
	IRA          AccountType = "ira"
	RothIRA      AccountType = "roth_ira"
	SEPIRA       AccountType = "sep_ira"
	SimpleIRA    AccountType = "simple_ira"
	Plan401k     AccountType = "401k"
	Plan403b     AccountType = "403b"
	HSA          AccountType = "hsa"
	Education    AccountType = "education"
	Trust        AccountType = "trust"
	CreditCard   AccountType = "credit_card"
	LineOfCredit AccountType = "line_of_credit"
	Loan         AccountType = "loan"
	Mortgage     AccountType = "mortgage"
	EWallet      AccountType = "ewallet"
	Crypto       AccountType = "crypto"
	Cash         AccountType = "cash"
	OtherAccount AccountType = "other"
)

// AccountTypes lists every account type in the order forms offer them.
var AccountTypes = []AccountType{
	Checking, Savings, MoneyMarket, CD, Cash, EWallet,
	CreditCard, LineOfCredit, Loan, Mortgage,
	Brokerage, IRA, RothIRA, SEPIRA, SimpleIRA, Plan401k, Plan403b, HSA, Education, Trust, Crypto,
	OtherAccount,
}

// ParseAccountType returns s as an AccountType, or an error naming the valid ones.
func ParseAccountType(s string) (AccountType, error) {
	for _, t := range AccountTypes {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("must be one of checking, savings, money_market, cd, brokerage, ira, roth_ira, sep_ira, simple_ira, 401k, 403b, hsa, education, trust, credit_card, line_of_credit, loan, mortgage, ewallet, crypto, cash, other")
}

// IsBank reports whether t is a deposit account at a bank; only these refuse debits
// past their balance and overdraft limit.
func (t AccountType) IsBank() bool {
	switch t {
	case Checking, Savings, MoneyMarket, CD:
		return true
	}
	return false
}

// IsRetirement reports whether t is a tax-advantaged retirement plan.
func (t AccountType) IsRetirement() bool {
	switch t {
	case IRA, RothIRA, SEPIRA, SimpleIRA, Plan401k, Plan403b:
		return true
	}
	return false
}

// IsCredit reports whether t is revolving credit.
func (t AccountType) IsCredit() bool {
	return t == CreditCard || t == LineOfCredit
}

// IsLiability reports whether t is money owed: credit plus loans and mortgages.
func (t AccountType) IsLiability() bool {
	return t.IsCredit() || t == Loan || t == Mortgage
}

// IsInvestment reports whether t holds investments: brokerage, the retirement plans,
// HSAs, education and trust accounts, and crypto.
func (t AccountType) IsInvestment() bool {
	switch t {
	case Brokerage, HSA, Education, Trust, Crypto:
		return true
	}
	return t.IsRetirement()
}

// Category groups account types for people: the accounts page lists one heading per
// category.
type Category string

// The categories, in the order pages show them.
const (
	CategoryCash        Category = "cash"
	CategoryCredit      Category = "credit"
	CategoryLoans       Category = "loans"
	CategoryInvestments Category = "investments"
	CategoryOther       Category = "other"
)

// Category returns the group t is listed under.
func (t AccountType) Category() Category {
	switch {
	case t.IsBank() || t == Cash || t == EWallet:
		return CategoryCash
	case t.IsCredit():
		return CategoryCredit
	case t.IsLiability():
		return CategoryLoans
	case t.IsInvestment():
		return CategoryInvestments
	}
	return CategoryOther
}

// Status is where an account stands in its lifecycle: active and inactive may turn
// into each other; either may be closed, and closed is final.
type Status string

// The account statuses.
const (
	StatusActive   Status = "active"
	StatusInactive Status = "inactive"
	StatusClosed   Status = "closed"
)

// ParseStatus returns s as a Status.
func ParseStatus(s string) (Status, error) {
	switch Status(s) {
	case StatusActive, StatusInactive, StatusClosed:
		return Status(s), nil
	}
	return "", fmt.Errorf("must be one of active, inactive, closed")
}

// TransactionType says what a ledger entry is; for most types it also fixes the
// sign of the amount.
type TransactionType string

// The transaction types of API.md.
const (
	Deposit     TransactionType = "deposit"
	Withdrawal  TransactionType = "withdrawal"
	TransferIn  TransactionType = "transfer_in"
	TransferOut TransactionType = "transfer_out"
	Fee         TransactionType = "fee"
	Interest    TransactionType = "interest"
	Dividend    TransactionType = "dividend"
	Purchase    TransactionType = "purchase"
	Payment     TransactionType = "payment"
	Refund      TransactionType = "refund"
	Adjustment  TransactionType = "adjustment"
	OtherTx     TransactionType = "other"
)

// TransactionTypes lists every transaction type.
var TransactionTypes = []TransactionType{
	Deposit, Withdrawal, TransferIn, TransferOut, Fee, Interest, Dividend, Purchase, Payment, Refund, Adjustment, OtherTx,
}

// ParseTransactionType returns s as a TransactionType.
func ParseTransactionType(s string) (TransactionType, error) {
	for _, t := range TransactionTypes {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("must be one of deposit, withdrawal, transfer_in, transfer_out, fee, interest, dividend, purchase, payment, refund, adjustment, other")
}

// Sign returns +1 for types that always credit the account, -1 for types that always
// debit it, and 0 for adjustment and other, whose amount carries its own sign.
func (t TransactionType) Sign() int {
	switch t {
	case Deposit, TransferIn, Interest, Dividend, Refund:
		return 1
	case Withdrawal, TransferOut, Fee, Purchase, Payment:
		return -1
	}
	return 0
}

// TransactionStatus says whether an entry has settled.
type TransactionStatus string

// The transaction statuses.
const (
	Pending TransactionStatus = "pending"
	Posted  TransactionStatus = "posted"
)

// ParseTransactionStatus returns s as a TransactionStatus.
func ParseTransactionStatus(s string) (TransactionStatus, error) {
	switch TransactionStatus(s) {
	case Pending, Posted:
		return TransactionStatus(s), nil
	}
	return "", fmt.Errorf("must be pending or posted")
}
