package e2e

import (
	"bytes"
	"encoding/base64"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// importSummaryJSON is the body of a statement import, zero_amount_skipped included.
type importSummaryJSON struct {
	AccountsCreated   int `json:"accounts_created"`
	TransactionsAdded int `json:"transactions_added"`
	Duplicates        int `json:"duplicates"`
	ZeroAmountSkipped int `json:"zero_amount_skipped"`
}

// maxStatementFile is the largest statement file Kontor imports: 10 MiB.
const maxStatementFile = 10 << 20

// paddedStatement is ofxStatement("") with white space before its header (which the
// parser skips) so that the file has exactly size bytes.
func paddedStatement(t *testing.T, size int) string {
	t.Helper()
	body := ofxStatement("")
	if size < len(body) {
		t.Fatalf("a statement of %d bytes cannot hold %d", size, len(body))
	}
	return strings.Repeat("\n", size-len(body)) + body
}

// pageUpload posts a statement file through the connection page's upload form, as
// a browser without JavaScript does, and returns the answer.
func pageUpload(t *testing.T, pages *harness.Client, connectionID, name, content string) *harness.Response {
	t.Helper()
	path := "/connections/" + connectionID
	token := pages.CSRFToken(t, path)
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("_csrf", token); err != nil {
		t.Fatal(err)
	}
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write([]byte(content))
	_ = w.Close()
	return pages.Raw(t, http.MethodPost, path+"/imports", buf.Bytes(), "Content-Type: "+w.FormDataContentType())
}

// TestConnectionsOFXLimitsAndBadFiles holds a statement upload to the size of
// the file: exactly 10 MiB imports over JSON and through the page, one byte more
// is a 413 problem (a form error on the page) and imports nothing. A file with a
// zero-amount row imports its other rows and counts the zero one. Files with bad
// dates, amounts, currencies or a statement error are precise 422s that leave
// nothing behind.
func TestConnectionsOFXLimitsAndBadFiles(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Postgres})
	k := loadContract(t, inst)
	anon := newAPI(inst, k, false)
	email := newEmail("ofx-limits")
	register(t, anon, "Lim", email)
	a := anon.with(login(t, anon, email).AccessToken)
	newFileConnection := func(alias string) string {
		var created struct {
			Connection connectionJSON `json:"connection"`
		}
		a.post(t, "/api/v1/connections", map[string]any{"provider": "ofx", "alias": alias}).Expect(t, http.StatusCreated).JSON(t, &created)
		return created.Connection.ID
	}
	accountsOf := func(conn string) accountListJSON {
		var list accountListJSON
		a.get(t, "/api/v1/connections/"+conn+"/accounts").Expect(t, http.StatusOK).JSON(t, &list)
		return list
	}

	// A zero-amount row (a waived fee) beside the three real ones.
	zeroRow := `<STMTTRN><TRNTYPE>FEE<DTPOSTED>20261112120000<TRNAMT>0.00<FITID>F-1004<NAME>Monthly fee waived</STMTTRN>
</BANKTRANLIST>`
	withZero := strings.Replace(ofxStatement(""), "</BANKTRANLIST>", zeroRow, 1)
	zc := newFileConnection("With a waived fee")
	var sum importSummaryJSON
	upload(t, a, zc, "fees.ofx", withZero).Expect(t, http.StatusCreated).JSON(t, &sum)
	if sum != (importSummaryJSON{AccountsCreated: 1, TransactionsAdded: 3, ZeroAmountSkipped: 1}) {
		t.Fatalf("a file with a zero-amount row: %+v", sum)
	}
	zl := accountsOf(zc)
	if len(zl.Accounts) != 1 || zl.Accounts[0].BalanceAmount != "1257.83" || countTransactions(t, a, zl.Accounts[0].ID) != 3 {
		t.Fatalf("after the zero-amount file: %+v", zl)
	}
	upload(t, a, zc, "fees.ofx", withZero).Expect(t, http.StatusCreated).JSON(t, &sum)
	if sum != (importSummaryJSON{Duplicates: 3, ZeroAmountSkipped: 1}) {
		t.Fatalf("the zero-amount file again: %+v", sum)
	}

	// Exactly 10 MiB over JSON; one byte more refused.
	big := newFileConnection("Big file")
	exact := paddedStatement(t, maxStatementFile)
	upload(t, a, big, "exact.ofx", exact).Expect(t, http.StatusCreated).JSON(t, &sum)
	if sum.AccountsCreated != 1 || sum.TransactionsAdded != 3 {
		t.Fatalf("a file of exactly 10 MiB: %+v", sum)
	}
	over := newFileConnection("Too big")
	p := upload(t, a, over, "over.ofx", paddedStatement(t, maxStatementFile+1)).ExpectProblem(t, http.StatusRequestEntityTooLarge, "payload_too_large")
	if !strings.Contains(p.Detail, "10 MiB") {
		t.Fatalf("10 MiB + 1 byte: %+v", p)
	}
	if l := accountsOf(over); l.TotalCount != 0 {
		t.Fatalf("a refused file created %d accounts", l.TotalCount)
	}

	// The same through the upload form.
	pages := inst.Client()
	pages.PostForm(t, "/login", map[string][]string{"email": {email}, "password": {password}, "_csrf": {pages.CSRFToken(t, "/login")}}).Expect(t, http.StatusSeeOther)
	res := pageUpload(t, pages, over, "over.ofx", paddedStatement(t, maxStatementFile+1)).Expect(t, http.StatusRequestEntityTooLarge)
	if !strings.Contains(string(res.Body), `id="field-file-error"`) || !strings.Contains(string(res.Body), "10 MiB") {
		t.Fatalf("the page's answer to 10 MiB + 1 byte has no form error: %.2000s", res.Body)
	}
	if l := accountsOf(over); l.TotalCount != 0 {
		t.Fatalf("a refused page upload created %d accounts", l.TotalCount)
	}
	res = pageUpload(t, pages, over, "exact.ofx", exact).Expect(t, http.StatusOK)
	if !strings.Contains(string(res.Body), "3 transactions added") {
		t.Fatalf("the page's answer to exactly 10 MiB: %.2000s", res.Body)
	}
	if l := accountsOf(over); l.TotalCount != 1 {
		t.Fatalf("after the page upload of exactly 10 MiB: %d accounts", l.TotalCount)
	}

	// Bad files into the connection that holds one account: each a 422 naming the
	// line, nothing of it imported.
	before := countTransactions(t, a, zl.Accounts[0].ID)
	second := func(edit string) string {
		return ofxStatement(`<STMTTRNRS><TRNUID>2<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS><CURDEF>USD
<BANKACCTFROM><BANKID>121000248<ACCTID>5550009999<ACCTTYPE>SAVINGS</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20261101<DTEND>20261120
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261102<TRNAMT>10.00<FITID>S-1<NAME>Interest</STMTTRN>
` + edit + `</BANKTRANLIST>
<LEDGERBAL><BALAMT>10.00<DTASOF>20261120</LEDGERBAL>
</STMTRS></STMTTRNRS>
`)
	}
	bad := map[string]struct{ file, reason string }{
		"bad date":        {second("<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261345<TRNAMT>-1.00<FITID>S-2</STMTTRN>\n"), "DTPOSTED"},
		"bad amount":      {second("<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261103<TRNAMT>1.000,00.5<FITID>S-2</STMTTRN>\n"), "TRNAMT"},
		"bad currency":    {strings.Replace(second(""), "<CURDEF>USD\n<BANKACCTFROM><BANKID>121000248<ACCTID>5550009999", "<CURDEF>DOLLARS\n<BANKACCTFROM><BANKID>121000248<ACCTID>5550009999", 1), "CURDEF"},
		"other currency":  {second("<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261103<TRNAMT>-1.00<FITID>S-2<CURRENCY><CURRATE>1.1<CURSYM>EUR</CURRENCY></STMTTRN>\n"), "EUR"},
		"statement error": {strings.Replace(second(""), "<TRNUID>2<STATUS><CODE>0<SEVERITY>INFO</STATUS>", "<TRNUID>2<STATUS><CODE>2000<SEVERITY>ERROR<MESSAGE>Account closed</STATUS>", 1), "Account closed"},
		"truncated":       {ofxStatement("")[:700], ""},
	}
	for name, tc := range bad {
		p := upload(t, a, zc, name+".ofx", tc.file).ExpectProblem(t, http.StatusUnprocessableEntity, "invalid_statement_file")
		var d struct {
			Details struct {
				Line   int    `json:"line"`
				Reason string `json:"reason"`
			} `json:"details"`
		}
		upload(t, a, zc, name+".ofx", tc.file).JSON(t, &d)
		if d.Details.Reason == "" || !strings.Contains(d.Details.Reason, tc.reason) {
			t.Errorf("%s: %+v %+v", name, p, d.Details)
		}
	}
	if l := accountsOf(zc); l.TotalCount != 1 || countTransactions(t, a, zl.Accounts[0].ID) != before {
		t.Fatalf("refused files left something behind: %d accounts", l.TotalCount)
	}
}

