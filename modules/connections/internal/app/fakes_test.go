package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// fakeRepo keeps connections in memory with the store's version and history rules.
type fakeRepo struct {
	mu      sync.Mutex
	conns   map[uuid.UUID]domain.Connection
	history map[uuid.UUID][]domain.History
	states  map[string]app.OAuthState
}

func newFakeRepo() *fakeRepo {
	return &fakeRepo{conns: map[uuid.UUID]domain.Connection{}, history: map[uuid.UUID][]domain.History{}, states: map[string]app.OAuthState{}}
}

func (r *fakeRepo) Create(_ context.Context, c *domain.Connection) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	saved := *c
	saved.ClearChanges()
	r.conns[c.ID] = saved
	r.history[c.ID] = append(r.history[c.ID], c.Changes()...)
	return nil
}

func (r *fakeRepo) Get(_ context.Context, id uuid.UUID) (domain.Connection, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.conns[id]
	if !ok {
		return domain.Connection{}, apperr.New(apperr.NotFound, "no connection")
	}
	return c, nil
}

func (r *fakeRepo) Update(ctx context.Context, id uuid.UUID, fn func(context.Context, *domain.Connection) error) error {
	c, err := r.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := fn(ctx, &c); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.history[id] = append(r.history[id], c.Changes()...)
	c.ClearChanges()
	c.Version++
	r.conns[id] = c
	return nil
}

func (r *fakeRepo) List(_ context.Context, q app.ListQuery) ([]domain.Connection, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []domain.Connection
	for _, c := range r.conns {
		if c.UserID != q.UserID || (q.Provider != "" && c.Provider != q.Provider) || (q.Status != "" && c.Status != q.Status) {
			continue
		}
		if q.After.Valid && c.ID.String() <= q.After.UUID.String() {
			continue
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID.String() < out[j].ID.String() })
	more := len(out) > q.Limit
	if more {
		out = out[:q.Limit]
	}
	return out, more, nil
}

func (r *fakeRepo) History(_ context.Context, id uuid.UUID, limit int) ([]domain.History, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.history[id]
	out := make([]domain.History, 0, len(h))
	for i := len(h) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, h[i])
	}
	return out, nil
}

