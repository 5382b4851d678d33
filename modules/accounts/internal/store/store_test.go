package store_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/modules/accounts/internal/store"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/money"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type env struct {
	db    *database.DB
	store *store.Store
	svc   *app.Service
	alice authn.Subject
	bob   authn.Subject
}

func newEnv(t *testing.T, db *database.DB) *env {
	t.Helper()
	az, err := authz.New(db)
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(db)
	return &env{db: db, store: st, svc: app.NewService(st, az, nil),
		alice: authn.Subject{UserID: uuid.New(), Role: authn.RoleUser, Method: authn.MethodJWT},
		bob:   authn.Subject{UserID: uuid.New(), Role: authn.RoleUser, Method: authn.MethodJWT}}
}

// record decodes an entry's text as both faces do and runs the use case.
func (e *env) record(ctx context.Context, sub authn.Subject, in app.RecordTransactionText) (app.Recorded, error) {
	typed, err := e.svc.ParseRecordTransaction(in)
	if err != nil {
		return app.Recorded{}, err
	}
	return e.svc.RecordTransaction(ctx, sub, typed)
}

// transfer decodes a transfer's text as both faces do and runs the use case.
func (e *env) transfer(ctx context.Context, sub authn.Subject, in app.TransferText) (app.TransferResult, error) {
	typed, err := e.svc.ParseTransfer(in)
	if err != nil {
		return app.TransferResult{}, err
	}
	return e.svc.Transfer(ctx, sub, typed)
}

func ptr(s string) *string { return &s }

// history decodes a series' query text as the JSON face does.
func history(t *testing.T, id uuid.UUID, in app.HistoryText) app.HistoryInput {
	t.Helper()
	h, err := app.ParseHistory(in)
	if err != nil {
		t.Fatal(err)
	}
	h.AccountID = id
	return h
}

