package e2e

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

// ofxStatement is a small OFX 1.x (SGML) checking statement: three transactions
// and a ledger balance. second, when set, adds a savings statement after it.
func ofxStatement(second string) string {
	return `OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX>
<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20261120120000[-5:EST]<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>
<BANKMSGSRSV1>
<STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS><CURDEF>USD
<BANKACCTFROM><BANKID>121000248<ACCTID>5550001234<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20261101<DTEND>20261120
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261102120000<TRNAMT>2500.00<FITID>F-1001<NAME>Salary</STMTTRN>
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261105120000<TRNAMT>-42.17<FITID>F-1002<NAME>Groceries &amp; more</STMTTRN>
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261110120000<TRNAMT>-1200.00<FITID>F-1003<NAME>Rent</STMTTRN>
</BANKTRANLIST>
<LEDGERBAL><BALAMT>1257.83<DTASOF>20261120120000</LEDGERBAL>
</STMTRS></STMTTRNRS>
` + second + `</BANKMSGSRSV1>
</OFX>
`
}

// brokenSavings is a second statement cut off in the middle.
const brokenSavings = `<STMTTRNRS><TRNUID>2<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS><CURDEF>USD
<BANKACCTFROM><BANKID>121000248<ACCTID>5550009999<ACCTTYPE>SAVINGS</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20261101<DTEND>20261120
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>2026-11-02<TRNAMT>ten dollars<FITID>S-1</STMTTRN>
`

// upload sends a statement file to the imports endpoint and checks the exchange
// against the contract.
func upload(t testing.TB, a *api, connectionID, name, content string) *harness.Response {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write([]byte(content))
	_ = w.Close()
	path := "/api/v1/connections/" + connectionID + "/imports"
	res := a.Raw(t, http.MethodPost, path, buf.Bytes(), "Content-Type: "+w.FormDataContentType())
	h := http.Header{}
	h.Set("Content-Type", w.FormDataContentType())
	h.Set("Authorization", "Bearer "+a.Token)
	checkCommonHeaders(t, "POST "+path, res)
	a.contract.check(t, http.MethodPost, a.BaseURL+path, h, buf.Bytes(), res)
	return res
}

type connectionJSON struct {
	ID            string  `json:"id"`
	Provider      string  `json:"provider"`
	Alias         *string `json:"alias"`
	Status        string  `json:"status"`
	LastSync      *string `json:"last_sync_status"`
	AccountsCount int     `json:"accounts_count"`
}

type importJSON struct {
	AccountsCreated      int `json:"accounts_created"`
	AccountsUpdated      int `json:"accounts_updated"`
	TransactionsAdded    int `json:"transactions_added"`
	TransactionsModified int `json:"transactions_modified"`
	TransactionsRemoved  int `json:"transactions_removed"`
	Duplicates           int `json:"duplicates"`
}

type accountListJSON struct {
	Accounts []struct {
		ID                string `json:"id"`
		Name              string `json:"name"`
		Status            string `json:"status"`
		Provider          string `json:"provider"`
		ProviderAccountID string `json:"provider_account_id"`
		BalanceAmount     string `json:"balance_amount"`
		ConnectionID      string `json:"connection_id"`
	} `json:"accounts"`
	TotalCount int `json:"total_count"`
}

func countTransactions(t *testing.T, a *api, accountID string) int {
	t.Helper()
	var body struct {
		Transactions []struct {
			ProviderTransactionID *string `json:"provider_transaction_id"`
		} `json:"transactions"`
	}
	a.get(t, "/api/v1/accounts/"+accountID+"/transactions?limit=200").Expect(t, http.StatusOK).JSON(t, &body)
	n := 0
	for _, tx := range body.Transactions {
		if tx.ProviderTransactionID != nil && strings.HasPrefix(*tx.ProviderTransactionID, "F-") {
			n++
		}
	}
	return n
}