func (r *fakeRepo) Due(_ context.Context, now time.Time, limit int) ([]domain.Connection, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []domain.Connection
	for _, c := range r.conns {
		if c.Status == domain.StatusActive && c.AutoSync && c.NextSyncAt != nil && !c.NextSyncAt.After(now) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (r *fakeRepo) SaveState(_ context.Context, s app.OAuthState) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states[s.Hash] = s
	return nil
}

func (r *fakeRepo) State(_ context.Context, hash string) (app.OAuthState, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.states[hash]
	return s, ok, nil
}

func (r *fakeRepo) ConsumeState(_ context.Context, hash string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.states[hash]
	delete(r.states, hash)
	return ok, nil
}

func (r *fakeRepo) Atomically(ctx context.Context, fn func(context.Context) error) error {
	return fn(ctx)
}

// fakeSealer "encrypts" by reversing the bytes and prefixing the associated data,
// and refuses a ciphertext opened with other associated data.
type fakeSealer struct{}

func (fakeSealer) Seal(plain, ad []byte) ([]byte, error) {
	out := append([]byte{}, ad...)
	for i := len(plain) - 1; i >= 0; i-- {
		out = append(out, plain[i]^0x5a)
	}
	return out, nil
}

func (fakeSealer) Open(sealed, ad []byte) ([]byte, error) {
	if !bytes.HasPrefix(sealed, ad) {
		return nil, errors.New("wrong associated data")
	}
	body := sealed[len(ad):]
	out := make([]byte, 0, len(body))
	for i := len(body) - 1; i >= 0; i-- {
		out = append(out, body[i]^0x5a)
	}
	return out, nil
}

// ownerAuthorizer allows owners only, like casbin's model.
type ownerAuthorizer struct{}

func (ownerAuthorizer) Authorize(_ context.Context, s authn.Subject, r authz.Resource, _ string) error {
	if r.Owner != s.UserID.String() {
		return apperr.New(apperr.Forbidden, "not yours")
	}
	return nil
}

// fakeAccounts mirrors provider accounts and transactions in memory.
type fakeAccounts struct {
	mu          sync.Mutex
	accounts    map[string]uuid.UUID          // connection/provider account id -> account
	owners      map[uuid.UUID]uuid.UUID       // account -> user
	connection  map[uuid.UUID]uuid.UUID       // account -> connection
	txns        map[uuid.UUID]map[string]bool // account -> provider transaction ids
	inactive    map[uuid.UUID]bool
	upserts     int
	lastBalance money.Amount
	reported    []money.Amount
	failOnBatch int // fail the n-th SyncTransactions call (1-based), 0 never
	batches     int
}

func newFakeAccounts() *fakeAccounts {
	return &fakeAccounts{accounts: map[string]uuid.UUID{}, owners: map[uuid.UUID]uuid.UUID{}, connection: map[uuid.UUID]uuid.UUID{},
		txns: map[uuid.UUID]map[string]bool{}, inactive: map[uuid.UUID]bool{}}
}

func (f *fakeAccounts) UpsertAccount(_ context.Context, sub authn.Subject, in app.LinkedAccount) (uuid.UUID, app.UpsertOutcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.upserts++
	f.lastBalance = in.Balance
	if _, err := money.ParseCurrency(in.Currency); err != nil {
		return uuid.Nil, "", apperr.Validation(apperr.FieldError{Field: "currency", Message: "must be an ISO 4217 code"})
	}
	key := in.ConnectionID.String() + "/" + in.ProviderAccountID
	if id, ok := f.accounts[key]; ok {
		return id, app.AccountUnchanged, nil
	}
	id := uuid.New()
	f.accounts[key] = id
	f.owners[id] = sub.UserID
	f.connection[id] = in.ConnectionID
	f.txns[id] = map[string]bool{}
	return id, app.AccountCreated, nil
}

func (f *fakeAccounts) SyncTransactions(_ context.Context, _ authn.Subject, in app.TransactionBatch) (app.TransactionCounts, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches++
	if f.failOnBatch == f.batches {
		return app.TransactionCounts{}, apperr.Validation(apperr.FieldError{Field: "transactions", Message: "entry 0: bad"})
	}
	var n app.TransactionCounts
	if in.ReportedBalance.Valid {
		f.reported = append(f.reported, in.ReportedBalance.Amount)
	}
	for _, t := range in.Upserts {
		if f.txns[in.AccountID][t.ProviderTransactionID] {
			n.Unchanged++
			continue
		}
		f.txns[in.AccountID][t.ProviderTransactionID] = true
		n.Added++
	}
	for _, id := range in.Removed {
		if f.txns[in.AccountID][id] {
			delete(f.txns[in.AccountID], id)
			n.Removed++
		}
	}
	return n, nil
}

func (f *fakeAccounts) DeactivateConnection(_ context.Context, sub authn.Subject, connectionID uuid.UUID) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for acc, conn := range f.connection {
		if conn == connectionID && f.owners[acc] == sub.UserID && !f.inactive[acc] {
			f.inactive[acc] = true
			n++
		}
	}
	return n, nil
}

func (f *fakeAccounts) ConnectionAccounts(_ context.Context, _ authn.Subject, connectionID uuid.UUID, q accounts.AccountQuery) (accounts.AccountPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var page accounts.AccountPage
	for acc, conn := range f.connection {
		if conn == connectionID && (q.Limit == 0 || len(page.Accounts) < q.Limit) {
			page.Accounts = append(page.Accounts, accounts.Account{ID: acc, ConnectionID: uuid.NullUUID{UUID: conn, Valid: true}})
		}
	}
	page.TotalCount = int64(len(page.Accounts))
	return page, nil
}

func (f *fakeAccounts) CountAccounts(_ context.Context, _ authn.Subject, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[uuid.UUID]int{}
	for _, conn := range f.connection {
		out[conn]++
	}
	return out, nil
}

// fakeBank is an OAuth 2.0 provider whose one good code is "good-code".
type fakeBank struct {
	mu        sync.Mutex
	refreshes int
	expiry    time.Time
	accounts  []provider.Account
	fail      error
}

func (*fakeBank) Info() provider.Info {
	return provider.Info{Slug: "sandbox", Name: "Sandbox bank", AuthKind: provider.AuthOAuth2}
}

func (*fakeBank) AuthCodeURL(state, redirectURI string) string {
	return "https://bank.example/authorize?" + url.Values{"state": {state}, "redirect_uri": {redirectURI}}.Encode()
}