// given is an optional text as a form leaves it: empty means not given.
func given(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// listTransactions decodes the transaction list's text as both faces do and runs
// the use case.
func (e *env) listTransactions(ctx context.Context, sub authn.Subject, in app.ListTransactionsText) (app.TransactionList, error) {
	q, err := app.ParseListTransactions(in)
	if err != nil {
		return app.TransactionList{}, err
	}
	return e.svc.ListTransactions(ctx, sub, q)
}

// createText, update and upsert decode the text as both faces do and run the use
// case.
func (e *env) createText(ctx context.Context, sub authn.Subject, in app.CreateAccountText) (domain.Account, error) {
	typed, err := app.ParseCreateAccount(in)
	if err != nil {
		return domain.Account{}, err
	}
	return e.svc.CreateAccount(ctx, sub, typed)
}

func (e *env) update(ctx context.Context, sub authn.Subject, in app.UpdateAccountText) (domain.Account, error) {
	typed, err := app.ParseUpdateAccount(in)
	if err != nil {
		return domain.Account{}, err
	}
	return e.svc.UpdateAccount(ctx, sub, typed)
}

func (e *env) upsert(ctx context.Context, sub authn.Subject, in app.UpsertAccountText) (domain.Account, app.UpsertOutcome, error) {
	typed, err := app.ParseUpsertAccount(in)
	if err != nil {
		return domain.Account{}, "", err
	}
	return e.svc.UpsertAccount(ctx, sub, typed)
}

// list decodes the list query text as both faces do and runs the use case.
func (e *env) list(ctx context.Context, sub authn.Subject, in app.ListAccountsText) (app.AccountList, error) {
	q, err := app.ParseListAccounts(in)
	if err != nil {
		return app.AccountList{}, err
	}
	return e.svc.ListAccounts(ctx, sub, q)
}

func (e *env) create(t *testing.T, sub authn.Subject, name, typ, currency, opening string, extra ...func(*app.AccountFieldsText)) domain.Account {
	t.Helper()
	f := app.AccountFieldsText{Name: app.Set(name), AccountType: app.Set(typ), Currency: app.Set(currency)}
	for _, x := range extra {
		x(&f)
	}
	a, err := e.createText(context.Background(), sub, app.CreateAccountText{Fields: f, OpeningBalance: given(opening)})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return a
}

func (e *env) verify(t *testing.T) {
	t.Helper()
	bad, err := e.store.VerifyLedger(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range bad {
		t.Errorf("ledger invariant broken: %s", m)
	}
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

func TestAccountLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		a := e.create(t, e.alice, "Everyday", "checking", "USDC", "1000.005", func(f *app.AccountFieldsText) {
			v := "BR-001"
			f.Metadata = app.Set(map[string]*string{"branch_code": &v})
			f.CustomFields = app.Set([]domain.CustomField{{Label: "IBAN", Value: "DE00"}})
			f.OverdraftLimit = app.Set("100")
		})
		if a.Balance.String() != "1000.005" || a.TransactionCount != 1 || a.Version != 1 {
			t.Fatalf("created %+v", a)
		}
		if len(a.AccountNumber) != 14 || a.AccountNumber[:4] != "ACC-" {
			t.Fatalf("generated account number %q", a.AccountNumber)
		}
		got, err := e.store.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Balance.String() != "1000.005" || got.Metadata["branch_code"] != "BR-001" || got.CustomFields[0].Label != "IBAN" ||
			got.OverdraftLimit.String() != "100.00" || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Fatalf("read back %+v", got)
		}
		// Another user's account is forbidden, a missing one not found.
		_, err = e.svc.GetAccount(ctx, e.bob, a.ID)
		wantCode(t, err, apperr.Forbidden)
		_, err = e.svc.GetAccount(ctx, e.alice, uuid.New())
		wantCode(t, err, apperr.NotFound)

		// Debits past balance plus overdraft are refused on bank accounts.
		_, err = e.record(ctx, e.alice, app.RecordTransactionText{AccountID: a.ID, Type: "withdrawal", Amount: "1100.006"})
		wantCode(t, err, domain.InsufficientFunds)
		r, err := e.record(ctx, e.alice, app.RecordTransactionText{AccountID: a.ID, Type: "withdrawal", Amount: "1100.005", BookedAt: ptr("2025-01-15")})
		if err != nil {
			t.Fatal(err)
		}
		if r.Account.Balance.String() != "-100.00" || r.Transaction.Amount.String() != "-1100.005" || r.Account.Version != 2 {
			t.Fatalf("after withdrawal %+v", r)
		}
		// Patch: balance adjustment, archive, metadata merge, If-Match.
		gone := (*string)(nil)
		up, err := e.update(ctx, e.alice, app.UpdateAccountText{ID: a.ID, IfMatch: `W/"2"`, Fields: app.AccountFieldsText{
			BalanceAmount: app.Set("0"), IsArchived: app.Set(true), Metadata: app.Set(map[string]*string{"branch_code": gone}),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if !up.Balance.IsZero() || !up.IsArchived() || len(up.Metadata) != 0 || up.Version != 3 || up.TransactionCount != 3 {
			t.Fatalf("after patch %+v", up)
		}
		_, err = e.update(ctx, e.alice, app.UpdateAccountText{ID: a.ID, IfMatch: `W/"2"`, Fields: app.AccountFieldsText{Name: app.Set("x")}})
		wantCode(t, err, apperr.PreconditionFailed)
		// An empty patch changes nothing, so the version stays.
		same, err := e.update(ctx, e.alice, app.UpdateAccountText{ID: a.ID})
		if err != nil || same.Version != 3 {
			t.Fatalf("empty patch: %v, version %d", err, same.Version)
		}
		closed, err := e.svc.CloseAccount(ctx, e.alice, a.ID)
		if err != nil || closed.Status != domain.StatusClosed || closed.ClosedAt == nil {
			t.Fatalf("close: %+v, %v", closed, err)
		}
		_, err = e.record(ctx, e.alice, app.RecordTransactionText{AccountID: a.ID, Type: "deposit", Amount: "1"})
		wantCode(t, err, domain.AccountClosed)
		_, err = e.update(ctx, e.alice, app.UpdateAccountText{ID: a.ID, Fields: app.AccountFieldsText{Status: app.Set("active")}})
		wantCode(t, err, domain.AccountClosed)
		e.verify(t)
	})
}

func TestCloseRefusedWhileNotEmpty(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		a := e.create(t, e.alice, "Savings", "savings", "EUR", "500")
		_, err := e.svc.CloseAccount(context.Background(), e.alice, a.ID)
		wantCode(t, err, domain.AccountNotEmpty)
		ae, _ := apperr.As(err)
		if ae.Details["current_balance"] != "500.00" || ae.Details["account_id"] != a.ID.String() {
			t.Fatalf("details %v", ae.Details)
		}
	})
}

