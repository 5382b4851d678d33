package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"go.uber.org/fx/fxtest"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/connections/internal/api"
	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/idempotency"
	"github.com/kontor-app/kontor/platform/ratelimit"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var user = uuid.New()

type fakeAuth struct{}

func (fakeAuth) AuthenticateBearer(_ context.Context, token string) (authn.Subject, error) {
	if token == "good" {
		return authn.Subject{UserID: user, Method: authn.MethodJWT}, nil
	}
	return authn.Subject{}, apperr.New(apperr.InvalidToken, "The token is not valid.")
}

func (fakeAuth) AuthenticateSession(context.Context, string) (authn.Subject, error) {
	return authn.Subject{}, apperr.New(apperr.InvalidToken, "no sessions here")
}

// fakeService records what the handlers asked and answers with what a test set.
type fakeService struct {
	create   app.CreateInput
	callback app.CallbackInput
	list     app.ListInput
	patch    app.PatchInput
	imported []byte
	query    accounts.AccountQuery
	err      error
	view     app.ConnectionView
}

func (f *fakeService) Providers() []provider.Info {
	return []provider.Info{{Slug: "ofx", Name: "OFX file", AuthKind: provider.AuthFile, Description: "Upload statements."}}
}

func (f *fakeService) CreateConnection(_ context.Context, _ authn.Subject, in app.CreateInput) (app.Created, error) {
	f.create = in
	url := ""
	if in.Provider == "sandbox" {
		url = "https://bank.example/authorize?state=s"
	}
	return app.Created{Connection: f.view, AuthorizationURL: url}, f.err
}

func (f *fakeService) CompleteOAuth(_ context.Context, in app.CallbackInput) (app.ConnectionView, error) {
	f.callback = in
	return f.view, f.err
}

func (f *fakeService) ListConnections(_ context.Context, _ authn.Subject, in app.ListInput) (app.ConnectionList, error) {
	f.list = in
	return app.ConnectionList{Connections: []app.ConnectionView{f.view}}, f.err
}

func (f *fakeService) GetConnection(context.Context, authn.Subject, uuid.UUID) (app.ConnectionView, error) {
	return f.view, f.err
}

func (f *fakeService) UpdateConnection(_ context.Context, _ authn.Subject, in app.PatchInput) (app.ConnectionView, error) {
	f.patch = in
	return f.view, f.err
}

func (f *fakeService) Disconnect(context.Context, authn.Subject, uuid.UUID) (app.ConnectionView, error) {
	return f.view, f.err
}

func (f *fakeService) Reauthorize(context.Context, authn.Subject, uuid.UUID) (app.Reauthorized, error) {
	return app.Reauthorized{Connection: f.view, AuthorizationURL: "https://bank.example/authorize?state=t"}, f.err
}

func (f *fakeService) Import(_ context.Context, _ authn.Subject, in app.ImportInput) (app.ImportSummary, error) {
	b, _ := io.ReadAll(io.NewSectionReader(in.File, 0, in.Size))
	f.imported = b
	return app.ImportSummary{AccountsCreated: 1, TransactionsAdded: 2, Duplicates: 3, ZeroAmountSkipped: 4}, f.err
}

func (f *fakeService) ConnectionAccounts(_ context.Context, _ authn.Subject, _ uuid.UUID, q accounts.AccountQuery) (accounts.AccountPage, error) {
	f.query = q
	return accounts.AccountPage{Accounts: []accounts.Account{}, TotalCount: 0}, f.err
}

func newServer(t *testing.T, svc *fakeService) *fiber.App {
	t.Helper()
	cfg, err := config.Load(nil, func(k string) string {
		return map[string]string{"KONTOR_SECRET_KEY": strings.Repeat("k", 40), "KONTOR_ADDR": "127.0.0.1:0", "KONTOR_RATE_LIMIT_DISABLED": "true"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	db := dbtest.NewSQLite(t)
	srv, err := httpserver.New(httpserver.Params{
		Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Auth: fakeAuth{},
		Limiter: ratelimit.NewLimiter(ratelimit.NewMemoryStore(), ratelimit.PoliciesFrom(cfg), true),
		Idem:    idempotency.NewStore(db), Routes: []httpserver.Routes{api.New(svc)}, Lc: fxtest.NewLifecycle(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv.App
}

type result struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, a *fiber.App, method, path, contentType string, body io.Reader, header ...string) result {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	req.Header.Set("Authorization", "Bearer good")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := a.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	r := result{status: res.StatusCode, header: res.Header, raw: string(b)}
	_ = json.Unmarshal(b, &r.body)
	return r
}

func doJSON(t *testing.T, a *fiber.App, method, path, body string, header ...string) result {
	t.Helper()
	return do(t, a, method, path, "application/json", strings.NewReader(body), header...)
}

func (r result) want(t *testing.T, status int, code string) result {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	if code != "" && r.body["code"] != code {
		t.Fatalf("code %v, want %s: %s", r.body["code"], code, r.raw)
	}
	return r
}

func sampleView() app.ConnectionView {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	return app.ConnectionView{Connection: domain.Connection{
		ID: uuid.New(), UserID: user, Provider: "sandbox", Status: domain.StatusNeedsReauth, AutoSync: true,
		SyncIntervalMinutes: 15, LastAttemptAt: &now, LastSyncStatus: domain.SyncFailed, CreatedAt: now, UpdatedAt: now, Version: 4,
		Reason: &domain.Reason{Code: domain.CodeAuthRevoked, Message: "Consent withdrawn.", Action: domain.ActionReauthorize},
	}, AccountsCount: 5}
}

func TestProvidersAndAuth(t *testing.T) {
	a := newServer(t, &fakeService{})
	r := do(t, a, http.MethodGet, "/api/v1/providers", "", nil).want(t, 200, "")
	ps := r.body["providers"].([]any)
	if p := ps[0].(map[string]any); p["slug"] != "ofx" || p["auth_type"] != "file" || p["description"] != "Upload statements." {
		t.Fatalf("providers %s", r.raw)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/connections", nil)
	res, _ := a.Test(req, -1)
	if res.StatusCode != 401 {
		t.Fatalf("no token: %d", res.StatusCode)
	}
}

func TestCreate(t *testing.T) {
	svc := &fakeService{view: sampleView()}
	a := newServer(t, svc)
	r := doJSON(t, a, http.MethodPost, "/api/v1/connections", `{"provider":"sandbox","alias":"Main"}`).want(t, 201, "")
	if r.header.Get("Location") != "/api/v1/connections/"+svc.view.ID.String() || r.body["authorization_url"] != "https://bank.example/authorize?state=s" {
		t.Fatalf("created %v %s", r.header, r.raw)
	}
	c := r.body["connection"].(map[string]any)
	reason := c["status_reason"].(map[string]any)
	if c["status"] != "needs_reauth" || reason["action"] != "reauthorize" || c["accounts_count"] != float64(5) ||
		c["last_sync_status"] != "failed" || c["last_sync_at"] != nil || c["alias"] != nil || c["created_at"] != "2026-11-28T12:00:00Z" {
		t.Fatalf("connection %s", r.raw)
	}
	if svc.create.Provider != "sandbox" || svc.create.Alias != "Main" {
		t.Fatalf("input %+v", svc.create)
	}
	r = doJSON(t, a, http.MethodPost, "/api/v1/connections", `{"provider":"ofx"}`).want(t, 201, "")
	if _, ok := r.body["authorization_url"]; !ok || r.body["authorization_url"] != nil {
		t.Fatalf("authorization_url must be null: %s", r.raw)
	}
	doJSON(t, a, http.MethodPost, "/api/v1/connections", `{"provider":"ofx","token":"x"}`).want(t, 400, "unknown_field")
	doJSON(t, a, http.MethodPost, "/api/v1/connections", `{"provider":`).want(t, 400, "malformed_json")
	do(t, a, http.MethodPost, "/api/v1/connections", "text/plain", strings.NewReader(`{}`)).want(t, 415, "unsupported_media_type")
	svc.err = apperr.New(domain.CodeTokenCompromisedErr, "%s", app.TokenCompromisedMessage)
	r = doJSON(t, a, http.MethodPost, "/api/v1/connections", `{"provider":"simplefin","setup_token":"x"}`).want(t, 422, "token_compromised")
	if !strings.Contains(r.body["detail"].(string), "compromised") {
		t.Fatalf("detail %s", r.raw)
	}
}

func TestCallback(t *testing.T) {
	svc := &fakeService{view: sampleView()}
	a := newServer(t, svc)
	r := doJSON(t, a, http.MethodPost, "/api/v1/connections/callback", `{"state":"s","code":"c"}`).want(t, 200, "")
	if r.body["connection"] == nil || svc.callback.State != "s" || svc.callback.Code != "c" || svc.callback.Caller == nil || svc.callback.Caller.UserID != user || svc.callback.Browser {
		t.Fatalf("callback %+v %s", svc.callback, r.raw)
	}
	svc.err = apperr.New(domain.CodeInvalidState, "bad state")
	doJSON(t, a, http.MethodPost, "/api/v1/connections/callback", `{"state":"s","error":"access_denied"}`).want(t, 400, "invalid_state")
}

func TestListGetPatchDelete(t *testing.T) {
	svc := &fakeService{view: sampleView()}
	a := newServer(t, svc)
	id := svc.view.ID.String()
	r := do(t, a, http.MethodGet, "/api/v1/connections?provider=sandbox&status=active&limit=10&cursor=c1.x", "", nil).want(t, 200, "")
	if svc.list.Provider != "sandbox" || svc.list.Status != "active" || svc.list.Limit != 10 || svc.list.Cursor != "c1.x" || r.body["next_cursor"] != nil || r.body["has_more"] != false {
		t.Fatalf("list %+v %s", svc.list, r.raw)
	}
	do(t, a, http.MethodGet, "/api/v1/connections?limit=abc", "", nil).want(t, 422, "validation_failed")
	r = do(t, a, http.MethodGet, "/api/v1/connections/"+id, "", nil).want(t, 200, "")
	if r.header.Get("ETag") != `W/"4"` || r.body["id"] != id {
		t.Fatalf("get %v %s", r.header, r.raw)
	}
	do(t, a, http.MethodGet, "/api/v1/connections/not-a-uuid", "", nil).want(t, 404, "not_found")

	doJSON(t, a, http.MethodPatch, "/api/v1/connections/"+id, `{"alias":null,"auto_sync":false,"sync_interval_minutes":60}`, "If-Match", `W/"4"`).want(t, 200, "")
	p := svc.patch
	if p.ExpectedVersion == nil || *p.ExpectedVersion != 4 || p.Settings.Alias == nil || *p.Settings.Alias != "" || *p.Settings.AutoSync || *p.Settings.SyncIntervalMinutes != 60 {
		t.Fatalf("patch %+v", p)
	}
	doJSON(t, a, http.MethodPatch, "/api/v1/connections/"+id, `{"alias":"x"}`, "If-Match", `"garbage"`).want(t, 200, "")
	if svc.patch.ExpectedVersion == nil || *svc.patch.ExpectedVersion != -1 {
		t.Fatalf("a garbage If-Match must match nothing: %+v", svc.patch.ExpectedVersion)
	}
	doJSON(t, a, http.MethodPatch, "/api/v1/connections/"+id, `{"alias":"x"}`).want(t, 200, "")
	if svc.patch.ExpectedVersion != nil {
		t.Fatal("no If-Match expects no version")
	}
	r = doJSON(t, a, http.MethodPatch, "/api/v1/connections/"+id, `{"auto_sync":null,"sync_interval_minutes":"x"}`).want(t, 422, "validation_failed")
	if len(r.body["errors"].([]any)) != 2 {
		t.Fatalf("errors %s", r.raw)
	}
	doJSON(t, a, http.MethodPatch, "/api/v1/connections/"+id, `{"provider":"x"}`).want(t, 400, "unknown_field")
	doJSON(t, a, http.MethodPatch, "/api/v1/connections/"+id, `[1]`).want(t, 400, "")

	do(t, a, http.MethodDelete, "/api/v1/connections/"+id, "", nil).want(t, 200, "")
	r = do(t, a, http.MethodPost, "/api/v1/connections/"+id+"/reauthorize", "", nil).want(t, 200, "")
	if r.body["authorization_url"] != "https://bank.example/authorize?state=t" {
		t.Fatalf("reauthorize %s", r.raw)
	}
	svc.err = apperr.New(domain.CodeNotReauthorizable, "no")
	do(t, a, http.MethodPost, "/api/v1/connections/"+id+"/reauthorize", "", nil).want(t, 409, "connection_not_reauthorizable")
	svc.err = apperr.New(apperr.Forbidden, "not yours")
	do(t, a, http.MethodGet, "/api/v1/connections/"+id, "", nil).want(t, 403, "forbidden")
}

func multipartBody(t *testing.T, field, name, content string) (string, io.Reader) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write([]byte(content))
	_ = w.Close()
	return w.FormDataContentType(), &buf
}

func TestImport(t *testing.T) {
	svc := &fakeService{view: sampleView()}
	a := newServer(t, svc)
	path := "/api/v1/connections/" + svc.view.ID.String() + "/imports"
	ct, body := multipartBody(t, "file", "statement.ofx", "OFXHEADER:100")
	r := do(t, a, http.MethodPost, path, ct, body).want(t, 201, "")
	if string(svc.imported) != "OFXHEADER:100" || r.body["sync_id"] != nil || r.body["accounts_created"] != float64(1) ||
		r.body["transactions_added"] != float64(2) || r.body["duplicates"] != float64(3) || r.body["transactions_removed"] != float64(0) || r.body["zero_amount_skipped"] != float64(4) {
		t.Fatalf("import %q %s", svc.imported, r.raw)
	}
	doJSON(t, a, http.MethodPost, path, `{}`).want(t, 415, "unsupported_media_type")
	ct, body = multipartBody(t, "statement", "statement.ofx", "x")
	do(t, a, http.MethodPost, path, ct, body).want(t, 422, "validation_failed")
	svc.err = apperr.New(domain.CodeInvalidStatementFile, "bad").WithDetails(map[string]any{"line": 7, "reason": "unclosed tag"})
	ct, body = multipartBody(t, "file", "statement.ofx", "x")
	r = do(t, a, http.MethodPost, path, ct, body).want(t, 422, "invalid_statement_file")
	d := r.body["details"].(map[string]any)
	if d["line"] != float64(7) || d["reason"] != "unclosed tag" {
		t.Fatalf("details %s", r.raw)
	}
}

func TestAccounts(t *testing.T) {
	// A query GET /accounts refuses is decoded here and refused before the use case.
	bad := &fakeService{view: sampleView()}
	do(t, newServer(t, bad), http.MethodGet, "/api/v1/connections/"+bad.view.ID.String()+"/accounts?limit=abc", "", nil).want(t, 422, "validation_failed")

	svc := &fakeService{view: sampleView()}
	a := newServer(t, svc)
	for _, p := range []string{"/api/v1/connections/", "/api/v1/providers/"} {
		r := do(t, a, http.MethodGet, p+svc.view.ID.String()+"/accounts?limit=5&sort=-name&include_archived=true", "", nil).want(t, 200, "")
		if r.body["accounts"] == nil || r.body["total_count"] != float64(0) || svc.query.Limit != 5 || svc.query.Sort != "-name" || !svc.query.IncludeArchived {
			t.Fatalf("%s: %s %+v", p, r.raw, svc.query)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("content type %q", ct)
		}
	}
}

// TestImportSizeLimit holds the statement file, not the request body, to
// app.MaxImportSize: a file of exactly 10 MiB reaches the use case whole even
// though its multipart framing makes the body longer, and one byte more is a 413
// problem that never reaches it.
func TestImportSizeLimit(t *testing.T) {
	svc := &fakeService{view: sampleView()}
	a := newServer(t, svc)
	path := "/api/v1/connections/" + svc.view.ID.String() + "/imports"
	exact := strings.Repeat("x", app.MaxImportSize)
	ct, body := multipartBody(t, "file", "statement.ofx", exact)
	do(t, a, http.MethodPost, path, ct, body).want(t, 201, "")
	if len(svc.imported) != app.MaxImportSize {
		t.Fatalf("the use case got %d bytes, want %d", len(svc.imported), app.MaxImportSize)
	}
	svc.imported = nil
	ct, body = multipartBody(t, "file", "statement.ofx", exact+"x")
	r := do(t, a, http.MethodPost, path, ct, body).want(t, 413, "payload_too_large")
	if svc.imported != nil || !strings.Contains(r.raw, "10 MiB") {
		t.Fatalf("10 MiB + 1 byte: imported %d bytes, %s", len(svc.imported), r.raw)
	}
}

// TestImportReadsTheFilePartOfAnyBody checks the upload's own reading of the
// multipart body: the file part is found after other fields, its bytes reach the
// use case unchanged (through the temporary file, which is gone afterwards), a
// truncated or malformed body is a 422 validation problem (never a 500), and a
// file field without a file name is no file.
func TestImportReadsTheFilePartOfAnyBody(t *testing.T) {
	svc := &fakeService{view: sampleView()}
	a := newServer(t, svc)
	path := "/api/v1/connections/" + svc.view.ID.String() + "/imports"
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("note", "first a field")
	fw, _ := w.CreateFormFile("file", "statement.qfx")
	content := "OFXHEADER:100\r\n\r\n<OFX>\x00\xff--not a boundary\r\n"
	_, _ = fw.Write([]byte(content))
	_ = w.Close()
	whole := buf.String()
	do(t, a, http.MethodPost, path, w.FormDataContentType(), strings.NewReader(whole)).want(t, 201, "")
	if string(svc.imported) != content {
		t.Fatalf("the use case got %q, want %q", svc.imported, content)
	}

	svc.imported = nil
	truncated := whole[:len(whole)-30]
	do(t, a, http.MethodPost, path, w.FormDataContentType(), strings.NewReader(truncated)).want(t, 422, "validation_failed")
	do(t, a, http.MethodPost, path, "multipart/form-data", strings.NewReader(whole)).want(t, 422, "validation_failed")
	do(t, a, http.MethodPost, path, "multipart/form-data; boundary=other", strings.NewReader(whole)).want(t, 422, "validation_failed")
	buf.Reset()
	w = multipart.NewWriter(&buf)
	_ = w.WriteField("file", "a field, not a file")
	_ = w.Close()
	do(t, a, http.MethodPost, path, w.FormDataContentType(), &buf).want(t, 422, "validation_failed")
	if svc.imported != nil {
		t.Fatalf("a body without a readable file reached the use case: %q", svc.imported)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}