func (b *fakeBank) Exchange(_ context.Context, code, _ string) (provider.Credentials, error) {
	if code != "good-code" {
		return provider.Credentials{}, provider.Errorf(provider.CodeAuthExpired, "invalid_grant")
	}
	return provider.Credentials{AccessToken: "access-secret", RefreshToken: "refresh-secret", Expiry: b.expiry}, nil
}

func (b *fakeBank) Accounts(_ context.Context, creds provider.Credentials) ([]provider.Account, provider.Credentials, error) {
	if b.fail != nil {
		return nil, provider.Credentials{}, b.fail
	}
	if creds.AccessToken == "" {
		return nil, provider.Credentials{}, errors.New("no token")
	}
	return b.accounts, provider.Credentials{}, nil
}

func (b *fakeBank) Transactions(context.Context, provider.Credentials, provider.TransactionsRequest) (provider.Changes, provider.Credentials, error) {
	return provider.Changes{}, provider.Credentials{}, nil
}

func (b *fakeBank) Refresh(_ context.Context, creds provider.Credentials) (provider.Credentials, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refreshes++
	return provider.Credentials{AccessToken: "access-renewed", RefreshToken: "refresh-renewed", Expiry: time.Now().Add(time.Hour)}, nil
}

// fakeBridge is a setup-token provider: "good" claims, "used" is compromised.
type fakeBridge struct{}

func (fakeBridge) Info() provider.Info {
	return provider.Info{Slug: "simplefin", Name: "SimpleFIN Bridge", AuthKind: provider.AuthSetupToken}
}

func (fakeBridge) Claim(_ context.Context, token string) (provider.Credentials, error) {
	switch token {
	case "good":
		return provider.Credentials{AccessURL: "https://user:secret-pass@bridge.example/simplefin"}, nil
	case "used":
		return provider.Credentials{}, &provider.Error{Code: provider.CodeTokenCompromised}
	case "down":
		return provider.Credentials{}, provider.Errorf(provider.CodeProviderUnavailable, "503")
	case "private":
		return provider.Credentials{}, errors.New("dial 127.0.0.1 refused by policy")
	}
	return provider.Credentials{}, provider.Errorf(provider.CodeBadData, "is not Base64")
}

func (fakeBridge) Accounts(context.Context, provider.Credentials) ([]provider.Account, provider.Credentials, error) {
	return nil, provider.Credentials{}, nil
}

func (fakeBridge) Transactions(context.Context, provider.Credentials, provider.TransactionsRequest) (provider.Changes, provider.Credentials, error) {
	return provider.Changes{}, provider.Credentials{}, nil
}

func (fakeBridge) Refresh(_ context.Context, c provider.Credentials) (provider.Credentials, error) {
	return c, nil
}

// fakeOFX reads a toy format: "ACCOUNT id currency balance" lines start a
// statement, "TXN id amount" lines add to it, "BAD reason" fails at its line.
type fakeOFX struct{}

func (fakeOFX) Info() provider.Info {
	return provider.Info{Slug: "ofx", Name: "OFX file", AuthKind: provider.AuthFile}
}

func (fakeOFX) Parse(r io.Reader, fn func(provider.Statement) error) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	var cur *provider.Statement
	flush := func() error {
		if cur == nil {
			return nil
		}
		err := fn(*cur)
		cur = nil
		return err
	}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "ACCOUNT":
			if err := flush(); err != nil {
				return err
			}
			cur = &provider.Statement{Account: provider.Account{ID: f[1], Name: "Acct " + f[1], Type: "checking", Currency: f[2], Balance: money.MustParse(f[3])}}
		case "PART":
			if err := flush(); err != nil {
				return err
			}
			cur = &provider.Statement{Account: provider.Account{ID: f[1], Name: "Acct " + f[1], Type: "checking", Currency: f[2]}, More: true}
		case "TXN":
			cur.Transactions = append(cur.Transactions, provider.Transaction{ID: f[1], Amount: money.MustParse(f[2]), Date: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Description: "t"})
		default:
			return &provider.ParseError{Line: i + 1, Reason: strings.Join(f[1:], " ")}
		}
	}
	return flush()
}

type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fixedClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type recordingPublisher struct {
	mu     sync.Mutex
	events []domain.ConnectionStatusChanged
}

func (p *recordingPublisher) Publish(_ context.Context, e domain.ConnectionStatusChanged) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, e)
	return nil
}
