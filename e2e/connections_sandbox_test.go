package e2e

import (
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

// startWithSandbox boots Kontor on a port chosen first, so that KONTOR_BASE_URL
// (the OAuth redirect_uri and the sandbox bank's URL) names the real address.
func startWithSandbox(t *testing.T) *harness.Instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	_ = ln.Close()
	base := "http://127.0.0.1:" + port
	return start(t, harness.Options{Engine: harness.Postgres, Env: map[string]string{
		"KONTOR_ADDR": "127.0.0.1:" + port, "KONTOR_BASE_URL": base, "KONTOR_SANDBOX": "true",
	}})
}

var consentRequest = regexp.MustCompile(`name="request" value="([^"]+)"`)

// consent plays the person at the sandbox bank's consent page: it opens
// authorizationURL, picks persona and decides, and returns the query of the
// redirect back to Kontor.
func consent(t *testing.T, authorizationURL, persona, decision string) url.Values {
	t.Helper()
	jar, _ := cookiejar.New(nil) // the bank ties its form to a cookie
	noFollow := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(authorizationURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("consent page: %d %s", res.StatusCode, body)
	}
	m := consentRequest.FindSubmatch(body)
	if m == nil {
		t.Fatalf("consent page without its form: %s", body)
	}
	u, _ := url.Parse(authorizationURL)
	form := url.Values{"request": {html.UnescapeString(string(m[1]))}, "persona": {persona}, "decision": {decision}}
	res, err = noFollow.PostForm(u.Scheme+"://"+u.Host+u.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent decision answered %d", res.StatusCode)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !strings.HasSuffix(loc.Path, "/connections/callback") {
		t.Fatalf("the bank redirected to %q", res.Header.Get("Location"))
	}
	return loc.Query()
}