// TestConnectionsBadInputJSON sends the bad input of issue 8 that needs no file
// over JSON, with private networks off: setup tokens that are not Base64, not a
// URL, http, or aimed at loopback or the metadata address; OAuth callbacks with
// a missing or forged state, an error parameter on a forged state, or a bad code;
// an upload into a connection that is not a file connection. Each is its precise
// 4xx and links or imports nothing.
func TestConnectionsBadInputJSON(t *testing.T) {
	inst := startWithSandbox(t)
	k := loadContract(t, inst)
	anon := newAPI(inst, k, false)
	email := newEmail("bad-input")
	register(t, anon, "Bad", email)
	a := anon.with(login(t, anon, email).AccessToken)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

	tokens := map[string]string{
		"not Base64":    "not*base64*at*all",
		"not a URL":     b64("hello, bridge"),
		"http":          b64("http://bridge.simplefin.org/simplefin/claim/demo"),
		"loopback":      b64("https://127.0.0.1:9/simplefin/claim/demo"),
		"metadata":      b64("https://169.254.169.254/latest/meta-data/"),
		"IPv6 loopback": b64("https://[::1]/simplefin/claim/demo"),
	}
	for name, tok := range tokens {
		p := a.post(t, "/api/v1/connections", map[string]any{"provider": "simplefin", "setup_token": tok}).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
		if p.Detail == "" && len(p.Errors) == 0 {
			t.Errorf("%s: a problem without words: %+v", name, p)
		}
	}

	var created struct {
		Connection       connectionJSON `json:"connection"`
		AuthorizationURL string         `json:"authorization_url"`
	}
	a.post(t, "/api/v1/connections", map[string]any{"provider": "sandbox"}).Expect(t, http.StatusCreated).JSON(t, &created)
	// (a body the document itself refuses, so sent without the contract check)
	a.Do(t, http.MethodPost, "/api/v1/connections/callback", map[string]any{"code": "x"}).ExpectProblem(t, http.StatusBadRequest, "invalid_state")
	a.post(t, "/api/v1/connections/callback", map[string]any{"state": "forged", "code": "x"}).ExpectProblem(t, http.StatusBadRequest, "invalid_state")
	a.post(t, "/api/v1/connections/callback", map[string]any{"state": "forged", "error": "access_denied"}).ExpectProblem(t, http.StatusBadRequest, "invalid_state")
	q := consent(t, created.AuthorizationURL, "standard", "allow")
	a.post(t, "/api/v1/connections/callback", map[string]any{"state": q.Get("state"), "code": "not-the-code"}).ExpectProblem(t, http.StatusBadRequest, "invalid_grant")
	var c connectionJSON
	a.get(t, "/api/v1/connections/"+created.Connection.ID).Expect(t, http.StatusOK).JSON(t, &c)
	if c.Status == "active" || c.AccountsCount != 0 {
		t.Fatalf("a bad callback linked something: %+v", c)
	}

	// A state past its ten minutes. The clock of a running server cannot be moved,
	// so the stored expiry is: the callback is refused over JSON and on the page a
	// browser lands on, and the connection stays pending with nothing linked.
	var late struct {
		Connection       connectionJSON `json:"connection"`
		AuthorizationURL string         `json:"authorization_url"`
	}
	a.post(t, "/api/v1/connections", map[string]any{"provider": "sandbox", "alias": "Late"}).Expect(t, http.StatusCreated).JSON(t, &late)
	lq := consent(t, late.AuthorizationURL, "standard", "allow")
	res, err := inst.DB.NewUpdate().Table("connection_oauth_states").Set("expires_at = ?", time.Now().Add(-time.Second).UTC()).
		Where("connection_id = ?", late.Connection.ID).Exec(t.Context())
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("expiring the state: %d rows, %v", n, err)
	}
	page, err := http.Get(inst.BaseURL + "/connections/callback?" + lq.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != http.StatusBadRequest || !strings.Contains(html.UnescapeString(string(body)), "has expired; start the link again") {
		t.Fatalf("an expired state on the callback page: %d %s", page.StatusCode, body)
	}
	a.post(t, "/api/v1/connections/callback", map[string]any{"state": lq.Get("state"), "code": lq.Get("code")}).ExpectProblem(t, http.StatusBadRequest, "invalid_state")
	var lc connectionJSON
	a.get(t, "/api/v1/connections/"+late.Connection.ID).Expect(t, http.StatusOK).JSON(t, &lc)
	if lc.Status != "pending" || lc.AccountsCount != 0 {
		t.Fatalf("an expired state linked something: %+v", lc)
	}

	// A statement into a sandbox connection.
	upload(t, a, created.Connection.ID, "checking.ofx", ofxStatement("")).ExpectProblem(t, http.StatusConflict, "connection_not_importable")
	var all struct {
		Connections []connectionJSON `json:"connections"`
	}
	a.get(t, "/api/v1/connections").Expect(t, http.StatusOK).JSON(t, &all)
	if len(all.Connections) != 2 {
		t.Fatalf("bad input made connections: %+v", all.Connections)
	}
}