func TestUniqueFields(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		withNumber := func(f *app.AccountFieldsText) {
			f.AccountNumber = app.Set("ACC-12345")
			f.ExternalID = app.Set("ext-1")
		}
		e.create(t, e.alice, "One", "checking", "USD", "", withNumber)
		_, err := e.createText(ctx, e.alice, app.CreateAccountText{Fields: app.AccountFieldsText{
			Name: app.Set("Two"), AccountType: app.Set("checking"), Currency: app.Set("USD"), AccountNumber: app.Set("ACC-12345")}})
		wantCode(t, err, apperr.Conflict)
		_, err = e.createText(ctx, e.alice, app.CreateAccountText{Fields: app.AccountFieldsText{
			Name: app.Set("Two"), AccountType: app.Set("checking"), Currency: app.Set("USD"), ExternalID: app.Set("ext-1")}})
		wantCode(t, err, domain.DuplicateExternalID)
		// Another user may use the same number and external id.
		e.create(t, e.bob, "One", "checking", "USD", "", withNumber)

		a, op, err := e.upsert(ctx, e.alice, app.UpsertAccountText{ExternalID: "ext-1", Fields: app.AccountFieldsText{Name: app.Set("Renamed"), BalanceAmount: app.Set("42")}})
		if err != nil || op != app.Updated || a.Name != "Renamed" || a.Balance.String() != "42.00" {
			t.Fatalf("upsert update: %+v %s %v", a, op, err)
		}
		b, op, err := e.upsert(ctx, e.alice, app.UpsertAccountText{ExternalID: "ext-2", OpeningBalance: ptr("7"),
			Fields: app.AccountFieldsText{Name: app.Set("New"), AccountType: app.Set("ewallet"), Currency: app.Set("IDR")}})
		if err != nil || op != app.Created || b.Balance.String() != "7.00" {
			t.Fatalf("upsert create: %+v %s %v", b, op, err)
		}
		r, err := e.record(ctx, e.alice, app.RecordTransactionText{AccountID: b.ID, Type: "deposit", Amount: "1", ExternalID: "t-1"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.record(ctx, e.alice, app.RecordTransactionText{AccountID: b.ID, Type: "deposit", Amount: "1", ExternalID: "t-1"})
		wantCode(t, err, domain.DuplicateExternalID)
		if r.Transaction.ExternalID != "t-1" {
			t.Fatalf("external id %q", r.Transaction.ExternalID)
		}
		e.verify(t)
	})
}

func TestListSortsFiltersAndPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		balances := []string{"-500", "0", "0.01", "25000.50", "-0.5", "1e3", "99999999999999999999.999999999999999999", "-12.3456", "7", "7.0000001"}
		for i, b := range balances {
			typ := "checking"
			if b[0] == '-' {
				typ = "credit_card"
			}
			order := len(balances) - i
			e.create(t, e.alice, fmt.Sprintf("Acct %c", 'a'+i%3*7+i), typ, []string{"USDC", "EURC"}[i%2], b, func(f *app.AccountFieldsText) { f.SortOrder = app.Set(order) })
		}
		e.create(t, e.bob, "Not mine", "checking", "USDC", "1")

		for _, sortBy := range []string{"sort_order", "-sort_order", "name", "-name", "balance", "-balance", "created_at", "-created_at"} {
			var all []domain.Account
			cursor := ""
			for pages := 0; ; pages++ {
				l, err := e.list(ctx, e.alice, app.ListAccountsText{Sort: sortBy, Limit: 3, Cursor: cursor})
				if err != nil {
					t.Fatalf("%s: %v", sortBy, err)
				}
				if l.TotalCount != 10 || l.ActiveCount != 10 {
					t.Fatalf("%s: counts %d %d", sortBy, l.TotalCount, l.ActiveCount)
				}
				all = append(all, l.Accounts...)
				if !l.HasMore {
					break
				}
				cursor = l.NextCursor
				if pages > 10 {
					t.Fatal("paging does not end")
				}
			}
			if len(all) != 10 {
				t.Fatalf("%s: %d accounts", sortBy, len(all))
			}
			ok := sort.SliceIsSorted(all, func(i, j int) bool {
				a, b := all[i], all[j]
				var c int
				switch trim(sortBy) {
				case "balance":
					c = a.Balance.Cmp(b.Balance)
				case "name":
					c = cmpStr(a.Name, b.Name)
				case "created_at":
					c = a.CreatedAt.Compare(b.CreatedAt)
				default:
					c = a.SortOrder - b.SortOrder
				}
				if sortBy[0] == '-' {
					c = -c
				}
				return c < 0
			})
			if !ok {
				t.Errorf("%s: not sorted", sortBy)
			}
		}
		l, err := e.list(ctx, e.alice, app.ListAccountsText{MinBalance: "0", MaxBalance: "7", Sort: "balance"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range l.Accounts {
			got = append(got, a.Balance.String())
		}
		if fmt.Sprint(got) != "[0.00 0.01 7.00]" {
			t.Fatalf("balance range: %v", got)
		}
		if l.TotalBalanceByCurrency["USDC"].String() != "7.01" || l.TotalBalanceByCurrency["EURC"].String() != "0.00" {
			t.Fatalf("totals %v", l.TotalBalanceByCurrency)
		}
		l, err = e.list(ctx, e.alice, app.ListAccountsText{AccountTypes: []string{"credit_card"}, Currency: "EURC"})
		if err != nil || l.TotalCount != 1 {
			t.Fatalf("type+currency filter: %d, %v", l.TotalCount, err)
		}
		_, err = e.list(ctx, e.alice, app.ListAccountsText{Cursor: "nope"})
		wantCode(t, err, apperr.InvalidCursor)
		_, err = e.list(ctx, e.alice, app.ListAccountsText{MinBalance: "abc", Sort: "color"})
		wantCode(t, err, apperr.ValidationFailed)
	})
}

