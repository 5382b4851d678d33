package app_test

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
)

type env struct {
	svc      *app.Service
	repo     *fakeRepo
	accounts *fakeAccounts
	bank     *fakeBank
	clock    *fixedClock
	pub      *recordingPublisher
	alice    authn.Subject
	bob      authn.Subject
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{
		repo: newFakeRepo(), accounts: newFakeAccounts(),
		bank:  &fakeBank{accounts: []provider.Account{{ID: "chk", Name: "Checking", Type: "checking", Currency: "USD"}, {ID: "sav", Name: "Savings", Type: "savings", Currency: "USD"}}},
		clock: &fixedClock{now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}, pub: &recordingPublisher{},
		alice: authn.Subject{UserID: uuid.New()}, bob: authn.Subject{UserID: uuid.New()},
	}
	e.svc = app.NewService(app.Deps{
		Repo: e.repo, Sealer: fakeSealer{}, Authorizer: ownerAuthorizer{}, Accounts: e.accounts,
		Providers: app.Registry{"sandbox": e.bank, "simplefin": fakeBridge{}, "ofx": fakeOFX{}},
		Publisher: e.pub, Clock: e.clock, RedirectURI: "https://kontor.example/connections/callback",
	})
	return e
}

func wantCode(t *testing.T, err error, code apperr.Code) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
	return e
}

