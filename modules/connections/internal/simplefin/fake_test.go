package simplefin_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeBridge is a SimpleFIN server as SIMPLEFIN.md describes it, on loopback:
// POST /simplefin/claim/{code} (single use: a second claim is 403), GET
// /simplefin/accounts with HTTP Basic authentication (403 HTML page otherwise),
// version=2 or the version 1 shape, start-date inclusive, end-date exclusive,
// pending=1 (pending transactions are left out without it, and reported in every
// window with it), balances-only=1, and a window limit it refuses with gen.api.
// Failures are injected through the fields below.
type fakeBridge struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	user      string
	pass      string
	tokens    map[string]bool // code -> already claimed
	maxWindow int64           // seconds; 0 = no limit
	accounts  []fakeAccount
	conns     []map[string]any
	errlist   []map[string]any
	v1errors  []string

	// Injected answers for /accounts (and for the claim when claimStatus is set).
	status      int
	header      http.Header
	body        []byte // served as is after authentication, instead of the account set
	claimStatus int
	claimBody   string
	currencies  map[string]string // path -> body

	// What the fake saw.
	claims        []claimSeen
	accountsCalls []url.Values
	authOK        int
}

type claimSeen struct {
	method, contentLength, code string
	bodyLen                     int
}

type fakeAccount struct {
	connID   string
	id, name string
	currency string
	balance  any // string or json.Number
	avail    any
	date     int64
	txs      []fakeTx
	holdings bool
}

type fakeTx struct {
	id           string
	posted       int64
	amount       any // string or json.Number
	description  string
	transactedAt int64
	pending      bool
	payee        string
}

func newFake(t *testing.T) *fakeBridge {
	f := &fakeBridge{t: t, user: "user123", pass: "s3cr3t/p@ss:word", tokens: map[string]bool{}, currencies: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// token returns a fresh setup token for the fake's claim URL.
func (f *fakeBridge) token(code string) string {
	f.mu.Lock()
	f.tokens[code] = false
	f.mu.Unlock()
	return base64.StdEncoding.EncodeToString([]byte(f.srv.URL + "/simplefin/claim/" + code))
}

// accessURL is the access URL the fake hands out.
func (f *fakeBridge) accessURL() string {
	u, _ := url.Parse(f.srv.URL + "/simplefin")
	u.User = url.UserPassword(f.user, f.pass)
	return u.String()
}

const forbiddenPage = `<!doctype html><html><head><title>Forbidden - Fake Bridge</title></head><body><h1>Forbidden</h1><p>Access denied</p></body></html>`

func (f *fakeBridge) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case strings.HasPrefix(r.URL.Path, "/simplefin/claim/"):
		f.claim(w, r)
	case r.URL.Path == "/simplefin/accounts":
		f.accountSet(w, r)
	case f.currencies[r.URL.Path] != "":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, f.currencies[r.URL.Path])
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeBridge) claim(w http.ResponseWriter, r *http.Request) {
	code := strings.TrimPrefix(r.URL.Path, "/simplefin/claim/")
	n := 0
	if r.Body != nil {
		b := make([]byte, 1)
		n, _ = r.Body.Read(b)
	}
	f.claims = append(f.claims, claimSeen{method: r.Method, contentLength: r.Header.Get("Content-Length"), code: code, bodyLen: n})
	if f.claimStatus != 0 {
		for k, v := range f.header {
			w.Header()[k] = v
		}
		w.WriteHeader(f.claimStatus)
		fmt.Fprint(w, f.claimBody)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	claimed, ok := f.tokens[code]
	if !ok || claimed {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	f.tokens[code] = true
	if f.claimBody != "" {
		fmt.Fprint(w, f.claimBody)
		return
	}
	fmt.Fprint(w, f.accessURL())
}

func (f *fakeBridge) accountSet(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.accountsCalls = append(f.accountsCalls, q)
	if user, pass, ok := r.BasicAuth(); !ok || user != f.user || pass != f.pass || r.URL.User != nil {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, forbiddenPage)
		return
	}
	f.authOK++
	for k, v := range f.header {
		w.Header()[k] = v
	}
	if f.status != 0 || f.body != nil {
		if f.status != 0 {
			w.WriteHeader(f.status)
		}
		w.Write(f.body)
		return
	}
	v2 := q.Get("version") == "2"
	start, end := int64(0), int64(1<<62)
	if s := q.Get("start-date"); s != "" {
		start, _ = strconv.ParseInt(s, 10, 64)
	}
	if s := q.Get("end-date"); s != "" {
		end, _ = strconv.ParseInt(s, 10, 64)
	}
	errlist := append([]map[string]any{}, f.errlist...)
	if f.maxWindow > 0 && q.Get("start-date") != "" && end-start > f.maxWindow {
		errlist = append(errlist, map[string]any{"code": "gen.api", "msg": "The date range is too long."})
	}
	pending := q.Get("pending") == "1"
	balancesOnly := q.Get("balances-only") == "1"

	var accounts []map[string]any
	for _, a := range f.accounts {
		acct := map[string]any{
			"id": a.id, "name": a.name, "currency": a.currency, "balance": a.balance, "balance-date": a.date,
		}
		if a.avail != nil {
			acct["available-balance"] = a.avail
		}
		if v2 {
			acct["conn_id"] = a.connID
		} else {
			acct["org"] = map[string]any{"domain": "fakebank.example", "sfin-url": f.srv.URL + "/simplefin", "name": "Fake Bank"}
		}
		if a.holdings {
			acct["holdings"] = []map[string]any{{"id": "HOL-1", "symbol": "FAKE", "shares": "1.5", "market_value": "10.00"}}
		}
		if !balancesOnly {
			txs := []map[string]any{}
			for _, t := range a.txs {
				isPending := t.pending || t.posted == 0
				if isPending && !pending {
					continue
				}
				if !isPending && (t.posted < start || t.posted >= end) {
					continue
				}
				tx := map[string]any{"id": t.id, "posted": t.posted, "amount": t.amount, "description": t.description}
				if t.transactedAt != 0 {
					tx["transacted_at"] = t.transactedAt
				}
				if t.pending {
					tx["pending"] = true
				}
				if t.payee != "" {
					tx["payee"] = t.payee
				}
				txs = append(txs, tx)
			}
			acct["transactions"] = txs
		}
		accounts = append(accounts, acct)
	}
	set := map[string]any{"accounts": accounts}
	if v2 {
		conns := f.conns
		if conns == nil {
			conns = []map[string]any{}
		}
		set["errlist"] = errlist
		set["connections"] = conns
	} else {
		errs := append([]string{}, f.v1errors...)
		for _, e := range errlist {
			errs = append(errs, fmt.Sprint(e["msg"]))
		}
		set["errors"] = errs
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(set)
}

func (f *fakeBridge) set(fn func(f *fakeBridge)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeBridge) calls() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values{}, f.accountsCalls...)
}

// testdataDir returns ../shared/testdata/simplefin beside the repository root, or
// skips when it is missing outside CI.
func testdataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
	td := filepath.Join(dir, "..", "shared", "testdata", "simplefin")
	if _, err := os.Stat(td); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the SimpleFIN test data %s is missing, and CI must have it: %v", td, err)
		}
		t.Skipf("the SimpleFIN test data %s is missing (outside CI): %v", td, err)
	}
	return td
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdataDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