func trim(s string) string {
	if s[0] == '-' {
		return s[1:]
	}
	return s
}

func cmpStr(a, b string) int {
	la, lb := lower(a), lower(b)
	switch {
	case la < lb:
		return -1
	case la > lb:
		return 1
	}
	return 0
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func TestTransactionsAndHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		a := e.create(t, e.alice, "Wallet", "cash", "USDC", "")
		b := e.create(t, e.alice, "Card", "credit_card", "USDC", "-50")
		rec := func(acc domain.Account, typ, amount, at, desc string) {
			t.Helper()
			if _, err := e.record(ctx, e.alice, app.RecordTransactionText{AccountID: acc.ID, Type: typ, Amount: amount, BookedAt: ptr(at), Description: desc}); err != nil {
				t.Fatal(err)
			}
		}
		rec(a, "deposit", "100", "2025-01-01T10:00:00Z", "Salary")
		rec(a, "purchase", "30.5", "2025-01-03T09:00:00Z", "Groceries 100% organic")
		rec(a, "fee", "0.25", "2025-01-03T18:00:00Z", "Bank fee")
		rec(a, "interest", "1.111111111111111111", "2025-02-10T00:00:00Z", "Interest")
		rec(b, "payment", "10", "2025-01-02T00:00:00Z", "Card payment")
		tr, err := e.transfer(ctx, e.alice, app.TransferText{SourceAccountID: a.ID.String(), DestinationAccountID: b.ID.String(), Amount: "20", BookedAt: ptr("2025-01-05")})
		if err != nil {
			t.Fatal(err)
		}
		if tr.Source.Balance.String() != "50.361111111111111111" || tr.Destination.Balance.String() != "-40.00" {
			t.Fatalf("transfer balances %s %s", tr.Source.Balance, tr.Destination.Balance)
		}
		list, err := e.svc.ListTransactions(ctx, e.alice, app.ListTransactionsInput{AccountID: uuid.NullUUID{UUID: a.ID, Valid: true}, Limit: 2})
		if err != nil || len(list.Transactions) != 2 || !list.HasMore || list.Transactions[0].Description != "Interest" {
			t.Fatalf("first page %+v %v", list, err)
		}
		var seen []string
		cursor := ""
		for {
			l, err := e.svc.ListTransactions(ctx, e.alice, app.ListTransactionsInput{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range l.Transactions {
				seen = append(seen, x.Day().Format("01-02")+" "+string(x.Type))
			}
			if !l.HasMore {
				break
			}
			cursor = l.NextCursor
		}
		want := "[02-10 interest 01-05 transfer_in 01-05 transfer_out 01-03 fee 01-03 purchase 01-02 payment 01-01 deposit"
		if got := fmt.Sprint(seen[1:]); len(seen) != 8 || got != want+"]" {
			t.Fatalf("across accounts: %v", seen)
		}
		l, err := e.listTransactions(ctx, e.alice, app.ListTransactionsText{StartDate: "2025-01-02", EndDate: "2025-01-03", Types: []string{"purchase,fee,payment"}, MinAmount: "0.3", Q: "100%"})
		if err != nil || len(l.Transactions) != 1 || l.Transactions[0].Type != domain.Purchase {
			t.Fatalf("filters: %+v %v", l.Transactions, err)
		}
		h, err := e.svc.BalanceHistory(ctx, e.alice, history(t, a.ID, app.HistoryText{StartDate: "2025-01-02", EndDate: "2025-01-06"}))
		if err != nil {
			t.Fatal(err)
		}
		var pts []string
		for _, p := range h.Points {
			pts = append(pts, p.Date.Format("02")+"="+p.Balance.String())
		}
		if fmt.Sprint(pts) != "[02=100.00 03=69.25 04=69.25 05=49.25 06=49.25]" {
			t.Fatalf("history %v", pts)
		}
		h, err = e.svc.BalanceHistory(ctx, e.alice, history(t, a.ID, app.HistoryText{StartDate: "2024-12-01", EndDate: "2025-02-15", Interval: "month"}))
		if err != nil || len(h.Points) != 3 || h.Points[0].Balance.String() != "0.00" || h.Points[1].Balance.String() != "49.25" || h.Points[2].Balance.String() != "50.361111111111111111" {
			t.Fatalf("monthly %+v %v", h.Points, err)
		}
		nw, err := e.svc.NetWorth(ctx, e.alice, history(t, uuid.Nil, app.HistoryText{StartDate: "2025-01-01", EndDate: "2025-01-05"}))
		if err != nil || len(nw) != 1 || nw[0].Points[4].Balance.String() != "59.25" {
			t.Fatalf("net worth %+v %v", nw, err)
		}
		at, err := e.svc.BalanceAt(ctx, e.alice, a.ID, time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC))
		if err != nil || at.String() != "69.25" {
			t.Fatalf("balance at %s %v", at, err)
		}
		var streamed []string
		err = e.svc.StreamTransactions(ctx, e.alice, a.ID, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), func(x domain.Transaction) error {
			streamed = append(streamed, string(x.Type))
			return nil
		})
		if err != nil || fmt.Sprint(streamed) != "[deposit purchase fee transfer_out]" {
			t.Fatalf("stream %v %v", streamed, err)
		}
		e.verify(t)
	})
}

func TestTransferRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		usd := e.create(t, e.alice, "USD", "checking", "USD", "10")
		eur := e.create(t, e.alice, "EUR", "savings", "EUR", "10")
		usd2 := e.create(t, e.alice, "USD 2", "savings", "USD", "")
		bobs := e.create(t, e.bob, "Bob", "checking", "USD", "")
		try := func(src, dst domain.Account, amount string) error {
			_, err := e.transfer(ctx, e.alice, app.TransferText{SourceAccountID: src.ID.String(), DestinationAccountID: dst.ID.String(), Amount: amount})
			return err
		}
		wantCode(t, try(usd, eur, "1"), domain.CurrencyMismatch)
		wantCode(t, try(usd, usd, "1"), apperr.ValidationFailed)
		wantCode(t, try(usd, usd2, "10.01"), domain.InsufficientFunds)
		wantCode(t, try(usd, bobs, "1"), apperr.Forbidden)
		wantCode(t, try(usd, usd2, "-1"), apperr.ValidationFailed)
		if err := try(usd, usd2, "10"); err != nil {
			t.Fatal(err)
		}
		got, _ := e.store.Get(ctx, bobs.ID)
		if !got.Balance.IsZero() {
			t.Fatal("a refused transfer moved money")
		}
		e.verify(t)
	})
}

