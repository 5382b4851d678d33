package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

// bridge is a SimpleFIN server as SIMPLEFIN.md describes it: one claimable setup
// token, an access URL with Basic credentials, and GET /accounts in version 2.
type bridge struct {
	srv     *httptest.Server
	mu      sync.Mutex
	claimed bool
}

const bridgeUser, bridgePass = "demo-user", "s3cret-bridge-pass"

func newBridge(t *testing.T) *bridge {
	t.Helper()
	b := &bridge{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /simplefin/claim/one-time", func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.claimed {
			http.Error(w, "Forbidden", http.StatusForbidden)
			return
		}
		b.claimed = true
		u := strings.Replace(b.srv.URL, "http://", "http://"+bridgeUser+":"+bridgePass+"@", 1)
		_, _ = w.Write([]byte(u + "/simplefin"))
	})
	mux.HandleFunc("GET /simplefin/accounts", func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != bridgeUser || pass != bridgePass {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte("<html><title>Forbidden - SimpleFIN Bridge</title>Access denied</html>"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"errlist":     []any{},
			"connections": []any{map[string]any{"conn_id": "C1", "name": "Demo Credit Union", "org_id": "dcu", "sfin_url": b.srv.URL + "/simplefin"}},
			"accounts": []any{
				map[string]any{"id": "chk-1", "conn_id": "C1", "name": "Share Checking", "currency": "USD", "balance": "1520.44", "balance-date": 1795000000, "transactions": []any{}},
				map[string]any{"id": "sav-1", "conn_id": "C1", "name": "Share Savings", "currency": "USD", "balance": "8000.00", "balance-date": 1795000000, "transactions": []any{}},
			},
		})
	})
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
	return b
}

func (b *bridge) token() string {
	return base64.StdEncoding.EncodeToString([]byte(b.srv.URL + "/simplefin/claim/one-time"))
}

// TestConnectionsSimpleFINJSON links SimpleFIN Bridge over JSON: the setup token
// is claimed at once (the connection active with its accounts), a second claim of
// the same token says it may be compromised, bad tokens are precise 422s, the
// interval respects the Bridge's budget, the access URL is sealed and a
// disconnect destroys it.
func TestConnectionsSimpleFINJSON(t *testing.T) {
	b := newBridge(t)
	inst := start(t, harness.Options{Engine: harness.Postgres, Env: map[string]string{"KONTOR_PROVIDERS_ALLOW_PRIVATE_NETWORKS": "true"}})
	k := loadContract(t, inst)
	anon := newAPI(inst, k, false)
	email := newEmail("simplefin")
	register(t, anon, "Sam", email)
	sam := anon.with(login(t, anon, email).AccessToken)

	var created struct {
		Connection struct {
			ID                  string `json:"id"`
			Status              string `json:"status"`
			AccountsCount       int    `json:"accounts_count"`
			SyncIntervalMinutes int    `json:"sync_interval_minutes"`
		} `json:"connection"`
		AuthorizationURL *string `json:"authorization_url"`
	}
	sam.post(t, "/api/v1/connections", map[string]any{"provider": "simplefin", "setup_token": " " + b.token() + "\n"}).Expect(t, http.StatusCreated).JSON(t, &created)
	c := created.Connection
	if c.Status != "active" || c.AccountsCount != 2 || created.AuthorizationURL != nil || c.SyncIntervalMinutes < 60 {
		t.Fatalf("created %+v", created)
	}
	var raw []byte
	if err := inst.DB.NewSelect().Table("connections").Column("credentials").Where("id = ?", c.ID).Scan(t.Context(), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) == 0 || strings.Contains(string(raw), bridgePass) || strings.Contains(string(raw), bridgeUser) {
		t.Fatalf("the access URL is not sealed: %q", raw)
	}

	p := sam.post(t, "/api/v1/connections", map[string]any{"provider": "simplefin", "setup_token": b.token()}).ExpectProblem(t, http.StatusUnprocessableEntity, "token_compromised")
	if !strings.Contains(p.Detail, "compromised") {
		t.Fatalf("a refused claim says %q", p.Detail)
	}
	for _, bad := range []string{"not base64 at all!", base64.StdEncoding.EncodeToString([]byte("just words")), ""} {
		sam.post(t, "/api/v1/connections", map[string]any{"provider": "simplefin", "setup_token": bad}).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	}

	sam.Do(t, http.MethodPatch, "/api/v1/connections/"+c.ID, map[string]any{"sync_interval_minutes": 30}).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	sam.call(t, http.MethodPatch, "/api/v1/connections/"+c.ID, map[string]any{"sync_interval_minutes": 60}).Expect(t, http.StatusOK)

	sam.call(t, http.MethodDelete, "/api/v1/connections/"+c.ID, nil).Expect(t, http.StatusOK)
	raw = nil
	if err := inst.DB.NewSelect().Table("connections").Column("credentials").Where("id = ?", c.ID).Scan(t.Context(), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 0 {
		t.Fatalf("credentials kept after disconnect: %d bytes", len(raw))
	}
}
