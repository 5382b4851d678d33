package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/kontor-app/kontor/e2e/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// kontor is a running instance with a validator for its OpenAPI document: every
// response a test receives through a user is checked against the document, status
// included, so the document cannot drift from what the server does.
type kontor struct {
	inst   *harness.Instance
	router routers.Router
	mu     sync.Mutex
	seen   map[string]bool
}

func start(t *testing.T, engine harness.Engine) *kontor {
	t.Helper()
	inst := harness.Start(t, harness.Options{Engine: engine})
	res := inst.Client().Get(t, "/api/v1/openapi.json").Expect(t, http.StatusOK)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(res.Body)
	if err != nil {
		t.Fatalf("load OpenAPI document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: inst.BaseURL + "/api/v1"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("OpenAPI router: %v", err)
	}
	return &kontor{inst: inst, router: router, seen: map[string]bool{}}
}

// user is a registered user with a client holding one kind of credential.
type user struct {
	k     *kontor
	c     *harness.Client
	email string
	id    string
}

// newUser registers a user and logs in with a JWT.
func (k *kontor) newUser(t *testing.T, who string) *user {
	t.Helper()
	u := k.inst.Register(t, who)
	return &user{k: k, c: u.Client, email: u.Email, id: u.ID.String()}
}

// withAPIKey returns the same user authenticating with a new API key.
func (u *user) withAPIKey(t *testing.T) *user {
	t.Helper()
	var key struct {
		Key string `json:"key"`
	}
	u.c.Post(t, "/api/v1/api-keys", map[string]string{"name": "tests"}).Expect(t, http.StatusCreated).JSON(t, &key)
	c := u.k.inst.Client()
	c.Token = key.Key
	return &user{k: u.k, c: c, email: u.email, id: u.id}
}

// do sends a request and validates the response against the OpenAPI document.
func (u *user) do(t *testing.T, method, path string, body any, headers ...string) *harness.Response {
	t.Helper()
	res := u.c.Do(t, method, "/api/v1"+path, body, headers...)
	u.k.validate(t, method, path, res)
	return res
}

func (u *user) raw(t *testing.T, method, path string, body string, headers ...string) *harness.Response {
	t.Helper()
	res := u.c.Raw(t, method, "/api/v1"+path, []byte(body), headers...)
	u.k.validate(t, method, path, res)
	return res
}

func (u *user) get(t *testing.T, path string, headers ...string) *harness.Response {
	t.Helper()
	return u.do(t, http.MethodGet, path, nil, headers...)
}

func (u *user) post(t *testing.T, path string, body any, headers ...string) *harness.Response {
	t.Helper()
	return u.do(t, http.MethodPost, path, body, headers...)
}

func (k *kontor) validate(t *testing.T, method, path string, res *harness.Response) {
	t.Helper()
	if res.Status >= 500 {
		t.Fatalf("%s %s: server error %d: %s", method, path, res.Status, res.Body)
	}
	req, err := http.NewRequest(method, k.inst.BaseURL+"/api/v1"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	route, params, err := k.router.FindRoute(req)
	if err != nil {
		t.Errorf("%s %s: not in the OpenAPI document: %v", method, path, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.Status,
		Header:                 res.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(res.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s → %d does not match the OpenAPI document: %v\nbody: %s", method, path, res.Status, err, trunc(res.Body))
	}
	k.mu.Lock()
	k.seen[fmt.Sprintf("%s %s %d", method, route.Path, res.Status)] = true
	k.mu.Unlock()
}

func trunc(b []byte) string {
	if len(b) > 1500 {
		return string(b[:1500]) + "…"
	}
	return string(b)
}

// account is the part of the account object tests look at.
type account struct {
	ID                     string            `json:"id"`
	ConnectionID           *string           `json:"connection_id"`
	ExternalID             *string           `json:"external_id"`
	AccountNumber          string            `json:"account_number"`
	AccountNumberMasked    string            `json:"account_number_masked"`
	Name                   string            `json:"name"`
	AccountType            string            `json:"account_type"`
	Currency               string            `json:"currency"`
	BalanceAmount          string            `json:"balance_amount"`
	BalanceCurrency        string            `json:"balance_currency"`
	AvailableBalanceAmount *string           `json:"available_balance_amount"`
	OverdraftLimit         string            `json:"overdraft_limit"`
	InterestRate           *string           `json:"interest_rate"`
	Status                 string            `json:"status"`
	IsActive               bool              `json:"is_active"`
	IsArchived             bool              `json:"is_archived"`
	IsBank                 bool              `json:"is_bank"`
	IsCredit               bool              `json:"is_credit"`
	IsLiability            bool              `json:"is_liability"`
	IsInvestment           bool              `json:"is_investment"`
	IsRetirement           bool              `json:"is_retirement"`
	IsFavourite            bool              `json:"is_favourite"`
	Notes                  *string           `json:"notes"`
	Metadata               map[string]string `json:"metadata"`
	ClosedAt               *string           `json:"closed_at"`
	ArchivedAt             *string           `json:"archived_at"`
	Version                int64             `json:"version"`
}

type accountList struct {
	Accounts               []account         `json:"accounts"`
	TotalCount             int               `json:"total_count"`
	ActiveCount            int               `json:"active_count"`
	TotalBalanceByCurrency map[string]string `json:"total_balance_by_currency"`
	NextCursor             *string           `json:"next_cursor"`
	HasMore                bool              `json:"has_more"`
}

type transaction struct {
	ID          string  `json:"id"`
	AccountID   string  `json:"account_id"`
	Type        string  `json:"type"`
	Amount      string  `json:"amount"`
	Currency    string  `json:"currency"`
	Description string  `json:"description"`
	Status      string  `json:"status"`
	BookedAt    string  `json:"booked_at"`
	TransferID  *string `json:"transfer_id"`
}

type transactionList struct {
	Transactions []transaction `json:"transactions"`
	NextCursor   *string       `json:"next_cursor"`
	HasMore      bool          `json:"has_more"`
}

// createAccount creates an account from a JSON object literal.
func (u *user) createAccount(t *testing.T, body string) account {
	t.Helper()
	res := u.raw(t, http.MethodPost, "/accounts", body, "Content-Type: application/json").Expect(t, http.StatusCreated)
	var a account
	res.JSON(t, &a)
	return a
}

func (u *user) record(t *testing.T, accountID, typ, amount string) transaction {
	t.Helper()
	var tx transaction
	u.post(t, "/accounts/"+accountID+"/transactions", map[string]any{"type": typ, "amount": amount}).Expect(t, http.StatusCreated).JSON(t, &tx)
	return tx
}

func (u *user) account(t *testing.T, id string) account {
	t.Helper()
	var a account
	u.get(t, "/accounts/"+id).Expect(t, http.StatusOK).JSON(t, &a)
	return a
}

func problem(t *testing.T, res *harness.Response, status int, code string) harness.Problem {
	t.Helper()
	return res.ExpectProblem(t, status, code)
}

func fieldsOf(p harness.Problem) string {
	var names []string
	for _, f := range p.Errors {
		names = append(names, f.Field)
	}
	return strings.Join(names, ",")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
