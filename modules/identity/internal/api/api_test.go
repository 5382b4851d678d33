package api_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/e2e/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const password = "correct horse battery staple"

var seq atomic.Int64

func newEmail(who string) string { return fmt.Sprintf("%s-%d@example.test", who, seq.Add(1)) }

// problem checks that res is a problem document with status and code. The harness
// checks the content type and that status and trace id agree with the response.
func problem(t *testing.T, res *harness.Response, status int, code string) harness.Problem {
	t.Helper()
	if res.Status >= 500 {
		t.Fatalf("server error %d: %s", res.Status, res.Body)
	}
	return res.ExpectProblem(t, status, code)
}

func fields(p harness.Problem) map[string]string {
	out := map[string]string{}
	for _, f := range p.Errors {
		out[f.Field] = f.Message
	}
	return out
}

type userJSON struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
}

type pairJSON struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int    `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int    `json:"refresh_expires_in"`
}

type apiKeyJSON struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Prefix     string  `json:"prefix"`
	Key        string  `json:"key"`
	CreatedAt  string  `json:"created_at"`
	ExpiresAt  *string `json:"expires_at"`
	LastUsedAt *string `json:"last_used_at"`
	RevokedAt  *string `json:"revoked_at"`
}

func register(t *testing.T, c *harness.Client, email string) userJSON {
	t.Helper()
	var u userJSON
	c.Post(t, "/api/v1/auth/register", map[string]any{"email": email, "password": password, "name": "Ada Lovelace"}).
		Expect(t, http.StatusCreated).JSON(t, &u)
	return u
}

func login(t *testing.T, c *harness.Client, email string) pairJSON {
	t.Helper()
	var p pairJSON
	c.Post(t, "/api/v1/auth/login", map[string]any{"email": email, "password": password}).
		Expect(t, http.StatusOK).JSON(t, &p)
	return p
}

// as returns a client of inst that authenticates with token.
func as(inst *harness.Instance, token string) *harness.Client {
	c := inst.Client()
	c.Token = token
	return c
}

func TestRegisterAndMe(t *testing.T) {
	for _, engine := range []harness.Engine{harness.SQLite, harness.Postgres} {
		t.Run(map[harness.Engine]string{harness.SQLite: "sqlite", harness.Postgres: "postgres"}[engine], func(t *testing.T) {
			inst := harness.Start(t, harness.Options{Engine: engine})
			c := inst.Client()
			res := c.Post(t, "/api/v1/auth/register", map[string]any{"email": " Ada@Example.TEST ", "password": password, "name": " Ada Lovelace "}).
				Expect(t, http.StatusCreated)
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("content type %q", ct)
			}
			body := res.Map(t)
			if len(body) != 4 {
				t.Errorf("user has fields %v, want exactly id, email, name, created_at", body)
			}
			var u userJSON
			res.JSON(t, &u)
			id, err := uuid.Parse(u.ID)
			if err != nil || id.Version() != 7 || u.Email != "ada@example.test" || u.Name != "Ada Lovelace" {
				t.Errorf("user = %+v", u)
			}
			if ts, err := time.Parse(time.RFC3339, u.CreatedAt); err != nil || ts.Location() != time.UTC || !strings.HasSuffix(u.CreatedAt, "Z") {
				t.Errorf("created_at %q is not RFC 3339 in UTC", u.CreatedAt)
			}

			problem(t, c.Post(t, "/api/v1/auth/register", map[string]any{"email": "ADA@example.test", "password": password, "name": "Twin"}),
				http.StatusConflict, "email_taken")

			pair := login(t, c, "ada@example.test")
			var me userJSON
			as(inst, pair.AccessToken).Get(t, "/api/v1/me").Expect(t, http.StatusOK).JSON(t, &me)
			if me != u {
				t.Errorf("/me = %+v, want %+v", me, u)
			}
		})
	}
}

// TestBadInput sends every kind of bad request the contract names to each endpoint
// with a body; none may be a server error.
func TestBadInput(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	c := inst.Client()
	register(t, c, "taken@example.test")
	owner := as(inst, login(t, c, "taken@example.test").AccessToken)

	big := []byte(`{"email":"` + strings.Repeat("a", 1<<20) + `@example.test","password":"` + password + `","name":"Big"}`)
	const jsonCT = "Content-Type: application/json"
	tests := []struct {
		name   string
		client *harness.Client
		path   string
		body   []byte
		header string
		status int
		code   string
		fields []string
	}{
		{"malformed JSON", c, "/auth/register", []byte(`{"email": "a@example.test",`), jsonCT, 400, "malformed_json", nil},
		{"not JSON at all", c, "/auth/login", []byte(`email=a@example.test`), jsonCT, 400, "malformed_json", nil},
		{"empty body", c, "/auth/register", nil, jsonCT, 400, "malformed_json", nil},
		{"array body", c, "/auth/login", []byte(`[]`), jsonCT, 400, "malformed_json", nil},
		{"two values", c, "/auth/login", []byte(`{} {}`), jsonCT, 400, "malformed_json", nil},
		{"unknown field", c, "/auth/register", []byte(`{"email":"a@example.test","password":"` + password + `","name":"A","admin":true}`), jsonCT, 400, "unknown_field", nil},
		{"unknown field on login", c, "/auth/login", []byte(`{"email":"a@example.test","password":"x","remember":true}`), jsonCT, 400, "unknown_field", nil},
		{"wrong type", c, "/auth/register", []byte(`{"email":42,"password":"` + password + `","name":"A"}`), jsonCT, 422, "validation_failed", []string{"email"}},
		{"wrong type for refresh token", c, "/auth/refresh", []byte(`{"refresh_token":["x"]}`), jsonCT, 422, "validation_failed", []string{"refresh_token"}},
		{"oversized body", c, "/auth/register", big, jsonCT, 413, "payload_too_large", nil},
		{"wrong content type", c, "/auth/register", []byte(`{"email":"a@example.test","password":"` + password + `","name":"A"}`), "Content-Type: text/plain", 415, "unsupported_media_type", nil},
		{"form content type", c, "/auth/login", []byte(`email=a%40example.test&password=x`), "Content-Type: application/x-www-form-urlencoded", 415, "unsupported_media_type", nil},
		{"no content type", c, "/auth/refresh", []byte(`{"refresh_token":"x"}`), "X-Nothing: 1", 415, "unsupported_media_type", nil},
		{"missing fields", c, "/auth/register", []byte(`{}`), jsonCT, 422, "validation_failed", []string{"email", "password", "name"}},
		{"invalid e-mail", c, "/auth/register", []byte(`{"email":"ada.example.test","password":"` + password + `","name":"A"}`), jsonCT, 422, "validation_failed", []string{"email"}},
		{"display name in e-mail", c, "/auth/register", []byte(`{"email":"Ada <ada@example.test>","password":"` + password + `","name":"A"}`), jsonCT, 422, "validation_failed", []string{"email"}},
		{"short password", c, "/auth/register", []byte(`{"email":"a@example.test","password":"elevenchars","name":"A"}`), jsonCT, 422, "validation_failed", []string{"password"}},
		{"long name", c, "/auth/register", []byte(`{"email":"a@example.test","password":"` + password + `","name":"` + strings.Repeat("n", 101) + `"}`), jsonCT, 422, "validation_failed", []string{"name"}},
		{"null fields", c, "/auth/register", []byte(`{"email":null,"password":null,"name":null}`), jsonCT, 422, "validation_failed", []string{"email", "password", "name"}},
		{"login without password", c, "/auth/login", []byte(`{"email":"taken@example.test"}`), jsonCT, 422, "validation_failed", []string{"password"}},
		{"refresh without token", c, "/auth/refresh", []byte(`{}`), jsonCT, 422, "validation_failed", []string{"refresh_token"}},
		{"logout without token", c, "/auth/logout", []byte(`{}`), jsonCT, 422, "validation_failed", []string{"refresh_token"}},
		{"logout malformed", c, "/auth/logout", []byte(`{`), jsonCT, 400, "malformed_json", nil},
		{"API key without name", owner, "/api-keys", []byte(`{}`), jsonCT, 422, "validation_failed", []string{"name"}},
		{"API key expiring in the past", owner, "/api-keys", []byte(`{"name":"old","expires_at":"2020-01-01T00:00:00Z"}`), jsonCT, 422, "validation_failed", []string{"expires_at"}},
		{"API key expiry not a timestamp", owner, "/api-keys", []byte(`{"name":"k","expires_at":"tomorrow"}`), jsonCT, 422, "validation_failed", []string{"expires_at"}},
		{"API key expiry wrong type", owner, "/api-keys", []byte(`{"name":"k","expires_at":17}`), jsonCT, 422, "validation_failed", []string{"expires_at"}},
		{"API key unknown field", owner, "/api-keys", []byte(`{"name":"k","scopes":["all"]}`), jsonCT, 400, "unknown_field", nil},
		{"API key wrong content type", owner, "/api-keys", []byte(`{"name":"k"}`), "Content-Type: text/plain", 415, "unsupported_media_type", nil},
		{"API key oversized", owner, "/api-keys", []byte(`{"name":"` + strings.Repeat("k", 1<<20) + `"}`), jsonCT, 413, "payload_too_large", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.client.Raw(t, http.MethodPost, "/api/v1"+tt.path, tt.body, tt.header)
			p := problem(t, res, tt.status, tt.code)
			got := fields(p)
			for _, f := range tt.fields {
				if got[f] == "" {
					t.Errorf("field %q not reported; errors: %v", f, p.Errors)
				}
			}
			if len(tt.fields) > 0 && len(got) != len(tt.fields) {
				t.Errorf("errors %v, want exactly %v", p.Errors, tt.fields)
			}
			if p.Instance != "/api/v1"+tt.path {
				t.Errorf("instance %q", p.Instance)
			}
		})
	}
}

func TestLoginAndLockout(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	c := inst.Client()
	email := newEmail("ada")
	register(t, c, email)

	res := c.Post(t, "/api/v1/auth/login", map[string]any{"email": strings.ToUpper(email), "password": password}).Expect(t, http.StatusOK)
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q, want no-store on tokens", res.Header.Get("Cache-Control"))
	}
	var pair pairJSON
	res.JSON(t, &pair)
	if pair.TokenType != "Bearer" || pair.ExpiresIn != 900 || pair.RefreshExpiresIn != 30*24*3600 || pair.AccessToken == "" || pair.RefreshToken == "" {
		t.Errorf("pair = %+v", pair)
	}

	problem(t, c.Post(t, "/api/v1/auth/login", map[string]any{"email": newEmail("nobody"), "password": password}), 401, "invalid_credentials")

	for i := range 5 {
		p := problem(t, c.Post(t, "/api/v1/auth/login", map[string]any{"email": email, "password": "not the password"}), 401, "invalid_credentials")
		if i == 0 && strings.Contains(strings.ToLower(p.Detail), "locked") {
			t.Errorf("first failure mentions a lock: %q", p.Detail)
		}
	}
	for _, pw := range []string{"not the password", password} {
		res := c.Post(t, "/api/v1/auth/login", map[string]any{"email": email, "password": pw})
		p := problem(t, res, http.StatusTooManyRequests, "account_locked")
		secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
		if err != nil || secs < 880 || secs > 900 {
			t.Errorf("Retry-After %q, want about 900 seconds", res.Header.Get("Retry-After"))
		}
		if !strings.Contains(p.Detail, "15 minutes") {
			t.Errorf("detail %q does not say how long to wait", p.Detail)
		}
	}
	// Tokens issued before the lock keep working: the lock is about guessing.
	as(inst, pair.AccessToken).Get(t, "/api/v1/me").Expect(t, http.StatusOK)
}

func TestRefreshRotationAndReuse(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	c := inst.Client()
	email := newEmail("ada")
	register(t, c, email)
	first := login(t, c, email)

	var second pairJSON
	c.Post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": first.RefreshToken}).Expect(t, http.StatusOK).JSON(t, &second)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == "" || second.ExpiresIn != 900 {
		t.Fatalf("refresh = %+v", second)
	}
	as(inst, second.AccessToken).Get(t, "/api/v1/me").Expect(t, http.StatusOK)

	var third pairJSON
	c.Post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": second.RefreshToken}).Expect(t, http.StatusOK).JSON(t, &third)

	// A second login's family must survive what happens to the first.
	other := login(t, c, email)

	// Reusing the first token is reuse: the family dies, including the newest token.
	problem(t, c.Post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": first.RefreshToken}), 401, "invalid_token")
	problem(t, c.Post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": third.RefreshToken}), 401, "invalid_token")
	problem(t, c.Post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": "never-issued"}), 401, "invalid_token")

	c.Post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": other.RefreshToken}).Expect(t, http.StatusOK)
}

func TestConcurrentRefreshHasOneWinner(t *testing.T) {
	for _, engine := range []harness.Engine{harness.SQLite, harness.Postgres} {
		t.Run(map[harness.Engine]string{harness.SQLite: "sqlite", harness.Postgres: "postgres"}[engine], func(t *testing.T) {
			concurrentRefresh(t, harness.Start(t, harness.Options{Engine: engine}))
		})
	}
}

// concurrentRefresh exchanges one refresh token in several requests at once.
func concurrentRefresh(t *testing.T, inst *harness.Instance) {
	c := inst.Client()
	email := newEmail("ada")
	register(t, c, email)
	pair := login(t, c, email)

	const n = 6
	statuses := make(chan int, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			req, _ := http.NewRequest(http.MethodPost, inst.BaseURL+"/api/v1/auth/refresh", bytes.NewReader([]byte(`{"refresh_token":"`+pair.RefreshToken+`"}`)))
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			res.Body.Close()
			statuses <- res.StatusCode
		}()
	}
	close(start)
	ok := 0
	for range n {
		switch s := <-statuses; s {
		case http.StatusOK:
			ok++
		case http.StatusUnauthorized:
		default:
			t.Errorf("concurrent refresh answered %d", s)
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent refreshes of one token succeeded, want exactly 1", ok)
	}
}

func TestLogout(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	c := inst.Client()
	email := newEmail("ada")
	register(t, c, email)
	pair := login(t, c, email)
	res := c.Post(t, "/api/v1/auth/logout", map[string]any{"refresh_token": pair.RefreshToken}).Expect(t, http.StatusNoContent)
	if len(res.Body) != 0 {
		t.Errorf("204 with a body: %q", res.Body)
	}
	problem(t, c.Post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": pair.RefreshToken}), 401, "invalid_token")
	c.Post(t, "/api/v1/auth/logout", map[string]any{"refresh_token": pair.RefreshToken}).Expect(t, http.StatusNoContent)
	c.Post(t, "/api/v1/auth/logout", map[string]any{"refresh_token": "unknown"}).Expect(t, http.StatusNoContent)
}

// signAccess makes an access token the way the server does, from its secret, so a
// test can present one that expired long ago.
func signAccess(t *testing.T, secret, sub string, iat, exp time.Time) string {
	t.Helper()
	return signClaims(t, secret, jwt.MapClaims{
		"iss": "kontor", "sub": sub, "iat": iat.Unix(), "exp": exp.Unix(), "jti": uuid.NewString(), "typ": "access", "role": "user",
	})
}

func signClaims(t *testing.T, secret string, claims jwt.MapClaims) string {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("kontor-jwt"))
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(mac.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestBearerAuthentication(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	c := inst.Client()
	u := register(t, c, newEmail("ada"))
	now := time.Now()

	res := c.Get(t, "/api/v1/me")
	problem(t, res, 401, "unauthenticated")
	if res.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	problem(t, c.Raw(t, http.MethodGet, "/api/v1/me", nil, "Authorization: Basic YTpi"), 401, "unauthenticated")

	fresh := signAccess(t, inst.Config.SecretKey, u.ID, now, now.Add(15*time.Minute))
	as(inst, fresh).Get(t, "/api/v1/me").Expect(t, http.StatusOK)

	for name, token := range map[string]string{
		"expired JWT":        signAccess(t, inst.Config.SecretKey, u.ID, now.Add(-time.Hour), now.Add(-45*time.Minute)),
		"JWT of another key": signAccess(t, "another secret entirely, 32 chars+", u.ID, now, now.Add(time.Minute)),
		"JWT without a role (issued before tokens carried it)": signClaims(t, inst.Config.SecretKey, jwt.MapClaims{
			"iss": "kontor", "sub": u.ID, "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "typ": "access",
		}),
		"garbage":         "not-a-token",
		"unknown API key": "kontor_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	} {
		t.Run(name, func(t *testing.T) {
			problem(t, as(inst, token).Get(t, "/api/v1/me"), 401, "invalid_token")
		})
	}
	// A token carries its subject, so one signed with the server's key for a user
	// who does not exist authenticates (only the server can sign it; a deleted
	// user's tokens are revoked, see app.Service.RevokeAccessTokens), and the user's
	// own record is then not found.
	ghost := signAccess(t, inst.Config.SecretKey, uuid.NewString(), now, now.Add(time.Minute))
	if res := as(inst, ghost).Get(t, "/api/v1/me"); res.Status < 400 || res.Status >= 500 {
		t.Errorf("GET /me with a token of no user: status %d, want 4xx; body %s", res.Status, res.Body)
	}
}

func TestAPIKeys(t *testing.T) {
	for _, engine := range []harness.Engine{harness.SQLite, harness.Postgres} {
		t.Run(map[harness.Engine]string{harness.SQLite: "sqlite", harness.Postgres: "postgres"}[engine], func(t *testing.T) {
			inst := harness.Start(t, harness.Options{Engine: engine})
			c := inst.Client()
			adaEmail, bobEmail := newEmail("ada"), newEmail("bob")
			ada := register(t, c, adaEmail)
			register(t, c, bobEmail)
			adaC := as(inst, login(t, c, adaEmail).AccessToken)
			bobC := as(inst, login(t, c, bobEmail).AccessToken)

			expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
			res := adaC.Post(t, "/api/v1/api-keys", map[string]any{"name": "CI", "expires_at": expires}).Expect(t, http.StatusCreated)
			var key apiKeyJSON
			res.JSON(t, &key)
			if loc := res.Header.Get("Location"); loc != "/api/v1/api-keys/"+key.ID {
				t.Errorf("Location %q", loc)
			}
			if !strings.HasPrefix(key.Key, "kontor_") || len(key.Key) != 50 || key.Prefix != key.Key[:12] || key.Name != "CI" ||
				key.ExpiresAt == nil || *key.ExpiresAt != expires {
				t.Fatalf("created key = %+v", key)
			}
			if body := res.Map(t); len(body) != 6 {
				t.Errorf("created key has fields %v, want id, name, prefix, key, created_at, expires_at", body)
			}
			var forever apiKeyJSON
			adaC.Post(t, "/api/v1/api-keys", map[string]any{"name": "forever", "expires_at": nil}).Expect(t, http.StatusCreated).JSON(t, &forever)
			if forever.ExpiresAt != nil {
				t.Errorf("expires_at = %v, want null", *forever.ExpiresAt)
			}

			// The key authenticates as Ada and its use is recorded.
			var me userJSON
			as(inst, key.Key).Get(t, "/api/v1/me").Expect(t, http.StatusOK).JSON(t, &me)
			if me.ID != ada.ID {
				t.Errorf("/me with the key = %+v", me)
			}
			list := adaC.Get(t, "/api/v1/api-keys").Expect(t, http.StatusOK)
			if strings.Contains(string(list.Body), key.Key) || strings.Contains(string(list.Body), `"key"`) {
				t.Fatalf("the list shows a key: %s", list.Body)
			}
			var listed struct {
				APIKeys []apiKeyJSON `json:"api_keys"`
			}
			list.JSON(t, &listed)
			if len(listed.APIKeys) != 2 || listed.APIKeys[0].ID != forever.ID || listed.APIKeys[1].ID != key.ID {
				t.Fatalf("list = %+v, want the two keys newest first", listed.APIKeys)
			}
			if listed.APIKeys[1].LastUsedAt == nil || listed.APIKeys[1].RevokedAt != nil || listed.APIKeys[0].LastUsedAt != nil {
				t.Errorf("list = %+v, want the used key with last_used_at", listed.APIKeys)
			}
			var bobs struct {
				APIKeys []apiKeyJSON `json:"api_keys"`
			}
			bobC.Get(t, "/api/v1/api-keys").Expect(t, http.StatusOK).JSON(t, &bobs)
			if bobs.APIKeys == nil || len(bobs.APIKeys) != 0 {
				t.Errorf("bob's list = %s, want an empty array", bobC.Get(t, "/api/v1/api-keys").Body)
			}

			problem(t, bobC.Do(t, http.MethodDelete, "/api/v1/api-keys/"+key.ID, nil), 403, "forbidden")
			problem(t, adaC.Do(t, http.MethodDelete, "/api/v1/api-keys/"+uuid.NewString(), nil), 404, "not_found")
			problem(t, adaC.Do(t, http.MethodDelete, "/api/v1/api-keys/not-a-uuid", nil), 404, "not_found")
			problem(t, c.Do(t, http.MethodDelete, "/api/v1/api-keys/"+key.ID, nil), 401, "unauthenticated")
			as(inst, key.Key).Get(t, "/api/v1/me").Expect(t, http.StatusOK)

			adaC.Do(t, http.MethodDelete, "/api/v1/api-keys/"+key.ID, nil).Expect(t, http.StatusNoContent)
			problem(t, as(inst, key.Key).Get(t, "/api/v1/me"), 401, "invalid_token")
			adaC.Do(t, http.MethodDelete, "/api/v1/api-keys/"+key.ID, nil).Expect(t, http.StatusNoContent)
			listed.APIKeys = nil
			adaC.Get(t, "/api/v1/api-keys").Expect(t, http.StatusOK).JSON(t, &listed)
			if listed.APIKeys[1].RevokedAt == nil {
				t.Errorf("revoked key lists revoked_at null")
			}

			// A key may list keys but neither mint nor revoke one (issue 10 item 14),
			// so a leaked key cannot replace itself with one that never expires.
			byKey := as(inst, forever.Key)
			byKey.Get(t, "/api/v1/api-keys").Expect(t, http.StatusOK)
			problem(t, byKey.Post(t, "/api/v1/api-keys", map[string]any{"name": "successor"}), 403, "forbidden")
			problem(t, byKey.Do(t, http.MethodDelete, "/api/v1/api-keys/"+forever.ID, nil), 403, "forbidden")
			byKey.Get(t, "/api/v1/me").Expect(t, http.StatusOK)
			adaC.Do(t, http.MethodDelete, "/api/v1/api-keys/"+forever.ID, nil).Expect(t, http.StatusNoContent)
			problem(t, byKey.Get(t, "/api/v1/api-keys"), 401, "invalid_token")
		})
	}
}
