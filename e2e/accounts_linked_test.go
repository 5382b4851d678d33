package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/accounts/accountsjson"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// TestLinkedAccountsOverJSON drives a linked account through the accounts contract
// as the connections and sync modules do, on the production engine, and checks what
// a JSON client sees: the provider's balance and the drift, a pending entry listed
// but out of the balance and replaced in place when it posts, the provider-owned
// fields read-only, a reconciliation, the connection's accounts rendered exactly as
// GET /accounts renders them, and a disconnect that keeps the history.
func TestLinkedAccountsOverJSON(t *testing.T) {
	inst := harness.Start(t, harness.Options{Engine: harness.Auto})
	lin := inst.Register(t, "Lin")
	c := lin.Client
	me := struct{ ID string }{ID: lin.ID.String()}

	az, err := authz.New(inst.DB)
	if err != nil {
		t.Fatal(err)
	}
	contract := accounts.New(inst.DB, az)
	ctx := context.Background()
	sub := authn.Subject{UserID: uuid.MustParse(me.ID)}
	conn := uuid.New()
	checking, op, err := contract.UpsertAccount(ctx, sub, accounts.ProviderAccount{ConnectionID: conn, Provider: "sandbox",
		ProviderAccountID: "chk", Name: "Sandbox checking", AccountType: "checking", Currency: "USD", AccountNumber: "0001234",
		Balance: money.MustParse("1000")})
	if err != nil || op != accounts.Created {
		t.Fatalf("upsert: %s %v", op, err)
	}
	if _, _, err := contract.UpsertAccount(ctx, sub, accounts.ProviderAccount{ConnectionID: conn, Provider: "sandbox",
		ProviderAccountID: "sav", Name: "Sandbox savings", AccountType: "savings", Currency: "USD", Balance: money.MustParse("50")}); err != nil {
		t.Fatal(err)
	}
	soon := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
	res, err := contract.SyncTransactions(ctx, sub, accounts.TransactionBatch{AccountID: checking.ID, Upserts: []accounts.ProviderTransaction{
		{ProviderTransactionID: "t1", Type: "purchase", Amount: money.MustParse("-20"), Description: "Coffee beans", Pending: true, BookedAt: soon},
		{ProviderTransactionID: "t2", Type: "deposit", Amount: money.MustParse("200"), Description: "Salary", BookedAt: soon},
	}, ReportedBalance: money.NullAmount{Amount: money.MustParse("1200"), Valid: true}})
	if err != nil || res.Added != 2 {
		t.Fatalf("sync: %+v %v", res, err)
	}
	path := "/api/v1/accounts/" + checking.ID.String()
	var a struct {
		Balance  string  `json:"balance_amount"`
		Provider *string `json:"provider_balance_amount"`
		Drift    *string `json:"balance_drift"`
		Status   string  `json:"status"`
		Color    *string `json:"color"`
	}
	c.Get(t, path).Expect(t, http.StatusOK).JSON(t, &a)
	if a.Balance != "1200.00" || a.Provider == nil || *a.Provider != "1200.00" || a.Drift != nil {
		t.Fatalf("after sync: %+v", a)
	}
	var list struct {
		Transactions []struct {
			ProviderID string `json:"provider_transaction_id"`
			Status     string `json:"status"`
			Amount     string `json:"amount"`
		} `json:"transactions"`
	}
	c.Get(t, path+"/transactions?status=pending").Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Transactions) != 1 || list.Transactions[0].ProviderID != "t1" {
		t.Fatalf("pending entries %+v", list.Transactions)
	}
	// The purchase posts under a new id with another amount: one entry, revised.
	if _, err := contract.SyncTransactions(ctx, sub, accounts.TransactionBatch{AccountID: checking.ID, Upserts: []accounts.ProviderTransaction{
		{ProviderTransactionID: "t3", PendingTransactionID: "t1", Type: "purchase", Amount: money.MustParse("-23.50"), Description: "Coffee beans", BookedAt: soon},
	}, ReportedBalance: money.NullAmount{Amount: money.MustParse("1170"), Valid: true}}); err != nil {
		t.Fatal(err)
	}
	c.Get(t, path+"/transactions?q=Coffee").Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Transactions) != 1 || list.Transactions[0].ProviderID != "t3" || list.Transactions[0].Status != "posted" || list.Transactions[0].Amount != "-23.50" {
		t.Fatalf("posted entry %+v", list.Transactions)
	}
	c.Get(t, path).Expect(t, http.StatusOK).JSON(t, &a)
	if a.Balance != "1176.50" || a.Drift == nil || *a.Drift != "-6.50" {
		t.Fatalf("drift: %+v", a)
	}

	// Provider-owned fields are read-only; display fields are the owner's.
	res409 := c.Do(t, http.MethodPatch, path, map[string]any{"name": "Mine", "currency": "EUR"}).Expect(t, http.StatusConflict)
	var p harness.Problem
	res409.JSON(t, &p)
	if p.Code != "provider_managed" {
		t.Fatalf("patch of provider fields: %+v", p)
	}
	c.Do(t, http.MethodPatch, path, map[string]any{"color": "teal", "is_favourite": true}).Expect(t, http.StatusOK).JSON(t, &a)
	if a.Color == nil || *a.Color != "teal" {
		t.Fatalf("display field not saved: %+v", a)
	}

	// Reconciling books the drift once.
	c.Post(t, path+"/reconcile", nil).Expect(t, http.StatusCreated)
	c.Get(t, path).Expect(t, http.StatusOK).JSON(t, &a)
	if a.Balance != "1170.00" || a.Drift != nil {
		t.Fatalf("after reconcile: %+v", a)
	}
	c.Post(t, path+"/reconcile", nil).Expect(t, http.StatusConflict).JSON(t, &p)
	if p.Code != "nothing_to_reconcile" {
		t.Fatalf("second reconcile: %+v", p)
	}

	// The connection's accounts, listed through the Directory and rendered by
	// accountsjson, are the same JSON as GET /accounts?connection_id=.
	v := url.Values{"sort": {"name"}, "limit": {"1"}}
	q, err := accountsjson.ParseAccountQuery(v)
	if err != nil {
		t.Fatal(err)
	}
	page, err := contract.ConnectionAccounts(ctx, sub, conn, q)
	if err != nil || page.TotalCount != 2 || !page.HasMore {
		t.Fatalf("connection accounts: %+v %v", page, err)
	}
	mine, err := json.Marshal(accountsjson.AccountList(page))
	if err != nil {
		t.Fatal(err)
	}
	v.Set("connection_id", conn.String())
	theirs := c.Get(t, "/api/v1/accounts?"+v.Encode()).Expect(t, http.StatusOK).Body
	if !jsonEqual(t, mine, theirs) {
		t.Fatalf("the Directory's page differs from GET /accounts:\n%s\n%s", mine, theirs)
	}
	if _, err := accountsjson.ParseAccountQuery(url.Values{"limit": {"0"}}); err == nil {
		t.Fatal("limit=0 accepted")
	}
	stranger := authn.Subject{UserID: uuid.New()}
	if _, err := contract.ConnectionAccounts(ctx, stranger, conn, accounts.AccountQuery{}); err != nil {
		t.Fatalf("a stranger's list of someone else's connection must be empty, not an error: %v", err)
	} else if p, _ := contract.ConnectionAccounts(ctx, stranger, conn, accounts.AccountQuery{}); p.TotalCount != 0 {
		t.Fatalf("a stranger sees %d accounts", p.TotalCount)
	}

	// Disconnecting keeps the history: the accounts become inactive, once.
	if _, err := contract.DeactivateConnection(ctx, stranger, conn); err == nil {
		t.Fatal("a stranger deactivated the connection's accounts")
	}
	n, err := contract.DeactivateConnection(ctx, sub, conn)
	if err != nil || n != 2 {
		t.Fatalf("deactivate: %d %v", n, err)
	}
	c.Get(t, path).Expect(t, http.StatusOK).JSON(t, &a)
	c.Get(t, path+"/transactions").Expect(t, http.StatusOK).JSON(t, &list)
	if a.Status != "inactive" || len(list.Transactions) != 4 {
		t.Fatalf("after disconnect: %s with %d entries", a.Status, len(list.Transactions))
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