// TestConnectionsSandboxJSON links the sandbox bank over JSON as an API client
// would: the consent happens at the bank, the client hands Kontor the code and
// state. The state is single-use, bound to its user, and a refused consent
// leaves the connection in error with its reason; reauthorization repairs the
// same connection and the same accounts.
func TestConnectionsSandboxJSON(t *testing.T) {
	inst := startWithSandbox(t)
	k := loadContract(t, inst)
	anon := newAPI(inst, k, false)
	aliceEmail, bobEmail := newEmail("sandbox-alice"), newEmail("sandbox-bob")
	register(t, anon, "Alice", aliceEmail)
	register(t, anon, "Bob", bobEmail)
	alice := anon.with(login(t, anon, aliceEmail).AccessToken)
	bob := anon.with(login(t, anon, bobEmail).AccessToken)

	type created struct {
		Connection       connectionJSON `json:"connection"`
		AuthorizationURL string         `json:"authorization_url"`
	}
	var c created
	alice.post(t, "/api/v1/connections", map[string]any{"provider": "sandbox", "alias": "Demo bank"}).Expect(t, http.StatusCreated).JSON(t, &c)
	if c.Connection.Status != "pending" || !strings.HasPrefix(c.AuthorizationURL, inst.BaseURL+"/sandbox/oauth/authorize?") {
		t.Fatalf("created %+v", c)
	}
	q := consent(t, c.AuthorizationURL, "standard", "allow")
	callback := map[string]any{"code": q.Get("code"), "state": q.Get("state")}

	// Another user cannot use the state, and does not use it up.
	bob.post(t, "/api/v1/connections/callback", callback).ExpectProblem(t, http.StatusBadRequest, "invalid_state")
	var done struct {
		Connection connectionJSON `json:"connection"`
	}
	alice.post(t, "/api/v1/connections/callback", callback).Expect(t, http.StatusOK).JSON(t, &done)
	if done.Connection.Status != "active" || done.Connection.ID != c.Connection.ID || done.Connection.AccountsCount != 5 {
		t.Fatalf("linked %+v", done.Connection)
	}
	// Replay.
	alice.post(t, "/api/v1/connections/callback", callback).ExpectProblem(t, http.StatusBadRequest, "invalid_state")

	var list accountListJSON
	alice.get(t, "/api/v1/connections/"+c.Connection.ID+"/accounts").Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Accounts) != 5 {
		t.Fatalf("%d accounts, want the standard persona's 5", len(list.Accounts))
	}
	// Credentials are sealed: the raw column holds no token.
	var raw []byte
	if err := inst.DB.NewSelect().Table("connections").Column("credentials").Where("id = ?", c.Connection.ID).Scan(t.Context(), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) == 0 || strings.Contains(string(raw), "access_token") || strings.Contains(string(raw), "refresh") {
		t.Fatalf("credentials column %q", raw)
	}
	alice.post(t, "/api/v1/connections/"+c.Connection.ID+"/reauthorize", nil).ExpectProblem(t, http.StatusConflict, "connection_not_reauthorizable")

	// A refused consent: error, consent_denied, then repaired in place.
	var d created
	alice.post(t, "/api/v1/connections", map[string]any{"provider": "sandbox"}).Expect(t, http.StatusCreated).JSON(t, &d)
	q = consent(t, d.AuthorizationURL, "standard", "deny")
	if q.Get("error") != "access_denied" {
		t.Fatalf("deny redirected with %v", q)
	}
	var denied struct {
		Connection struct {
			Status       string `json:"status"`
			StatusReason struct {
				Code   string `json:"code"`
				Action string `json:"action"`
			} `json:"status_reason"`
		} `json:"connection"`
	}
	alice.post(t, "/api/v1/connections/callback", map[string]any{"error": "access_denied", "state": q.Get("state")}).Expect(t, http.StatusOK).JSON(t, &denied)
	if denied.Connection.Status != "error" || denied.Connection.StatusReason.Code != "consent_denied" || denied.Connection.StatusReason.Action != "reauthorize" {
		t.Fatalf("denied %+v", denied)
	}
	var re created
	// The denial was announced on the event log, with its reason, in the change's
	// transaction.
	var payloads []string
	if err := inst.DB.NewSelect().Table("event_log").Column("data").Where("connection_id = ?", d.Connection.ID).
		Where("type = ?", "ConnectionStatusChanged").Order("id").Scan(t.Context(), &payloads); err != nil {
		t.Fatal(err)
	}
	var last struct {
		From   string `json:"from"`
		To     string `json:"to"`
		Reason struct {
			Code string `json:"code"`
		} `json:"status_reason"`
	}
	if len(payloads) != 2 || json.Unmarshal([]byte(payloads[1]), &last) != nil || last.From != "pending" || last.To != "error" || last.Reason.Code != "consent_denied" {
		t.Fatalf("events %v", payloads)
	}
	alice.post(t, "/api/v1/connections/"+d.Connection.ID+"/reauthorize", nil).Expect(t, http.StatusOK).JSON(t, &re)
	q = consent(t, re.AuthorizationURL, "standard", "allow")
	// A code the bank never issued.
	alice.post(t, "/api/v1/connections/callback", map[string]any{"code": "forged", "state": q.Get("state")}).ExpectProblem(t, http.StatusBadRequest, "invalid_grant")
	alice.post(t, "/api/v1/connections/"+d.Connection.ID+"/reauthorize", nil).Expect(t, http.StatusOK).JSON(t, &re)
	q = consent(t, re.AuthorizationURL, "standard", "allow")
	alice.post(t, "/api/v1/connections/callback", map[string]any{"code": q.Get("code"), "state": q.Get("state")}).Expect(t, http.StatusOK).JSON(t, &done)
	if done.Connection.ID != d.Connection.ID || done.Connection.Status != "active" || done.Connection.AccountsCount != 5 {
		t.Fatalf("reauthorized %+v", done.Connection)
	}
	// A browser that is not signed in completes the link for the state's owner and
	// sees a "linked" page.
	var third created
	alice.post(t, "/api/v1/connections", map[string]any{"provider": "sandbox", "alias": "Phone"}).Expect(t, http.StatusCreated).JSON(t, &third)
	q = consent(t, third.AuthorizationURL, "standard", "allow")
	page, err := http.Get(inst.BaseURL + "/connections/callback?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != http.StatusOK || !strings.Contains(string(body), "Linked") || !strings.Contains(string(body), "Phone") {
		t.Fatalf("callback without a session: %d %s", page.StatusCode, body)
	}
	var got connectionJSON
	alice.get(t, "/api/v1/connections/"+third.Connection.ID).Expect(t, http.StatusOK).JSON(t, &got)
	if got.Status != "active" {
		t.Fatalf("after the sessionless callback: %+v", got)
	}

	// Relinking the same connection again keeps the same five accounts.
	alice.get(t, "/api/v1/providers/"+d.Connection.ID+"/accounts").Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Accounts) != 5 {
		t.Fatalf("%d accounts after reauthorization", len(list.Accounts))
	}
}

