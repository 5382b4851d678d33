package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// TestLinkedAccountDriftAndReconcile shows a linked account's provider, last sync
// and drift on its page, and reconciles it through the page's form.
func TestLinkedAccountDriftAndReconcile(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	ada := newPerson(t, inst, "Ada")
	var me struct {
		ID string `json:"id"`
	}
	ada.api.Get(t, "/api/v1/me").Expect(t, http.StatusOK).JSON(t, &me)
	az, err := authz.New(inst.DB)
	if err != nil {
		t.Fatal(err)
	}
	contract := accounts.New(inst.DB, az)
	ctx := context.Background()
	sub := authn.Subject{UserID: uuid.MustParse(me.ID)}
	a, _, err := contract.UpsertAccount(ctx, sub, accounts.ProviderAccount{ConnectionID: uuid.New(), Provider: "sandbox",
		ProviderAccountID: "acc-1", Name: "Sandbox checking", AccountType: "checking", Currency: "USD", Balance: money.MustParse("100")})
	if err != nil {
		t.Fatal(err)
	}
	page := ada.page(t, "/accounts/"+a.ID.String())
	contains(t, page, `id="account-linked"`, `id="account-provider">sandbox`, `id="account-last-sync"`, "None: the ledger agrees with the provider.")
	lacks(t, page, `action="/accounts/`+a.ID.String()+`/reconcile"`)

	if _, err := contract.SyncTransactions(ctx, sub, accounts.TransactionBatch{AccountID: a.ID,
		ReportedBalance: money.NullAmount{Amount: money.MustParse("90.50"), Valid: true}}); err != nil {
		t.Fatal(err)
	}
	page = ada.page(t, "/accounts/"+a.ID.String())
	contains(t, page, `id="account-provider-balance"`, "90.50 USD", "−9.50 USD", "sandbox last reported 90.50 USD",
		`action="/accounts/`+a.ID.String()+`/reconcile"`, ">Reconcile</button>")

	page = ada.follow(t, ada.post(t, "/accounts/"+a.ID.String()+"/reconcile", nil), "/accounts/"+a.ID.String())
	contains(t, page, "Reconciled: recorded an adjustment of", "Balance reconciliation", "None: the ledger agrees with the provider.")
	if got := ada.account(t, a.ID.String()); got.Balance != "90.50" {
		t.Fatalf("balance after reconciling %s", got.Balance)
	}
	// Reconciling again has nothing to do: the page says so and changes nothing.
	page = ada.follow(t, ada.post(t, "/accounts/"+a.ID.String()+"/reconcile", nil), "/accounts/"+a.ID.String())
	contains(t, page, "there is nothing to reconcile")

	// Another person cannot reconcile it.
	bob := newPerson(t, inst, "Bob")
	if res := bob.post(t, "/accounts/"+a.ID.String()+"/reconcile", nil); res.Status != http.StatusForbidden {
		t.Fatalf("another person's reconcile: %d", res.Status)
	}
}