// link starts a sandbox link for sub and returns the connection and the state.
func (e *env) link(t *testing.T, sub authn.Subject) (app.Created, string) {
	t.Helper()
	created, err := e.svc.CreateConnection(context.Background(), sub, app.CreateInput{Provider: "sandbox", Alias: "Checking"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(created.AuthorizationURL)
	if err != nil {
		t.Fatal(err)
	}
	return created, u.Query().Get("state")
}

func TestProviders(t *testing.T) {
	e := newEnv(t)
	ps := e.svc.Providers()
	if len(ps) != 3 || ps[0].Slug != "ofx" || ps[1].Slug != "sandbox" || ps[2].Slug != "simplefin" {
		t.Fatalf("providers %+v", ps)
	}
}

func TestCreateConnectionValidation(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		in    app.CreateInput
		field string
	}{
		{app.CreateInput{}, "provider"},
		{app.CreateInput{Provider: "plaid"}, "provider"},
		{app.CreateInput{Provider: "simplefin"}, "setup_token"},
		{app.CreateInput{Provider: "simplefin", SetupToken: "   "}, "setup_token"},
		{app.CreateInput{Provider: "ofx", SetupToken: "x"}, "setup_token"},
		{app.CreateInput{Provider: "ofx", Alias: strings.Repeat("a", 101)}, "alias"},
		{app.CreateInput{Provider: "simplefin", SetupToken: "not-base64"}, "setup_token"},
		{app.CreateInput{Provider: "simplefin", SetupToken: "private"}, "setup_token"},
	}
	for _, tc := range cases {
		_, err := e.svc.CreateConnection(context.Background(), e.alice, tc.in)
		ae := wantCode(t, err, apperr.ValidationFailed)
		if len(ae.Fields) == 0 || ae.Fields[0].Field != tc.field {
			t.Fatalf("%+v: fields %+v, want %s", tc.in, ae.Fields, tc.field)
		}
	}
	if len(e.repo.conns) != 0 {
		t.Fatalf("%d connections made from bad input", len(e.repo.conns))
	}
}

func TestCreateFileAndSetupTokenConnections(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ofx, err := e.svc.CreateConnection(ctx, e.alice, app.CreateInput{Provider: "ofx"})
	if err != nil || ofx.Connection.Status != domain.StatusActive || ofx.AuthorizationURL != "" || ofx.Connection.Credentials != nil {
		t.Fatalf("ofx: %+v %v", ofx, err)
	}
	// A file connection has nothing to fetch: never scheduled, and auto-sync stays off.
	if ofx.Connection.AutoSync || ofx.Connection.NextSyncAt != nil {
		t.Fatalf("ofx scheduled: %+v", ofx.Connection)
	}
	on := true
	_, err = e.svc.UpdateConnection(ctx, e.alice, app.PatchInput{ID: ofx.Connection.ID, Settings: domain.Settings{AutoSync: &on}})
	wantCode(t, err, apperr.ValidationFailed)
	if due, _ := e.svc.SystemDueConnections(ctx, e.clock.Now().Add(time.Hour), 10); len(due) != 0 {
		t.Fatalf("due %+v", due)
	}
	sf, err := e.svc.CreateConnection(ctx, e.alice, app.CreateInput{Provider: "simplefin", SetupToken: " good\n"})
	if err != nil || sf.Connection.Status != domain.StatusActive || sf.Connection.SyncIntervalMinutes < 60 {
		t.Fatalf("simplefin: %+v %v", sf, err)
	}
	stored := e.repo.conns[sf.Connection.ID]
	if len(stored.Credentials) == 0 || bytes.Contains(stored.Credentials, []byte("secret-pass")) {
		t.Fatalf("credentials not sealed: %q", stored.Credentials)
	}
	// The claim says the token may be compromised, in SimpleFIN's words; nothing is kept.
	_, err = e.svc.CreateConnection(ctx, e.alice, app.CreateInput{Provider: "simplefin", SetupToken: "used"})
	ae := wantCode(t, err, domain.CodeTokenCompromisedErr)
	if !strings.Contains(ae.Message, "compromised") || !strings.Contains(ae.Message, "disable") {
		t.Fatalf("message %q", ae.Message)
	}
	_, err = e.svc.CreateConnection(ctx, e.alice, app.CreateInput{Provider: "simplefin", SetupToken: "down"})
	wantCode(t, err, domain.CodeProviderFailed)
	if len(e.repo.conns) != 2 {
		t.Fatalf("%d connections, want 2", len(e.repo.conns))
	}
	if len(e.pub.events) != 4 || e.pub.events[1].To != domain.StatusActive {
		t.Fatalf("events %+v", e.pub.events)
	}
}

func TestOAuthLink(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	created, state := e.link(t, e.alice)
	if created.Connection.Status != domain.StatusPending || state == "" || !strings.Contains(created.AuthorizationURL, url.QueryEscape("https://kontor.example/connections/callback")) {
		t.Fatalf("created %+v", created)
	}
	for hash := range e.repo.states {
		if hash == state || strings.Contains(hash, state) {
			t.Fatal("the state is stored in the clear")
		}
	}
	// Another user cannot use the state, and does not use it up.
	_, err := e.svc.CompleteOAuth(ctx, app.CallbackInput{State: state, Code: "good-code", Caller: &e.bob})
	wantCode(t, err, domain.CodeInvalidState)
	_, err = e.svc.CompleteOAuth(ctx, app.CallbackInput{State: state, Code: "good-code", Caller: &e.bob, Browser: true})
	wantCode(t, err, apperr.Forbidden)

	v, err := e.svc.CompleteOAuth(ctx, app.CallbackInput{State: state, Code: "good-code", Caller: &e.alice})
	if err != nil || v.Status != domain.StatusActive || v.ID != created.Connection.ID {
		t.Fatalf("complete: %+v %v", v, err)
	}
	stored := e.repo.conns[v.ID]
	if bytes.Contains(stored.Credentials, []byte("access-secret")) || len(stored.Credentials) == 0 {
		t.Fatal("credentials not sealed")
	}
	// The accounts are mirrored at once, and the view counts them.
	if e.accounts.upserts != 2 || v.AccountsCount != 2 {
		t.Fatalf("mirrored %d accounts, view counts %d", e.accounts.upserts, v.AccountsCount)
	}
	// Replay.
	_, err = e.svc.CompleteOAuth(ctx, app.CallbackInput{State: state, Code: "good-code", Caller: &e.alice})
	wantCode(t, err, domain.CodeInvalidState)
	// Forged and missing.
	for _, s := range []string{"forged", "", strings.Repeat("x", 600)} {
		_, err = e.svc.CompleteOAuth(ctx, app.CallbackInput{State: s, Code: "good-code", Caller: &e.alice})
		wantCode(t, err, domain.CodeInvalidState)
	}
	// Neither code nor error.
	_, state2 := e.link(t, e.alice)
	_, err = e.svc.CompleteOAuth(ctx, app.CallbackInput{State: state2, Caller: &e.alice})
	wantCode(t, err, apperr.ValidationFailed)
	// ... and the state still works after that.
	if _, err := e.svc.CompleteOAuth(ctx, app.CallbackInput{State: state2, Code: "good-code"}); err != nil {
		t.Fatalf("a browser that is not signed in completes for the state's user: %v", err)
	}
}

func TestOAuthExpiredDeniedAndBadCode(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, state := e.link(t, e.alice)
	e.clock.advance(10 * time.Minute)
	_, err := e.svc.CompleteOAuth(ctx, app.CallbackInput{State: state, Code: "good-code", Caller: &e.alice})
	wantCode(t, err, domain.CodeInvalidState)

	created, state := e.link(t, e.alice)
	v, err := e.svc.CompleteOAuth(ctx, app.CallbackInput{State: state, Error: "access_denied", Caller: &e.alice})
	if err != nil || v.Status != domain.StatusError || v.Reason == nil || v.Reason.Code != domain.CodeConsentDenied || v.Reason.Action != domain.ActionReauthorize {
		t.Fatalf("denied: %+v %v", v, err)
	}

	_, state = e.link(t, e.alice)
	_, err = e.svc.CompleteOAuth(ctx, app.CallbackInput{State: state, Code: "bad-code", Caller: &e.alice})
	wantCode(t, err, domain.CodeInvalidGrant)

	_, state = e.link(t, e.alice)
	_, err = e.svc.CompleteOAuth(ctx, app.CallbackInput{State: state, Error: "<script>", Caller: &e.alice})
	ae := wantCode(t, err, domain.CodeInvalidGrant)
	if strings.Contains(ae.Message, "<script>") {
		t.Fatalf("provider text echoed: %q", ae.Message)
	}

	// The denied connection is repaired through reauthorization into the same connection.
	re, err := e.svc.Reauthorize(ctx, e.alice, created.Connection.ID)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(re.AuthorizationURL)
	v, err = e.svc.CompleteOAuth(ctx, app.CallbackInput{State: u.Query().Get("state"), Code: "good-code", Caller: &e.alice})
	if err != nil || v.ID != created.Connection.ID || v.Status != domain.StatusActive || v.Reason != nil {
		t.Fatalf("reauthorized: %+v %v", v, err)
	}
	h := e.repo.history[v.ID]
	if h[len(h)-1].Message != "Reauthorized through the bank's consent." {
		t.Fatalf("history %+v", h)
	}
}

func TestOwnership(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, err := e.svc.CreateConnection(ctx, e.alice, app.CreateInput{Provider: "ofx"})
	if err != nil {
		t.Fatal(err)
	}
	id := c.Connection.ID
	missing := uuid.New()
	alias := "x"
	calls := map[string]func(sub authn.Subject, id uuid.UUID) error{
		"get": func(s authn.Subject, id uuid.UUID) error { _, err := e.svc.GetConnection(ctx, s, id); return err },
		"patch": func(s authn.Subject, id uuid.UUID) error {
			_, err := e.svc.UpdateConnection(ctx, s, app.PatchInput{ID: id, Settings: domain.Settings{Alias: &alias}})
			return err
		},
		"disconnect":  func(s authn.Subject, id uuid.UUID) error { _, err := e.svc.Disconnect(ctx, s, id); return err },
		"reauthorize": func(s authn.Subject, id uuid.UUID) error { _, err := e.svc.Reauthorize(ctx, s, id); return err },
		"accounts": func(s authn.Subject, id uuid.UUID) error {
			_, err := e.svc.ConnectionAccounts(ctx, s, id, accounts.AccountQuery{})
			return err
		},
		"import": func(s authn.Subject, id uuid.UUID) error {
			_, err := e.svc.Import(ctx, s, app.ImportInput{ConnectionID: id, File: strings.NewReader("x"), Size: 1})
			return err
		},
		"sync": func(s authn.Subject, id uuid.UUID) error { _, err := e.svc.ConnectionForSync(ctx, s, id); return err },
	}
	for name, call := range calls {
		wantCode(t, call(e.bob, id), apperr.Forbidden)
		wantCode(t, call(e.alice, missing), apperr.NotFound)
		_ = name
	}
	if e.repo.conns[id].Status != domain.StatusActive || e.repo.conns[id].Alias != "" {
		t.Fatalf("a stranger changed the connection: %+v", e.repo.conns[id])
	}
}

func TestListAndPatch(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := e.svc.CreateConnection(ctx, e.alice, app.CreateInput{Provider: "ofx"}); err != nil {
			t.Fatal(err)
		}
	}
	e.link(t, e.alice)
	_, _ = e.svc.CreateConnection(ctx, e.bob, app.CreateInput{Provider: "ofx"})
	page, err := e.svc.ListConnections(ctx, e.alice, app.ListInput{Limit: 2})
	if err != nil || len(page.Connections) != 2 || !page.HasMore || page.NextCursor == "" {
		t.Fatalf("page 1 %+v %v", page, err)
	}
	page2, err := e.svc.ListConnections(ctx, e.alice, app.ListInput{Limit: 2, Cursor: page.NextCursor})
	if err != nil || len(page2.Connections) != 2 || page2.HasMore || page2.NextCursor != "" {
		t.Fatalf("page 2 %+v %v", page2, err)
	}
	pending, _ := e.svc.ListConnections(ctx, e.alice, app.ListInput{Status: domain.StatusPending})
	if len(pending.Connections) != 1 {
		t.Fatalf("pending: %d", len(pending.Connections))
	}
	_, err = e.svc.ListConnections(ctx, e.alice, app.ListInput{Cursor: "garbage"})
	wantCode(t, err, apperr.InvalidCursor)
	_, err = e.svc.ListConnections(ctx, e.alice, app.ListInput{Limit: 500, Status: "weird"})
	if ae := wantCode(t, err, apperr.ValidationFailed); len(ae.Fields) != 2 {
		t.Fatalf("fields %+v", ae.Fields)
	}

	id := page.Connections[0].ID
	stale := int64(7)
	alias := "Renamed"
	_, err = e.svc.UpdateConnection(ctx, e.alice, app.PatchInput{ID: id, ExpectedVersion: &stale, Settings: domain.Settings{Alias: &alias}})
	wantCode(t, err, apperr.PreconditionFailed)
	current := e.repo.conns[id].Version
	v, err := e.svc.UpdateConnection(ctx, e.alice, app.PatchInput{ID: id, ExpectedVersion: &current, Settings: domain.Settings{Alias: &alias}})
	if err != nil || v.Alias != "Renamed" || v.Version != current+1 {
		t.Fatalf("patched %+v %v", v, err)
	}
	sf, _ := e.svc.CreateConnection(ctx, e.alice, app.CreateInput{Provider: "simplefin", SetupToken: "good"})
	thirty := 30
	_, err = e.svc.UpdateConnection(ctx, e.alice, app.PatchInput{ID: sf.Connection.ID, Settings: domain.Settings{SyncIntervalMinutes: &thirty}})
	wantCode(t, err, apperr.ValidationFailed)
}