func TestProviderSync(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		conn := uuid.New()
		in := app.ProviderAccountInput{Link: app.ProviderLink{ConnectionID: conn, Provider: "sandbox", ProviderAccountID: "12345678"},
			Name: "Individual Brokerage", AccountType: "brokerage", Currency: "USD", AccountNumber: "9991234",
			Balance: money.MustParse("25000.50"), AvailableBalance: money.NullAmount{Amount: money.MustParse("24500"), Valid: true}}
		a, op, err := e.svc.UpsertProviderAccount(ctx, e.alice, in)
		if err != nil || op != app.Created || a.Balance.String() != "25000.50" || a.AccountNumberMasked() != "****1234" {
			t.Fatalf("create linked: %+v %s %v", a, op, err)
		}
		_, op, err = e.svc.UpsertProviderAccount(ctx, e.alice, in)
		if err != nil || op != app.Unchanged {
			t.Fatalf("same again: %s %v", op, err)
		}
		_, err = e.record(ctx, e.alice, app.RecordTransactionText{AccountID: a.ID, Type: "deposit", Amount: "1"})
		wantCode(t, err, domain.ProviderManaged)
		_, err = e.update(ctx, e.alice, app.UpdateAccountText{ID: a.ID, Fields: app.AccountFieldsText{BalanceAmount: app.Set("1")}})
		wantCode(t, err, domain.ProviderManaged)
		_, err = e.update(ctx, e.alice, app.UpdateAccountText{ID: a.ID, Fields: app.AccountFieldsText{Name: app.Set("Mine")}})
		wantCode(t, err, domain.ProviderManaged)
		if _, err := e.update(ctx, e.alice, app.UpdateAccountText{ID: a.ID, Fields: app.AccountFieldsText{
			Name: app.Set(in.Name), Color: app.Set("teal"), IsFavourite: app.Set(true)}}); err != nil {
			t.Fatal(err)
		}
		balance := func(want, drift string) {
			t.Helper()
			got, err := e.store.Get(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			d := ""
			if got.Drift().Valid {
				d = got.Drift().Amount.String()
			}
			if got.Balance.String() != want || d != drift {
				t.Fatalf("balance %s drift %q, want %s drift %q", got.Balance, d, want, drift)
			}
		}
		balance("25000.50", "")
		// Entries booked after the first sync move the balance; a pending one is
		// listed but does not.
		later := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Second)
		res, err := e.svc.SyncProviderTransactions(ctx, e.alice, app.ProviderTransactionsInput{AccountID: a.ID, Upserts: []app.ProviderTransactionInput{
			{ProviderTransactionID: "p1", Type: "purchase", Amount: money.MustParse("-10"), Pending: true, BookedAt: later},
			{ProviderTransactionID: "p2", Type: "fee", Amount: money.MustParse("-2"), BookedAt: later},
		}})
		if err != nil || res.Added != 2 {
			t.Fatalf("sync 1: %+v %v", res, err)
		}
		balance("24998.50", "2.00")
		// The pending purchase posts under a new id with a tip: revised in place,
		// never duplicated.
		res, err = e.svc.SyncProviderTransactions(ctx, e.alice, app.ProviderTransactionsInput{AccountID: a.ID, Upserts: []app.ProviderTransactionInput{
			{ProviderTransactionID: "p3", PendingTransactionID: "p1", Type: "purchase", Amount: money.MustParse("-12"), BookedAt: later},
			{ProviderTransactionID: "p2", Type: "fee", Amount: money.MustParse("-2"), BookedAt: later},
		}, Removed: []string{"p9"}, ReportedBalance: money.NullAmount{Amount: money.MustParse("24986.50"), Valid: true}})
		if err != nil || res.Modified != 1 || res.Unchanged != 1 || res.Added != 0 || res.Removed != 0 {
			t.Fatalf("sync 2: %+v %v", res, err)
		}
		balance("24986.50", "")
		known, _ := e.store.TransactionsByProviderID(ctx, a.ID, []string{"p1", "p3"})
		if _, ok := known["p1"]; ok || known["p3"].Status != domain.Posted || known["p3"].Amount.String() != "-12.00" {
			t.Fatalf("pending p1 not replaced by p3: %+v", known)
		}
		// A backfill of history before the first sync is already in the provider's
		// balance of that moment: the opening entry absorbs it.
		early := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		res, err = e.svc.SyncProviderTransactions(ctx, e.alice, app.ProviderTransactionsInput{AccountID: a.ID, Upserts: []app.ProviderTransactionInput{
			{ProviderTransactionID: "old", Type: "deposit", Amount: money.MustParse("100"), BookedAt: early},
		}})
		if err != nil || res.Added != 1 {
			t.Fatalf("backfill: %+v %v", res, err)
		}
		balance("24986.50", "")
		opening, _ := e.store.TransactionsByProviderID(ctx, a.ID, []string{domain.OpeningProviderID})
		if opening[domain.OpeningProviderID].Amount.String() != "24900.50" {
			t.Fatalf("opening entry %+v", opening)
		}
		// A reported balance that disagrees shows as drift and is never booked away
		// by a sync; reconciling books it once.
		if _, err := e.svc.SyncProviderTransactions(ctx, e.alice, app.ProviderTransactionsInput{AccountID: a.ID,
			ReportedBalance: money.NullAmount{Amount: money.MustParse("25000"), Valid: true}}); err != nil {
			t.Fatal(err)
		}
		balance("24986.50", "13.50")
		rec, err := e.svc.Reconcile(ctx, e.alice, a.ID)
		if err != nil || rec.Transaction.Type != domain.Adjustment || rec.Transaction.Amount.String() != "13.50" || rec.Account.Drift().Valid {
			t.Fatalf("reconcile: %+v %v", rec, err)
		}
		balance("25000.00", "")
		_, err = e.svc.Reconcile(ctx, e.alice, a.ID)
		wantCode(t, err, domain.NothingToReconcile)
		_, err = e.svc.Reconcile(ctx, e.bob, a.ID)
		wantCode(t, err, apperr.Forbidden)
		// A refresh of the account keeps the reported balance beside the ledger.
		in.Balance = money.MustParse("25001")
		if _, op, err = e.svc.UpsertProviderAccount(ctx, e.alice, in); err != nil || op != app.Updated {
			t.Fatalf("refresh: %s %v", op, err)
		}
		balance("25000.00", "1.00")
		// A pending entry the provider stops reporting inside the window it
		// returned is removed.
		if _, err := e.svc.SyncProviderTransactions(ctx, e.alice, app.ProviderTransactionsInput{AccountID: a.ID, Upserts: []app.ProviderTransactionInput{
			{ProviderTransactionID: "p4", Type: "purchase", Amount: money.MustParse("-5"), Pending: true, BookedAt: later},
		}}); err != nil {
			t.Fatal(err)
		}
		res, err = e.svc.SyncProviderTransactions(ctx, e.alice, app.ProviderTransactionsInput{AccountID: a.ID,
			PendingWindowStart: later.Add(-time.Hour), PendingWindowEnd: later.Add(time.Hour)})
		if err != nil || res.Removed != 1 {
			t.Fatalf("window: %+v %v", res, err)
		}
		res, err = e.svc.SyncProviderTransactions(ctx, e.alice, app.ProviderTransactionsInput{AccountID: a.ID, Removed: []string{"p2"}})
		if err != nil || res.Removed != 1 {
			t.Fatalf("sync 3: %+v %v", res, err)
		}
		got, _ := e.store.Get(ctx, a.ID)
		if got.Balance.String() != "25002.00" || got.Color != "teal" || !got.IsFavourite {
			t.Fatalf("after sync %s %q %v", got.Balance, got.Color, got.IsFavourite)
		}
		_, err = e.svc.SyncProviderTransactions(ctx, e.bob, app.ProviderTransactionsInput{AccountID: a.ID})
		wantCode(t, err, apperr.Forbidden)
		_, err = e.svc.SyncProviderTransactions(ctx, e.alice, app.ProviderTransactionsInput{AccountID: a.ID, Upserts: []app.ProviderTransactionInput{
			{ProviderTransactionID: "kontor:x", Type: "fee", Amount: money.MustParse("-1")}}})
		wantCode(t, err, apperr.ValidationFailed)
		_, err = e.svc.DeactivateConnectionAccounts(ctx, e.bob, conn)
		wantCode(t, err, apperr.Forbidden)
		n, err := e.svc.DeactivateConnectionAccounts(ctx, e.alice, conn)
		if err != nil || n != 1 {
			t.Fatalf("deactivate %d %v", n, err)
		}
		got, _ = e.store.Get(ctx, a.ID)
		if got.Status != domain.StatusInactive || got.TransactionCount == 0 {
			t.Fatalf("after deactivate: %s with %d entries", got.Status, got.TransactionCount)
		}
		if n, err := e.svc.DeactivateConnectionAccounts(ctx, e.alice, conn); err != nil || n != 0 {
			t.Fatalf("deactivate again %d %v", n, err)
		}
		e.verify(t)
	})
}

