package domain_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/money"
)

var now = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func TestAccountTypeFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ                                         domain.AccountType
		bank, retirement, credit, liability, invest bool
		category                                    domain.Category
	}{
		{domain.Checking, true, false, false, false, false, domain.CategoryCash},
		{domain.Savings, true, false, false, false, false, domain.CategoryCash},
		{domain.MoneyMarket, true, false, false, false, false, domain.CategoryCash},
		{domain.CD, true, false, false, false, false, domain.CategoryCash},
		{domain.Brokerage, false, false, false, false, true, domain.CategoryInvestments},
		{domain.IRA, false, true, false, false, true, domain.CategoryInvestments},
		{domain.RothIRA, false, true, false, false, true, domain.CategoryInvestments},
		{domain.SEPIRA, false, true, false, false, true, domain.CategoryInvestments},
		{domain.SimpleIRA, false, true, false, false, true, domain.CategoryInvestments},
		{domain.Plan401k, false, true, false, false, true, domain.CategoryInvestments},
		{domain.Plan403b, false, true, false, false, true, domain.CategoryInvestments},
		{domain.HSA, false, false, false, false, true, domain.CategoryInvestments},
		{domain.Education, false, false, false, false, true, domain.CategoryInvestments},
		{domain.Trust, false, false, false, false, true, domain.CategoryInvestments},
		{domain.Crypto, false, false, false, false, true, domain.CategoryInvestments},
		{domain.CreditCard, false, false, true, true, false, domain.CategoryCredit},
		{domain.LineOfCredit, false, false, true, true, false, domain.CategoryCredit},
		{domain.Loan, false, false, false, true, false, domain.CategoryLoans},
		{domain.Mortgage, false, false, false, true, false, domain.CategoryLoans},
		{domain.EWallet, false, false, false, false, false, domain.CategoryCash},
		{domain.Cash, false, false, false, false, false, domain.CategoryCash},
		{domain.OtherAccount, false, false, false, false, false, domain.CategoryOther},
	}
	if len(tests) != len(domain.AccountTypes) {
		t.Fatalf("%d cases for %d types", len(tests), len(domain.AccountTypes))
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			if got, err := domain.ParseAccountType(string(tt.typ)); err != nil || got != tt.typ {
				t.Fatalf("parse: %v %v", got, err)
			}
			if tt.typ.IsBank() != tt.bank || tt.typ.IsRetirement() != tt.retirement || tt.typ.IsCredit() != tt.credit ||
				tt.typ.IsLiability() != tt.liability || tt.typ.IsInvestment() != tt.invest || tt.typ.Category() != tt.category {
				t.Fatalf("flags of %s wrong", tt.typ)
			}
		})
	}
	if _, err := domain.ParseAccountType("Checking"); err == nil {
		t.Fatal("upper case accepted")
	}
}

func TestSignedAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ    domain.TransactionType
		amount string
		want   string
		ok     bool
	}{
		{domain.Deposit, "10", "10.00", true},
		{domain.Interest, "0.01", "0.01", true},
		{domain.Dividend, "3", "3.00", true},
		{domain.Refund, "3", "3.00", true},
		{domain.TransferIn, "3", "3.00", true},
		{domain.Withdrawal, "10", "-10.00", true},
		{domain.Fee, "1", "-1.00", true},
		{domain.Purchase, "1", "-1.00", true},
		{domain.Payment, "1", "-1.00", true},
		{domain.TransferOut, "1", "-1.00", true},
		{domain.Adjustment, "-5", "-5.00", true},
		{domain.Adjustment, "5", "5.00", true},
		{domain.OtherTx, "-5", "-5.00", true},
		{domain.Deposit, "-10", "", false},
		{domain.Withdrawal, "-10", "", false},
		{domain.Adjustment, "0", "", false},
	}
	for _, tt := range tests {
		got, err := domain.SignedAmount(tt.typ, money.MustParse(tt.amount))
		if (err == nil) != tt.ok || (tt.ok && got.String() != tt.want) {
			t.Errorf("SignedAmount(%s, %s) = %s, %v", tt.typ, tt.amount, got, err)
		}
	}
}

func account(typ domain.AccountType, balance, overdraft string) *domain.Account {
	return &domain.Account{ID: uuid.New(), UserID: uuid.New(), Type: typ, Currency: "USD", Status: domain.StatusActive,
		Balance: money.MustParse(balance), OverdraftLimit: money.MustParse(overdraft)}
}

func entry(typ domain.TransactionType, amount string) domain.Transaction {
	return domain.Transaction{ID: uuid.New(), Type: typ, Amount: money.MustParse(amount), Currency: "USD", Status: domain.Posted, BookedAt: now}
}