// TestConnectionsOFXFlow links an OFX connection over JSON, imports a statement,
// imports it again (nothing added), refuses a broken file without importing any of
// it, keeps other users out, and disconnects.
func TestConnectionsOFXFlow(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Postgres})
	k := loadContract(t, inst)
	anon := newAPI(inst, k, false)
	aliceEmail, bobEmail := newEmail("ofx-alice"), newEmail("ofx-bob")
	register(t, anon, "Alice", aliceEmail)
	register(t, anon, "Bob", bobEmail)
	alice := anon.with(login(t, anon, aliceEmail).AccessToken)
	bob := anon.with(login(t, anon, bobEmail).AccessToken)

	var providers struct {
		Providers []struct {
			Slug     string `json:"slug"`
			AuthType string `json:"auth_type"`
		} `json:"providers"`
	}
	alice.get(t, "/api/v1/providers").Expect(t, http.StatusOK).JSON(t, &providers)
	found := false
	for _, p := range providers.Providers {
		found = found || (p.Slug == "ofx" && p.AuthType == "file")
	}
	if !found {
		t.Fatalf("providers %+v lack ofx", providers)
	}

	var created struct {
		Connection       connectionJSON `json:"connection"`
		AuthorizationURL *string        `json:"authorization_url"`
	}
	res := alice.post(t, "/api/v1/connections", map[string]any{"provider": "ofx", "alias": "Checking export"}).Expect(t, http.StatusCreated)
	res.JSON(t, &created)
	c := created.Connection
	if c.Status != "active" || created.AuthorizationURL != nil || c.Alias == nil || *c.Alias != "Checking export" || res.Header.Get("Location") != "/api/v1/connections/"+c.ID {
		t.Fatalf("created %s", res.Body)
	}

	var sum importJSON
	upload(t, alice, c.ID, "checking.ofx", ofxStatement("")).Expect(t, http.StatusCreated).JSON(t, &sum)
	if sum != (importJSON{AccountsCreated: 1, TransactionsAdded: 3}) {
		t.Fatalf("first import %+v", sum)
	}
	var list accountListJSON
	alice.get(t, "/api/v1/connections/"+c.ID+"/accounts").Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Accounts) != 1 || list.TotalCount != 1 {
		t.Fatalf("accounts %+v", list)
	}
	acct := list.Accounts[0]
	if acct.Provider != "ofx" || acct.ConnectionID != c.ID || acct.ProviderAccountID == "" || acct.BalanceAmount != "1257.83" || acct.Status != "active" {
		t.Fatalf("account %+v", acct)
	}
	if n := countTransactions(t, alice, acct.ID); n != 3 {
		t.Fatalf("%d provider transactions, want 3", n)
	}

	// The same file again adds nothing.
	upload(t, alice, c.ID, "checking.ofx", ofxStatement("")).Expect(t, http.StatusCreated).JSON(t, &sum)
	if sum.AccountsCreated != 0 || sum.TransactionsAdded != 0 || sum.TransactionsModified != 0 || sum.Duplicates != 3 {
		t.Fatalf("re-import %+v", sum)
	}
	if n := countTransactions(t, alice, acct.ID); n != 3 {
		t.Fatalf("%d provider transactions after a re-import, want 3", n)
	}
	var dashtam accountListJSON
	alice.get(t, "/api/v1/providers/"+c.ID+"/accounts").Expect(t, http.StatusOK).JSON(t, &dashtam)
	if len(dashtam.Accounts) != 1 || dashtam.Accounts[0].BalanceAmount != "1257.83" {
		t.Fatalf("Dashtam path %+v", dashtam)
	}

	// A file that breaks in its second statement imports nothing, not even the first.
	p := upload(t, alice, c.ID, "two.ofx", ofxStatement(brokenSavings)).ExpectProblem(t, http.StatusUnprocessableEntity, "invalid_statement_file")
	var details struct {
		Details struct {
			Line   int    `json:"line"`
			Reason string `json:"reason"`
		} `json:"details"`
	}
	upload(t, alice, c.ID, "two.ofx", ofxStatement(brokenSavings)).JSON(t, &details)
	if details.Details.Line < 20 || details.Details.Reason == "" {
		t.Fatalf("problem %+v details %+v", p, details)
	}
	alice.get(t, "/api/v1/connections/"+c.ID+"/accounts").Expect(t, http.StatusOK).JSON(t, &list)
	if list.TotalCount != 1 {
		t.Fatalf("a refused file created accounts: %+v", list)
	}
	for _, bad := range []string{"", "\x00\x01\x02binary\xff", "OFXHEADER:100\n<OFX><BANKMSGSRSV1>"} {
		upload(t, alice, c.ID, "bad.ofx", bad).ExpectProblem(t, http.StatusUnprocessableEntity, "invalid_statement_file")
	}

	// Other users get 403, unknown ids 404.
	bob.get(t, "/api/v1/connections/"+c.ID).ExpectProblem(t, http.StatusForbidden, "forbidden")
	bob.get(t, "/api/v1/connections/"+c.ID+"/accounts").ExpectProblem(t, http.StatusForbidden, "forbidden")
	upload(t, bob, c.ID, "checking.ofx", ofxStatement("")).ExpectProblem(t, http.StatusForbidden, "forbidden")
	alice.get(t, "/api/v1/connections/0193e9a0-0000-7000-8000-000000000000").ExpectProblem(t, http.StatusNotFound, "not_found")
	var bobs struct {
		Connections []connectionJSON `json:"connections"`
	}
	bob.get(t, "/api/v1/connections").Expect(t, http.StatusOK).JSON(t, &bobs)
	if len(bobs.Connections) != 0 {
		t.Fatalf("bob sees %+v", bobs)
	}

	// Settings with If-Match.
	got := alice.get(t, "/api/v1/connections/"+c.ID).Expect(t, http.StatusOK)
	etag := got.Header.Get("ETag")
	var conn connectionJSON
	got.JSON(t, &conn)
	if conn.AccountsCount != 1 || conn.LastSync == nil || *conn.LastSync != "succeeded" {
		t.Fatalf("connection %s", got.Body)
	}
	alice.call(t, http.MethodPatch, "/api/v1/connections/"+c.ID, map[string]any{"alias": "Renamed", "sync_interval_minutes": 60}, "If-Match: "+etag).Expect(t, http.StatusOK)
	alice.call(t, http.MethodPatch, "/api/v1/connections/"+c.ID, map[string]any{"alias": "Again"}, "If-Match: "+etag).ExpectProblem(t, http.StatusPreconditionFailed, "precondition_failed")
	// (a request the document itself refuses, so sent without the contract check)
	alice.Do(t, http.MethodPatch, "/api/v1/connections/"+c.ID, map[string]any{"sync_interval_minutes": 0}).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")

	// Disconnect: status disconnected, accounts inactive with their history.
	alice.call(t, http.MethodDelete, "/api/v1/connections/"+c.ID, nil).Expect(t, http.StatusOK).JSON(t, &conn)
	if conn.Status != "disconnected" {
		t.Fatalf("after delete: %+v", conn)
	}
	alice.get(t, "/api/v1/connections/"+c.ID+"/accounts").Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Accounts) != 1 || list.Accounts[0].Status != "inactive" {
		t.Fatalf("accounts after disconnect %+v", list)
	}
	if n := countTransactions(t, alice, acct.ID); n != 3 {
		t.Fatalf("history lost: %d", n)
	}
	upload(t, alice, c.ID, "checking.ofx", ofxStatement("")).ExpectProblem(t, http.StatusConflict, "connection_not_active")
	alice.post(t, "/api/v1/connections/"+c.ID+"/reauthorize", nil).ExpectProblem(t, http.StatusConflict, "connection_not_reauthorizable")

	// Bad input to create.
	alice.post(t, "/api/v1/connections", map[string]any{"provider": "nope"}).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	alice.post(t, "/api/v1/connections/callback", map[string]any{"state": "forged", "code": "x"}).ExpectProblem(t, http.StatusBadRequest, "invalid_state")
}