// TestConcurrentLedger runs 200 deposits, withdrawals and transfers at once on four
// shared accounts: every balance must equal its ledger afterwards, and the total of
// money must equal the opening total plus what was deposited less what was withdrawn.
func TestConcurrentLedger(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		var accts []domain.Account
		for i := 0; i < 4; i++ {
			accts = append(accts, e.create(t, e.alice, fmt.Sprintf("Shared %d", i), "checking", "USD", "100"))
		}
		var deposited, withdrawn sync.Map
		var refused atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				a, b := accts[i%4], accts[(i+1+i/4)%4]
				amount := fmt.Sprintf("%d.%02d", 1+i%17, i%100)
				var err error
				switch i % 3 {
				case 0:
					_, err = e.record(ctx, e.alice, app.RecordTransactionText{AccountID: a.ID, Type: "deposit", Amount: amount})
					if err == nil {
						deposited.Store(i, money.MustParse(amount))
					}
				case 1:
					_, err = e.record(ctx, e.alice, app.RecordTransactionText{AccountID: a.ID, Type: "withdrawal", Amount: amount})
					if err == nil {
						withdrawn.Store(i, money.MustParse(amount))
					}
				default:
					if a.ID == b.ID {
						b = accts[(i+2)%4]
					}
					_, err = e.transfer(ctx, e.alice, app.TransferText{SourceAccountID: a.ID.String(), DestinationAccountID: b.ID.String(), Amount: amount})
				}
				if apperr.Is(err, domain.InsufficientFunds) {
					refused.Add(1)
					return
				}
				if err != nil {
					t.Errorf("operation %d: %v", i, err)
				}
			}(i)
		}
		close(start)
		wg.Wait()
		e.verify(t)
		want := money.FromInt(400)
		deposited.Range(func(_, v any) bool { want = want.Add(v.(money.Amount)); return true })
		withdrawn.Range(func(_, v any) bool { want = want.Sub(v.(money.Amount)); return true })
		total := money.Zero
		for _, a := range accts {
			got, err := e.store.Get(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Balance.Cmp(money.Zero) < 0 {
				t.Errorf("account %s went below zero without overdraft: %s", a.Name, got.Balance)
			}
			total = total.Add(got.Balance)
		}
		if !total.Equal(want) {
			t.Fatalf("total %s, want %s (refused %d)", total, want, refused.Load())
		}
	})
}