// TestConnectionsSandboxBrowser links the sandbox bank in Chromium as a person
// does: "Link an account", the bank's consent page, back on the connection's page
// with its five accounts. A callback opened by another signed-in person is a 403
// page and links nothing; the state still works for its owner.
func TestConnectionsSandboxBrowser(t *testing.T) {
	inst := startWithSandbox(t)
	k := loadContract(t, inst)
	anon := newAPI(inst, k, false)
	aliceEmail := newEmail("sandbox-browser")
	register(t, anon, "Ada", aliceEmail)
	alice := anon.with(login(t, anon, aliceEmail).AccessToken)

	b := harness.NewBrowser(t)
	b.BaseURL = inst.BaseURL
	logIn(t, b, aliceEmail, password)
	b.WaitVisible(logoutButton)

	// The page whose form leads to the bank lets the browser follow that redirect.
	pages := inst.Client()
	pages.PostForm(t, "/login", url.Values{"email": {aliceEmail}, "password": {password}, "_csrf": {pages.CSRFToken(t, "/login")}}).Expect(t, http.StatusSeeOther)
	newPage := pages.Get(t, "/connections/new?provider=sandbox").Expect(t, http.StatusOK).ExpectPage(t)
	if csp := newPage.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+inst.BaseURL) {
		t.Fatalf("the link page's CSP %q does not allow the bank's origin", csp)
	}
	b.Navigate("/connections/new")
	accountsSubmit(t, b, `#provider-sandbox a[role="button"]`)
	form := `#provider-sandbox form`
	b.Fill(form+` input[name="alias"]`, "Demo bank")
	accountsSubmit(t, b, form+` button[type="submit"]`)
	// The bank's own consent page.
	b.WaitVisible(`button[name="decision"][value="allow"]`)
	if !strings.Contains(b.Location(), "/sandbox/oauth/authorize") {
		t.Fatalf("not at the bank's consent page: %s", b.Location())
	}
	b.KeepScreenshot("consent")
	accountsChoose(t, b, `select[name="persona"]`, "standard")
	accountsSubmit(t, b, `button[name="decision"][value="allow"]`)
	accountsExpectText(t, b, ".flash--success .flash__text", "Linked Demo bank.")
	accountsExpectText(t, b, ".connection-status", "Working")
	if n := strings.Count(b.HTML(), `class="connection-account"`); n != 5 {
		t.Fatalf("the connection page lists %d accounts, want 5", n)
	}
	connectionsScreens(t, b, "sandbox")
	b.Navigate("/connections")
	accountsExpectText(t, b, ".connection-row", "Demo bank")
	accountsExpectText(t, b, ".connection-row", "5")

	// Alice starts another link over JSON; Bob, signed in, opens her callback.
	var c struct {
		AuthorizationURL string `json:"authorization_url"`
	}
	alice.post(t, "/api/v1/connections", map[string]any{"provider": "sandbox", "alias": "Second"}).Expect(t, http.StatusCreated).JSON(t, &c)
	q := consent(t, c.AuthorizationURL, "standard", "allow")
	accountsSubmit(t, b, logoutButton)
	bobEmail := newEmail("sandbox-bob")
	register(t, anon, "Bob", bobEmail)
	logIn(t, b, bobEmail, password)
	b.WaitVisible(logoutButton)
	if status := b.Navigate("/connections/callback?" + q.Encode()); status != http.StatusForbidden {
		t.Fatalf("Bob's browser on Alice's callback answered %d, want 403", status)
	}
	if !strings.Contains(b.Text("main"), "someone else") {
		t.Fatalf("the 403 page says %q", b.Text("main"))
	}
	b.Navigate("/connections")
	if b.Has(".connection-row") {
		t.Fatal("Bob got a connection")
	}
	var done struct {
		Connection connectionJSON `json:"connection"`
	}
	alice.post(t, "/api/v1/connections/callback", map[string]any{"code": q.Get("code"), "state": q.Get("state")}).Expect(t, http.StatusOK).JSON(t, &done)
	if done.Connection.Status != "active" || done.Connection.AccountsCount != 5 {
		t.Fatalf("Alice's link after Bob's attempt: %+v", done.Connection)
	}
	accountsCheckConsole(t, b)
}