const statement = `ACCOUNT acc-1 USD 150.00
TXN t1 100.00
TXN t2 50.00
ACCOUNT acc-2 EUR -20.00
TXN t3 -20.00`

func TestImport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _ := e.svc.CreateConnection(ctx, e.alice, app.CreateInput{Provider: "ofx"})
	id := c.Connection.ID
	imp := func(body string) (app.ImportSummary, error) {
		return e.svc.Import(ctx, e.alice, app.ImportInput{ConnectionID: id, File: strings.NewReader(body), Size: int64(len(body))})
	}
	sum, err := imp(statement)
	if err != nil || sum.AccountsCreated != 2 || sum.TransactionsAdded != 3 || sum.Duplicates != 0 {
		t.Fatalf("first import %+v %v", sum, err)
	}
	sum, err = imp(statement)
	if err != nil || sum.AccountsCreated != 0 || sum.TransactionsAdded != 0 || sum.Duplicates != 3 {
		t.Fatalf("re-import %+v %v", sum, err)
	}
	if got := e.repo.conns[id]; got.LastSyncStatus != domain.SyncSucceeded || got.LastSyncAt == nil {
		t.Fatalf("import not recorded as a sync: %+v", got)
	}
	v, _ := e.svc.GetConnection(ctx, e.alice, id)
	if v.AccountsCount != 2 {
		t.Fatalf("accounts_count %d", v.AccountsCount)
	}

	// A file that cannot be parsed imports nothing, whichever statement fails.
	before := e.accounts.upserts
	_, err = imp("ACCOUNT acc-9 USD 1\nTXN t9 1\nBAD unexpected end of file")
	ae := wantCode(t, err, domain.CodeInvalidStatementFile)
	if ae.Details["line"] != 3 || ae.Details["reason"] != "unexpected end of file" {
		t.Fatalf("details %+v", ae.Details)
	}
	if e.accounts.upserts != before {
		t.Fatal("a file that failed to parse reached the accounts")
	}
	_, err = imp("")
	wantCode(t, err, domain.CodeInvalidStatementFile)
	_, err = e.svc.Import(ctx, e.alice, app.ImportInput{ConnectionID: id, File: strings.NewReader("x"), Size: app.MaxImportSize + 1})
	wantCode(t, err, apperr.PayloadTooLarge)
	// An account the accounts module refuses (bad currency) is a statement problem.
	_, err = imp("ACCOUNT acc-3 US 1")
	wantCode(t, err, domain.CodeInvalidStatementFile)

	// Only file connections take files; a disconnected one takes none.
	sf, _ := e.svc.CreateConnection(ctx, e.alice, app.CreateInput{Provider: "simplefin", SetupToken: "good"})
	_, err = e.svc.Import(ctx, e.alice, app.ImportInput{ConnectionID: sf.Connection.ID, File: strings.NewReader(statement), Size: int64(len(statement))})
	wantCode(t, err, domain.CodeNotImportable)
	if _, err := e.svc.Disconnect(ctx, e.alice, id); err != nil {
		t.Fatal(err)
	}
	_, err = imp(statement)
	wantCode(t, err, apperr.ConnectionNotActive)
}