// TestSummarizeByType checks the accounts page's subtotals: one grouped query that
// counts and totals every matching account per type and currency, exactly.
func TestSummarizeByType(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.create(t, e.alice, "Checking 1", "checking", "USDC", "100.10")
		e.create(t, e.alice, "Checking 2", "checking", "USDC", "0.000000000000000001")
		e.create(t, e.alice, "Checking 3", "checking", "EUR", "5")
		e.create(t, e.alice, "Card", "credit_card", "USDC", "-250")
		e.create(t, e.bob, "Bob's", "checking", "USDC", "1000")
		got, err := e.store.SummarizeByType(ctx, app.AccountFilter{UserID: e.alice.UserID})
		if err != nil {
			t.Fatal(err)
		}
		chk, card := got[domain.Checking], got[domain.CreditCard]
		if len(got) != 2 || chk.Count != 3 || chk.Balances["USDC"].String() != "100.100000000000000001" || chk.Balances["EUR"].String() != "5.00" ||
			card.Count != 1 || card.Balances["USDC"].String() != "-250.00" {
			t.Fatalf("by type: %+v", got)
		}
		got, err = e.store.SummarizeByType(ctx, app.AccountFilter{UserID: e.alice.UserID, Currency: "EUR"})
		if err != nil || len(got) != 1 || got[domain.Checking].Count != 1 {
			t.Fatalf("filtered: %+v %v", got, err)
		}
	})
}

// TestListServesFavouritesFirstAcrossPages walks the account list page by page in
// every sort and several page sizes, with the favourites among the accounts
// created last (so that without favourites first they would come on the last
// page): every account comes exactly once, the favourites before all others, and
// each part in the sort's order.
func TestListServesFavouritesFirstAcrossPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		const n = 9
		favourite := map[uuid.UUID]bool{}
		for i := range n {
			fav := i == n-1 || i == 4
			a := e.create(t, e.alice, fmt.Sprintf("Acct %c", 'a'+(i*5)%n), "checking", "EUR", fmt.Sprintf("%d.%02d", (i*7)%n, i),
				func(f *app.AccountFieldsText) {
					f.SortOrder = app.Set(i % 4)
					f.IsFavourite = app.Set(fav)
				})
			favourite[a.ID] = fav
		}
		e.create(t, e.bob, "Not mine", "checking", "EUR", "1", func(f *app.AccountFieldsText) { f.IsFavourite = app.Set(true) })

		for _, sortBy := range []string{"", "sort_order", "-sort_order", "name", "-name", "balance", "-balance", "created_at", "-created_at"} {
			for _, limit := range []int{1, 2, 3, 4, n} {
				var all []domain.Account
				cursor := ""
				for pages := 0; ; pages++ {
					l, err := e.list(ctx, e.alice, app.ListAccountsText{Sort: sortBy, Limit: limit, Cursor: cursor})
					if err != nil {
						t.Fatalf("%s/%d: %v", sortBy, limit, err)
					}
					if len(l.Accounts) > limit || l.HasMore && len(l.Accounts) != limit {
						t.Fatalf("%s/%d: a page of %d, has_more %v", sortBy, limit, len(l.Accounts), l.HasMore)
					}
					all = append(all, l.Accounts...)
					if !l.HasMore {
						break
					}
					cursor = l.NextCursor
					if pages > n {
						t.Fatalf("%s/%d: paging does not end", sortBy, limit)
					}
				}
				seen := map[uuid.UUID]bool{}
				for _, a := range all {
					if seen[a.ID] {
						t.Errorf("%s/%d: %s served twice", sortBy, limit, a.Name)
					}
					seen[a.ID] = true
				}
				if len(seen) != n {
					t.Fatalf("%s/%d: %d of %d accounts served", sortBy, limit, len(seen), n)
				}
				if !all[0].IsFavourite || !all[1].IsFavourite || all[2].IsFavourite {
					t.Errorf("%s/%d: favourites are not first: %v", sortBy, limit, names(all))
				}
				for _, part := range [][]domain.Account{all[:2], all[2:]} {
					if !sortedBy(part, sortBy) {
						t.Errorf("%s/%d: part not in order: %v", sortBy, limit, names(part))
					}
				}
			}
		}
	})
}

func names(as []domain.Account) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Name
		if a.IsFavourite {
			out[i] += "*"
		}
	}
	return out
}

// sortedBy reports whether as is in the list's order for sortBy (ties by id).
func sortedBy(as []domain.Account, sortBy string) bool {
	return sort.SliceIsSorted(as, func(i, j int) bool {
		a, b := as[i], as[j]
		var c int
		switch strings.TrimPrefix(sortBy, "-") {
		case "balance":
			c = a.Balance.Cmp(b.Balance)
		case "name":
			c = cmpStr(a.Name, b.Name)
		case "created_at":
			c = a.CreatedAt.Compare(b.CreatedAt)
		default:
			c = a.SortOrder - b.SortOrder
		}
		if c == 0 {
			c = strings.Compare(a.ID.String(), b.ID.String())
		}
		if strings.HasPrefix(sortBy, "-") {
			c = -c
		}
		return c < 0
	})
}
