package sandbox_test

import (
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kontor-app/kontor/modules/sandbox"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const redirectURI = "https://kontor.test/connections/callback"

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// bank is a sandbox bank served on a loopback listener, with a browser-like client
// (cookie jar, redirects not followed).
type bank struct {
	t       *testing.T
	base    string
	clock   *clock
	browser *http.Client
}

func startBank(t *testing.T, db *database.DB) *bank {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
	app := sandbox.NewApp(sandbox.Options{DB: db, RedirectURIs: []string{redirectURI}, SecretKey: "test-secret-0123456789abcdef0123456789", Now: clk.Now})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	jar, _ := cookiejar.New(nil)
	return &bank{t: t, base: "http://" + ln.Addr().String(), clock: clk, browser: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       2 * time.Minute,
	}}
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("not JSON (status %d): %s", r.Status, r.Body)
	}
	return m
}

func (b *bank) do(req *http.Request) response {
	b.t.Helper()
	resp, err := b.browser.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

func (b *bank) get(path string, access string) response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	if access != "" {
		req.Header.Set("Authorization", "Bearer "+access)
	}
	return b.do(req)
}

func (b *bank) postJSON(path, body string) response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return b.do(req)
}

func (b *bank) postForm(path string, form url.Values, basic bool) response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(sandbox.ClientID, sandbox.ClientSecret)
	}
	return b.do(req)
}

var hiddenRequest = regexp.MustCompile(`name="request" value="([^"]+)"`)

// consentPage opens the consent page and returns the signed form field.
func (b *bank) consentPage(state string) string {
	b.t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {sandbox.ClientID}, "redirect_uri": {redirectURI}, "state": {state}, "scope": {"accounts transactions"}}
	r := b.get("/sandbox/oauth/authorize?"+q.Encode(), "")
	if r.Status != http.StatusOK {
		b.t.Fatalf("consent page: %d %s", r.Status, r.Body)
	}
	m := hiddenRequest.FindSubmatch(r.Body)
	if m == nil {
		b.t.Fatalf("consent page has no signed request field: %s", r.Body)
	}
	return html.UnescapeString(string(m[1]))
}

// decide submits the consent form and returns the redirect's query.
func (b *bank) decide(signed, persona, decision string) url.Values {
	b.t.Helper()
	r := b.postForm("/sandbox/oauth/authorize", url.Values{"request": {signed}, "persona": {persona}, "decision": {decision}}, false)
	if r.Status != http.StatusSeeOther {
		b.t.Fatalf("consent decision: want 303, got %d %s", r.Status, r.Body)
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirectURI+"?") {
		b.t.Fatalf("redirect to %q, want %s?…", r.Header.Get("Location"), redirectURI)
	}
	return loc.Query()
}

// link runs the whole consent for persona and returns the token response.
func (b *bank) link(persona string) map[string]any {
	b.t.Helper()
	q := b.decide(b.consentPage("st-"+persona), persona, "allow")
	if q.Get("state") != "st-"+persona || q.Get("code") == "" {
		b.t.Fatalf("redirect query %v", q)
	}
	r := b.postForm("/sandbox/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {redirectURI}}, true)
	if r.Status != http.StatusOK {
		b.t.Fatalf("token exchange: %d %s", r.Status, r.Body)
	}
	return r.JSON(b.t)
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }
