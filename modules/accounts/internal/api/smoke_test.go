package api_test

import (
	"net/http"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

func TestSmoke(t *testing.T) {
	k := start(t, harness.SQLite)
	u := k.newUser(t, "ada")
	a := u.createAccount(t, `{"name":"Everyday","account_type":"checking","currency":"USD","opening_balance":1000.50}`)
	if a.BalanceAmount != "1000.50" {
		t.Fatalf("%+v", a)
	}
	u.get(t, "/accounts").Expect(t, http.StatusOK)
}