func TestPost(t *testing.T) {
	t.Parallel()
	linked := account(domain.Checking, "0", "0")
	linked.ConnectionID = uuid.NullUUID{UUID: uuid.New(), Valid: true}
	closed := account(domain.Checking, "0", "0")
	closed.Status = domain.StatusClosed
	tests := []struct {
		name    string
		a       *domain.Account
		e       domain.Transaction
		code    apperr.Code
		balance string
	}{
		{"deposit", account(domain.Checking, "10", "0"), entry(domain.Deposit, "5"), "", "15.00"},
		{"debit within balance", account(domain.Checking, "10", "0"), entry(domain.Withdrawal, "-10"), "", "0.00"},
		{"debit within overdraft", account(domain.Savings, "10", "5"), entry(domain.Fee, "-15"), "", "-5.00"},
		{"debit past overdraft", account(domain.Checking, "10", "5"), entry(domain.Purchase, "-15.01"), domain.InsufficientFunds, "10.00"},
		{"adjustment is exempt", account(domain.Checking, "10", "0"), entry(domain.Adjustment, "-20"), "", "-10.00"},
		{"non-bank may go negative", account(domain.CreditCard, "0", "0"), entry(domain.Purchase, "-20"), "", "-20.00"},
		{"cash may go negative", account(domain.Cash, "0", "0"), entry(domain.Payment, "-1"), "", "-1.00"},
		{"linked refuses manual entries", linked, entry(domain.Deposit, "1"), domain.ProviderManaged, "0.00"},
		{"closed refuses entries", closed, entry(domain.Deposit, "1"), domain.AccountClosed, "0.00"},
		{"other currency", account(domain.Cash, "0", "0"), domain.Transaction{Type: domain.Deposit, Amount: money.FromInt(1), Currency: "EUR"}, domain.CurrencyMismatch, "0.00"},
		{"zero", account(domain.Cash, "0", "0"), entry(domain.OtherTx, "0"), apperr.ValidationFailed, "0.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Post(tt.e, now)
			if tt.code == "" && err != nil || tt.code != "" && !apperr.Is(err, tt.code) {
				t.Fatalf("err = %v, want %q", err, tt.code)
			}
			if tt.a.Balance.String() != tt.balance {
				t.Fatalf("balance %s, want %s", tt.a.Balance, tt.balance)
			}
			wantChanges := 0
			if err == nil {
				wantChanges = 1
			}
			if len(tt.a.Changes()) != wantChanges {
				t.Fatalf("%d changes", len(tt.a.Changes()))
			}
		})
	}
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	a := account(domain.Checking, "5", "0")
	if err := a.SetStatus(domain.StatusInactive, now); err != nil || a.Status != domain.StatusInactive {
		t.Fatalf("deactivate: %v", err)
	}
	if err := a.SetStatus(domain.StatusActive, now); err != nil || !a.IsActive() {
		t.Fatalf("activate: %v", err)
	}
	err := a.Close(now)
	if !apperr.Is(err, domain.AccountNotEmpty) {
		t.Fatalf("close with balance: %v", err)
	}
	if e, _ := apperr.As(err); e.Details["current_balance"] != "5.00" {
		t.Fatalf("details %v", e.Details)
	}
	if err := a.AdjustBalanceTo(money.Zero, domain.Transaction{ID: uuid.New()}, now); err != nil || !a.Balance.IsZero() {
		t.Fatalf("adjust: %v", err)
	}
	if c := a.Changes(); len(c) != 1 || c[0].Entry.Type != domain.Adjustment || c[0].Entry.Amount.String() != "-5.00" {
		t.Fatalf("adjustment entry %+v", c)
	}
	if err := a.Close(now); err != nil || !a.IsClosed() || a.ClosedAt == nil {
		t.Fatalf("close: %v", err)
	}
	if err := a.Close(now); err != nil {
		t.Fatalf("closing twice: %v", err)
	}
	for _, s := range []domain.Status{domain.StatusActive, domain.StatusInactive} {
		if err := a.SetStatus(s, now); !apperr.Is(err, domain.AccountClosed) {
			t.Fatalf("reopen as %s: %v", s, err)
		}
	}
	a.SetArchived(true, now)
	if !a.IsArchived() {
		t.Fatal("archive")
	}
	a.SetArchived(false, now)
	if a.IsArchived() {
		t.Fatal("restore")
	}
}

func TestTransfer(t *testing.T) {
	t.Parallel()
	src, dst := account(domain.Checking, "100", "0"), account(domain.Savings, "0", "0")
	rec, err := domain.Transfer(uuid.New(), uuid.New(), uuid.New(), src, dst, money.FromInt(60), "", now, now)
	if err != nil {
		t.Fatal(err)
	}
	if src.Balance.String() != "40.00" || dst.Balance.String() != "60.00" || rec.Source.TransferID != rec.Destination.TransferID ||
		rec.Source.Type != domain.TransferOut || rec.Destination.Type != domain.TransferIn {
		t.Fatalf("transfer %+v", rec)
	}
	if _, err := domain.Transfer(uuid.New(), uuid.New(), uuid.New(), src, dst, money.FromInt(41), "", now, now); !apperr.Is(err, domain.InsufficientFunds) {
		t.Fatalf("overdrawn: %v", err)
	}
	eur := account(domain.Savings, "0", "0")
	eur.Currency = "EUR"
	if _, err := domain.Transfer(uuid.New(), uuid.New(), uuid.New(), src, eur, money.FromInt(1), "", now, now); !apperr.Is(err, domain.CurrencyMismatch) {
		t.Fatalf("currencies: %v", err)
	}
	if _, err := domain.Transfer(uuid.New(), uuid.New(), uuid.New(), src, src, money.FromInt(1), "", now, now); !apperr.Is(err, apperr.ValidationFailed) {
		t.Fatalf("same account: %v", err)
	}
}

func TestMaskAndChecks(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "", "12": "****12", "4111111111111111": "****1111", "ACC-0000012345": "****2345"} {
		if got := domain.MaskAccountNumber(in); got != want {
			t.Errorf("mask(%q) = %q", in, got)
		}
	}
	for name, ok := range map[string]bool{"Main": true, " ": false, "a\x00b": false, string(make([]byte, 101)): false} {
		if (domain.CheckName(name) == nil) != ok {
			t.Errorf("CheckName(%q)", name)
		}
	}
	if domain.CheckMetadata(map[string]string{"": "x"}) == nil || domain.CheckCustomFields([]domain.CustomField{{Label: ""}}) == nil {
		t.Error("empty key or label accepted")
	}
}