func TestDisconnect(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _ := e.svc.CreateConnection(ctx, e.alice, app.CreateInput{Provider: "ofx"})
	id := c.Connection.ID
	if _, err := e.svc.Import(ctx, e.alice, app.ImportInput{ConnectionID: id, File: strings.NewReader(statement), Size: int64(len(statement))}); err != nil {
		t.Fatal(err)
	}
	v, err := e.svc.Disconnect(ctx, e.alice, id)
	if err != nil || v.Status != domain.StatusDisconnected || e.repo.conns[id].Credentials != nil {
		t.Fatalf("disconnect %+v %v", v, err)
	}
	if len(e.accounts.inactive) != 2 {
		t.Fatalf("%d accounts made inactive, want 2", len(e.accounts.inactive))
	}
	again, err := e.svc.Disconnect(ctx, e.alice, id)
	if err != nil || again.Status != domain.StatusDisconnected {
		t.Fatalf("second disconnect %+v %v", again, err)
	}
	_, err = e.svc.Reauthorize(ctx, e.alice, id)
	wantCode(t, err, domain.CodeNotReauthorizable)

	sb, state := e.link(t, e.alice)
	if _, err := e.svc.CompleteOAuth(ctx, app.CallbackInput{State: state, Code: "good-code", Caller: &e.alice}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Disconnect(ctx, e.alice, sb.Connection.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.repo.conns[sb.Connection.ID]; got.Credentials != nil {
		t.Fatal("credentials kept after disconnect")
	}
	_, err = e.svc.Reauthorize(ctx, e.alice, sb.Connection.ID)
	wantCode(t, err, domain.CodeNotReauthorizable)
}

func TestReauthorizeRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sb, state := e.link(t, e.alice)
	if _, err := e.svc.CompleteOAuth(ctx, app.CallbackInput{State: state, Code: "good-code", Caller: &e.alice}); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.Reauthorize(ctx, e.alice, sb.Connection.ID)
	wantCode(t, err, domain.CodeNotReauthorizable) // active: nothing to repair
	sf, _ := e.svc.CreateConnection(ctx, e.alice, app.CreateInput{Provider: "simplefin", SetupToken: "good"})
	_, err = e.svc.Reauthorize(ctx, e.alice, sf.Connection.ID)
	wantCode(t, err, domain.CodeNotReauthorizable)
}

func TestConnectionAccountsDelegates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _ := e.svc.CreateConnection(ctx, e.alice, app.CreateInput{Provider: "ofx"})
	if _, err := e.svc.Import(ctx, e.alice, app.ImportInput{ConnectionID: c.Connection.ID, File: strings.NewReader(statement), Size: int64(len(statement))}); err != nil {
		t.Fatal(err)
	}
	list, err := e.svc.ConnectionAccounts(ctx, e.alice, c.Connection.ID, accounts.AccountQuery{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Accounts) != 2 || list.TotalCount != 2 {
		t.Fatalf("page %+v", list)
	}
	one, err := e.svc.ConnectionAccounts(ctx, e.alice, c.Connection.ID, accounts.AccountQuery{Limit: 1})
	if err != nil || len(one.Accounts) != 1 {
		t.Fatalf("limit 1: %+v %v", one, err)
	}
}

func TestSyncCalls(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.bank.expiry = e.clock.Now().Add(30 * time.Second) // about to expire
	sb, state := e.link(t, e.alice)
	id := sb.Connection.ID
	if _, err := e.svc.CompleteOAuth(ctx, app.CallbackInput{State: state, Code: "good-code", Caller: &e.alice}); err != nil {
		t.Fatal(err)
	}
	due, _ := e.svc.SystemDueConnections(ctx, e.clock.Now(), 10)
	if len(due) != 1 || due[0].ID != id {
		t.Fatalf("due %+v", due)
	}
	e.bank.accounts = []provider.Account{{ID: "a1", Name: "Checking"}}
	accts, err := e.svc.FetchAccounts(ctx, id)
	if err != nil || len(accts) != 1 || e.bank.refreshes != 1 {
		t.Fatalf("fetch: %v %v refreshes=%d", accts, err, e.bank.refreshes)
	}
	// The refreshed credentials were kept, sealed: no second refresh.
	stored := e.repo.conns[id]
	if bytes.Contains(stored.Credentials, []byte("access-renewed")) {
		t.Fatal("refreshed credentials stored in the clear")
	}
	if _, err := e.svc.FetchAccounts(ctx, id); err != nil || e.bank.refreshes != 1 {
		t.Fatalf("second fetch refreshed again: %d %v", e.bank.refreshes, err)
	}

	// A revoked consent drives the state machine; the connection then refuses syncs.
	e.bank.fail = provider.Errorf(provider.CodeAuthRevoked, "Consent withdrawn at the bank.")
	_, err = e.svc.FetchAccounts(ctx, id)
	c, rerr := e.svc.SystemReportOutcome(ctx, id, err)
	if rerr != nil || c.Status != domain.StatusNeedsReauth || c.Reason.Message != "Consent withdrawn at the bank." {
		t.Fatalf("outcome %+v %v", c, rerr)
	}
	_, err = e.svc.SystemConnectionForSync(ctx, id)
	wantCode(t, err, apperr.ConnectionNotActive)
	_, err = e.svc.ConnectionForSync(ctx, e.alice, id)
	wantCode(t, err, apperr.ConnectionNotActive)
	last := e.pub.events[len(e.pub.events)-1]
	if last.To != domain.StatusNeedsReauth || last.Reason == nil || last.Reason.Code != domain.CodeAuthRevoked {
		t.Fatalf("event %+v", last)
	}
	// An untyped failure counts as an unavailable provider.
	if o := app.OutcomeOf(context.DeadlineExceeded); o.Code != domain.CodeProviderUnavailable {
		t.Fatalf("outcome %+v", o)
	}
}

func TestImportChunkedStatement(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _ := e.svc.CreateConnection(ctx, e.alice, app.CreateInput{Provider: "ofx"})
	body := "PART big USD\nTXN t1 5.00\nTXN t2 -1.00\nACCOUNT big USD 104.00\nTXN t3 100.00"
	sum, err := e.svc.Import(ctx, e.alice, app.ImportInput{ConnectionID: c.Connection.ID, File: strings.NewReader(body), Size: int64(len(body))})
	if err != nil || sum.AccountsCreated != 1 || sum.TransactionsAdded != 3 {
		t.Fatalf("summary %+v %v", sum, err)
	}
	// One account, opened with the balance the file states after all its chunks, and
	// that balance reported once, after the transactions.
	if e.accounts.upserts != 1 || e.accounts.lastBalance.String() != "104.00" || len(e.accounts.reported) != 1 || e.accounts.reported[0].String() != "104.00" {
		t.Fatalf("upserts %d balance %s reported %v", e.accounts.upserts, e.accounts.lastBalance, e.accounts.reported)
	}
}

func TestLinkWithAFailingBank(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.bank.fail = provider.Errorf(provider.CodeAuthRevoked, "Consent withdrawn.")
	_, state := e.link(t, e.alice)
	v, err := e.svc.CompleteOAuth(ctx, app.CallbackInput{State: state, Code: "good-code", Caller: &e.alice})
	if err != nil || v.Status != domain.StatusNeedsReauth || v.Reason.Code != domain.CodeAuthRevoked {
		t.Fatalf("link with a failing bank: %+v %v", v, err)
	}
	e.bank.fail = nil
	e.bank.accounts = []provider.Account{{ID: "x", Name: "Odd", Type: "checking", Currency: "??"}}
	_, state = e.link(t, e.alice)
	v, err = e.svc.CompleteOAuth(ctx, app.CallbackInput{State: state, Code: "good-code", Caller: &e.alice})
	if err != nil || v.Status != domain.StatusError || v.Reason.Code != domain.CodeBadData || v.Reason.Action != domain.ActionRetry {
		t.Fatalf("link with an account the ledger refuses: %+v %v", v, err)
	}
}

func TestAuthorizationOrigins(t *testing.T) {
	e := newEnv(t)
	if got := e.svc.AuthorizationOrigins(); len(got) != 1 || got[0] != "https://bank.example" {
		t.Fatalf("origins %v", got)
	}
}
