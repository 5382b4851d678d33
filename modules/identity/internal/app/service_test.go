package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/app"
	"github.com/kontor-app/kontor/modules/identity/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
)

const password = "correct horse battery"

type env struct {
	svc    *app.Service
	repo   *memRepo
	hasher *plainHasher
	clock  *fakeClock
	authz  *fakeAuthz
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{
		repo:   newMemRepo(),
		hasher: &plainHasher{},
		clock:  &fakeClock{now: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)},
		authz:  &fakeAuthz{},
	}
	e.svc = app.NewService(e.repo, e.hasher, app.NewJWTIssuer(strings.Repeat("s", 32)), e.authz, e.clock)
	return e
}

func (e *env) register(t *testing.T, email string) domain.User {
	t.Helper()
	u, err := e.svc.Register(context.Background(), app.RegisterInput{Email: email, Password: password, Name: "Ada Lovelace"})
	if err != nil {
		t.Fatalf("register %s: %v", email, err)
	}
	return u
}

// wantCode fails unless err is an *apperr.Error with code.
func wantCode(t *testing.T, err error, code apperr.Code) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	return e
}

func fieldsOf(err error) map[string]string {
	out := map[string]string{}
	if e, ok := apperr.As(err); ok {
		for _, f := range e.Fields {
			out[f.Field] = f.Message
		}
	}
	return out
}

func TestAPIKeyPrefixMatchesPlatform(t *testing.T) {
	if domain.APIKeyPrefix != authn.APIKeyPrefix {
		t.Fatalf("domain.APIKeyPrefix %q != authn.APIKeyPrefix %q", domain.APIKeyPrefix, authn.APIKeyPrefix)
	}
}

func TestRegisterValidation(t *testing.T) {
	tests := []struct {
		name   string
		in     app.RegisterInput
		fields []string
	}{
		{"everything missing", app.RegisterInput{}, []string{"email", "password", "name"}},
		{"invalid e-mail", app.RegisterInput{Email: "ada", Password: password, Name: "Ada"}, []string{"email"}},
		{"display name in e-mail", app.RegisterInput{Email: "Ada <ada@example.com>", Password: password, Name: "Ada"}, []string{"email"}},
		{"short password", app.RegisterInput{Email: "ada@example.com", Password: "short", Name: "Ada"}, []string{"password"}},
		{"long password", app.RegisterInput{Email: "ada@example.com", Password: strings.Repeat("p", 257), Name: "Ada"}, []string{"password"}},
		{"blank name", app.RegisterInput{Email: "ada@example.com", Password: password, Name: "   "}, []string{"name"}},
		{"long name", app.RegisterInput{Email: "ada@example.com", Password: password, Name: strings.Repeat("n", 101)}, []string{"name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.svc.Register(context.Background(), tt.in)
			wantCode(t, err, apperr.ValidationFailed)
			got := fieldsOf(err)
			if len(got) != len(tt.fields) {
				t.Fatalf("fields = %v, want %v", got, tt.fields)
			}
			for _, f := range tt.fields {
				if got[f] == "" {
					t.Errorf("field %s not reported: %v", f, got)
				}
			}
			if len(e.repo.users) != 0 {
				t.Error("a user was stored")
			}
		})
	}
}

func TestRegister(t *testing.T) {
	e := newEnv(t)
	u, err := e.svc.Register(context.Background(), app.RegisterInput{Email: " Ada@Example.com ", Password: password, Name: " Ada "})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ada@example.com" || u.Name != "Ada" || u.ID.Version() != 7 || u.PasswordHash != "plain:"+password {
		t.Errorf("user = %+v", u)
	}
	if roles, _ := e.authz.Roles(u.ID.String()); len(roles) != 1 || roles[0] != authn.RoleUser {
		t.Errorf("roles = %v, want [user]", roles)
	}
	_, err = e.svc.Register(context.Background(), app.RegisterInput{Email: "ADA@example.com", Password: password, Name: "Other"})
	wantCode(t, err, apperr.EmailTaken)
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "ada@example.com")
	pair, err := e.svc.Login(context.Background(), app.LoginInput{Email: "ADA@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if pair.TokenType != "Bearer" || pair.ExpiresIn != 900 || pair.RefreshExpiresIn != 30*24*3600 || pair.AccessToken == "" || pair.RefreshToken == "" {
		t.Errorf("pair = %+v", pair)
	}
	sub, err := e.svc.AuthenticateBearer(context.Background(), pair.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if sub.UserID != u.ID || sub.Email != u.Email || sub.Name != u.Name || sub.Role != authn.RoleUser || sub.Method != authn.MethodJWT {
		t.Errorf("subject = %+v", sub)
	}
}

func TestLoginRefusals(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ada@example.com")
	tests := []struct {
		name string
		in   app.LoginInput
		code apperr.Code
	}{
		{"wrong password", app.LoginInput{Email: "ada@example.com", Password: "wrong password!"}, apperr.InvalidCredentials},
		{"unknown e-mail", app.LoginInput{Email: "bob@example.com", Password: password}, apperr.InvalidCredentials},
		{"missing fields", app.LoginInput{}, apperr.ValidationFailed},
		{"malformed e-mail", app.LoginInput{Email: "ada", Password: password}, apperr.ValidationFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Login(context.Background(), tt.in)
			wantCode(t, err, tt.code)
		})
	}
}

func TestLoginUnknownEmailStillComparesAPassword(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.Login(context.Background(), app.LoginInput{Email: "nobody@example.com", Password: password})
	wantCode(t, err, apperr.InvalidCredentials)
	if e.hasher.verifies != 1 {
		t.Errorf("verifies = %d, want 1 (against the dummy hash)", e.hasher.verifies)
	}
}

func TestLockout(t *testing.T) {
	for _, face := range []string{"api", "web"} {
		t.Run(face, func(t *testing.T) {
			e := newEnv(t)
			e.register(t, "ada@example.com")
			ctx := context.Background()
			login := func(pw string) error {
				in := app.LoginInput{Email: "ada@example.com", Password: pw}
				if face == "api" {
					_, err := e.svc.Login(ctx, in)
					return err
				}
				_, err := e.svc.StartSession(ctx, in)
				return err
			}
			for i := 0; i < 5; i++ {
				wantCode(t, login("wrong password!"), apperr.InvalidCredentials)
			}
			locked := wantCode(t, login(password), apperr.AccountLocked)
			if locked.RetryAfter != 900 {
				t.Errorf("RetryAfter = %d, want 900", locked.RetryAfter)
			}
			e.clock.Advance(14*time.Minute + 30*time.Second)
			locked = wantCode(t, login("wrong password!"), apperr.AccountLocked)
			if locked.RetryAfter != 30 {
				t.Errorf("RetryAfter = %d, want 30", locked.RetryAfter)
			}
			e.clock.Advance(30 * time.Second)
			if err := login(password); err != nil {
				t.Fatalf("after the lock: %v", err)
			}
			// The success reset the count: four failures do not lock again.
			for i := 0; i < 4; i++ {
				wantCode(t, login("wrong password!"), apperr.InvalidCredentials)
			}
			if err := login(password); err != nil {
				t.Fatalf("after four failures: %v", err)
			}
		})
	}
}

func TestRefreshRotatesAndDetectsReuse(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ada@example.com")
	ctx := context.Background()
	first, err := e.svc.Login(ctx, app.LoginInput{Email: "ada@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	second, err := e.svc.Refresh(ctx, app.RefreshInput{RefreshToken: first.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == "" {
		t.Fatalf("refresh did not rotate: %+v", second)
	}
	if _, err := e.svc.AuthenticateBearer(ctx, second.AccessToken); err != nil {
		t.Fatalf("new access token: %v", err)
	}
	third, err := e.svc.Refresh(ctx, app.RefreshInput{RefreshToken: second.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}

	// Replaying the first token revokes the family: the newest token dies too.
	_, err = e.svc.Refresh(ctx, app.RefreshInput{RefreshToken: first.RefreshToken})
	wantCode(t, err, apperr.InvalidToken)
	_, err = e.svc.Refresh(ctx, app.RefreshInput{RefreshToken: third.RefreshToken})
	wantCode(t, err, apperr.InvalidToken)
	for _, tok := range e.repo.refresh {
		if tok.RevokedAt == nil {
			t.Errorf("token %v of the family is not revoked", tok.ID)
		}
	}

	// Another login starts a family of its own, untouched by the revocation.
	other, err := e.svc.Login(ctx, app.LoginInput{Email: "ada@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Refresh(ctx, app.RefreshInput{RefreshToken: other.RefreshToken}); err != nil {
		t.Fatalf("independent family: %v", err)
	}
}

func TestRefreshRefusals(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ada@example.com")
	ctx := context.Background()
	pair, err := e.svc.Login(ctx, app.LoginInput{Email: "ada@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Refresh(ctx, app.RefreshInput{})
	if fieldsOf(wantCode(t, err, apperr.ValidationFailed))["refresh_token"] == "" {
		t.Error("refresh_token not reported")
	}
	_, err = e.svc.Refresh(ctx, app.RefreshInput{RefreshToken: "unknown"})
	wantCode(t, err, apperr.InvalidToken)

	e.clock.Advance(30 * 24 * time.Hour)
	_, err = e.svc.Refresh(ctx, app.RefreshInput{RefreshToken: pair.RefreshToken})
	wantCode(t, err, apperr.InvalidToken)
}

func TestRefreshLosingARaceRevokesTheFamily(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ada@example.com")
	ctx := context.Background()
	pair, err := e.svc.Login(ctx, app.LoginInput{Email: "ada@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	e.repo.loseNextRotation = true
	_, err = e.svc.Refresh(ctx, app.RefreshInput{RefreshToken: pair.RefreshToken})
	wantCode(t, err, apperr.InvalidToken)
	for _, tok := range e.repo.refresh {
		if tok.RevokedAt == nil {
			t.Errorf("token %v survived a lost race", tok.ID)
		}
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ada@example.com")
	ctx := context.Background()
	pair, err := e.svc.Login(ctx, app.LoginInput{Email: "ada@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Logout(ctx, app.LogoutInput{RefreshToken: pair.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Refresh(ctx, app.RefreshInput{RefreshToken: pair.RefreshToken})
	wantCode(t, err, apperr.InvalidToken)
	if err := e.svc.Logout(ctx, app.LogoutInput{RefreshToken: pair.RefreshToken}); err != nil {
		t.Errorf("second logout: %v", err)
	}
	if err := e.svc.Logout(ctx, app.LogoutInput{RefreshToken: "never issued"}); err != nil {
		t.Errorf("unknown token: %v", err)
	}
	wantCode(t, e.svc.Logout(ctx, app.LogoutInput{}), apperr.ValidationFailed)
}

func TestAuthenticateBearerJWT(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "ada@example.com")
	ctx := context.Background()
	pair, err := e.svc.Login(ctx, app.LoginInput{Email: "ada@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(15*time.Minute + 20*time.Second) // inside the 30 s leeway
	if _, err := e.svc.AuthenticateBearer(ctx, pair.AccessToken); err != nil {
		t.Errorf("within leeway: %v", err)
	}
	e.clock.Advance(15 * time.Second)
	_, err = e.svc.AuthenticateBearer(ctx, pair.AccessToken)
	wantCode(t, err, apperr.InvalidToken)

	for _, tok := range []string{"", "garbage", "a.b.c", pair.AccessToken + "x"} {
		_, err := e.svc.AuthenticateBearer(ctx, tok)
		wantCode(t, err, apperr.InvalidToken)
	}

	// A token signed under another secret is refused.
	foreign, err := app.NewJWTIssuer(strings.Repeat("x", 32)).IssueAccess(app.AccessClaims{UserID: u.ID, Role: authn.RoleUser}, e.clock.Now(), e.clock.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.AuthenticateBearer(ctx, foreign)
	wantCode(t, err, apperr.InvalidToken)
}

func TestAuthenticateBearerAdminAndDeletedUser(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "ada@example.com")
	ctx := context.Background()
	_ = e.authz.Grant(ctx, u.ID.String(), authn.RoleAdmin)
	pair, err := e.svc.Login(ctx, app.LoginInput{Email: "ada@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := e.svc.AuthenticateBearer(ctx, pair.AccessToken)
	if err != nil || sub.Role != authn.RoleAdmin || sub.UserID != u.ID || sub.Email != "ada@example.com" || sub.Method != authn.MethodJWT {
		t.Fatalf("subject = %+v, %v; want admin ada", sub, err)
	}
	// Authenticating an access token reads no row: the token carries the subject.
	delete(e.repo.users, u.ID)
	if again, err := e.svc.AuthenticateBearer(ctx, pair.AccessToken); err != nil || again != sub {
		t.Fatalf("without the user row: %+v, %v; want %+v", again, err, sub)
	}
	// Deleting a user revokes their access tokens in the process...
	e.svc.RevokeAccessTokens(u.ID)
	_, err = e.svc.AuthenticateBearer(ctx, pair.AccessToken)
	wantCode(t, err, apperr.InvalidToken)
	// ...and refreshing finds no user, so no new access token is issued.
	_, err = e.svc.Refresh(ctx, app.RefreshInput{RefreshToken: pair.RefreshToken})
	wantCode(t, err, apperr.InvalidToken)
}

func TestRevokeAccessTokensSparesLaterTokens(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "ada@example.com")
	ctx := context.Background()
	old, err := e.svc.Login(ctx, app.LoginInput{Email: "ada@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	e.svc.RevokeAccessTokens(u.ID)
	_, err = e.svc.AuthenticateBearer(ctx, old.AccessToken)
	wantCode(t, err, apperr.InvalidToken)
	e.clock.Advance(time.Second)
	fresh, err := e.svc.Login(ctx, app.LoginInput{Email: "ada@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AuthenticateBearer(ctx, fresh.AccessToken); err != nil {
		t.Errorf("a token issued after the revocation: %v", err)
	}
	other := e.register(t, "bob@example.com")
	bob, err := e.svc.Login(ctx, app.LoginInput{Email: "bob@example.com", Password: password})
	if err != nil || other.ID == u.ID {
		t.Fatal(err)
	}
	if _, err := e.svc.AuthenticateBearer(ctx, bob.AccessToken); err != nil {
		t.Errorf("another user's token: %v", err)
	}
}

func TestAPIKeys(t *testing.T) {
	e := newEnv(t)
	ada := e.register(t, "ada@example.com")
	bob := e.register(t, "bob@example.com")
	ctx := context.Background()
	adaSub := authn.Subject{UserID: ada.ID}
	bobSub := authn.Subject{UserID: bob.ID}

	expires := e.clock.Now().Add(time.Hour)
	created, err := e.svc.CreateAPIKey(ctx, adaSub, app.CreateAPIKeyInput{Name: "CI", ExpiresAt: &expires})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.Key, "kontor_") || created.APIKey.Prefix != created.Key[:12] || created.APIKey.UserID != ada.ID {
		t.Fatalf("created = %+v", created)
	}

	sub, err := e.svc.AuthenticateBearer(ctx, created.Key)
	if err != nil {
		t.Fatal(err)
	}
	if sub.UserID != ada.ID || sub.Method != authn.MethodAPIKey {
		t.Errorf("subject = %+v", sub)
	}
	keys, _ := e.svc.ListAPIKeys(ctx, adaSub)
	if len(keys) != 1 || keys[0].LastUsedAt == nil || !keys[0].LastUsedAt.Equal(e.clock.Now()) {
		t.Fatalf("keys = %+v; want one, used now", keys)
	}
	// Uses within a minute are not written again.
	_, _ = e.svc.AuthenticateBearer(ctx, created.Key)
	if e.repo.keyUses != 1 {
		t.Errorf("uses recorded = %d, want 1", e.repo.keyUses)
	}
	if keys, _ := e.svc.ListAPIKeys(ctx, bobSub); len(keys) != 0 {
		t.Errorf("bob sees %d keys", len(keys))
	}

	wantCode(t, e.svc.RevokeAPIKey(ctx, bobSub, created.APIKey.ID), apperr.Forbidden)
	wantCode(t, e.svc.RevokeAPIKey(ctx, adaSub, uuid.Must(uuid.NewV7())), apperr.NotFound)
	if err := e.svc.RevokeAPIKey(ctx, adaSub, created.APIKey.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeAPIKey(ctx, adaSub, created.APIKey.ID); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	_, err = e.svc.AuthenticateBearer(ctx, created.Key)
	wantCode(t, err, apperr.InvalidToken)

	_, err = e.svc.AuthenticateBearer(ctx, "kontor_not-a-key")
	wantCode(t, err, apperr.InvalidToken)
}

func TestAPIKeyExpiry(t *testing.T) {
	e := newEnv(t)
	ada := e.register(t, "ada@example.com")
	ctx := context.Background()
	expires := e.clock.Now().Add(time.Hour)
	created, err := e.svc.CreateAPIKey(ctx, authn.Subject{UserID: ada.ID}, app.CreateAPIKeyInput{Name: "short-lived", ExpiresAt: &expires})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	_, err = e.svc.AuthenticateBearer(ctx, created.Key)
	wantCode(t, err, apperr.InvalidToken)
}

func TestCreateAPIKeyValidation(t *testing.T) {
	e := newEnv(t)
	ada := e.register(t, "ada@example.com")
	past := e.clock.Now().Add(-time.Second)
	tests := []struct {
		name   string
		in     app.CreateAPIKeyInput
		fields []string
	}{
		{"missing name", app.CreateAPIKeyInput{}, []string{"name"}},
		{"blank name", app.CreateAPIKeyInput{Name: "  "}, []string{"name"}},
		{"long name", app.CreateAPIKeyInput{Name: strings.Repeat("k", 101)}, []string{"name"}},
		{"past expiry", app.CreateAPIKeyInput{Name: "k", ExpiresAt: &past}, []string{"expires_at"}},
		{"both", app.CreateAPIKeyInput{ExpiresAt: &past}, []string{"name", "expires_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.CreateAPIKey(context.Background(), authn.Subject{UserID: ada.ID}, tt.in)
			got := fieldsOf(wantCode(t, err, apperr.ValidationFailed))
			if len(got) != len(tt.fields) {
				t.Fatalf("fields = %v, want %v", got, tt.fields)
			}
			for _, f := range tt.fields {
				if got[f] == "" {
					t.Errorf("field %s not reported: %v", f, got)
				}
			}
		})
	}
}

func TestSessions(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "ada@example.com")
	ctx := context.Background()
	started, err := e.svc.StartSession(ctx, app.LoginInput{Email: "ada@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if started.User.ID != u.ID || !started.ExpiresAt.Equal(e.clock.Now().Add(14*24*time.Hour)) {
		t.Errorf("session = %+v", started)
	}
	sub, err := e.svc.AuthenticateSession(ctx, started.Token)
	if err != nil {
		t.Fatal(err)
	}
	if sub.UserID != u.ID || sub.Method != authn.MethodSession || sub.SessionID == "" {
		t.Errorf("subject = %+v", sub)
	}
	if err := e.svc.EndSession(ctx, sub); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.AuthenticateSession(ctx, started.Token)
	wantCode(t, err, apperr.InvalidToken)

	_, err = e.svc.StartSession(ctx, app.LoginInput{Email: "ada@example.com", Password: "wrong password!"})
	wantCode(t, err, apperr.InvalidCredentials)

	// An expired session is refused and removed.
	again, err := e.svc.StartSession(ctx, app.LoginInput{Email: "ada@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(14 * 24 * time.Hour)
	_, err = e.svc.AuthenticateSession(ctx, again.Token)
	wantCode(t, err, apperr.InvalidToken)
	if len(e.repo.sessions) != 0 {
		t.Errorf("%d sessions kept", len(e.repo.sessions))
	}
	if err := e.svc.EndSession(ctx, authn.Subject{UserID: u.ID, Method: authn.MethodJWT}); err != nil {
		t.Errorf("EndSession without a session: %v", err)
	}
}

func TestMeAndUser(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "ada@example.com")
	got, err := e.svc.Me(context.Background(), authn.Subject{UserID: u.ID})
	if err != nil || got.ID != u.ID || got.Email != u.Email {
		t.Errorf("Me = %+v, %v", got, err)
	}
	_, err = e.svc.User(context.Background(), uuid.Must(uuid.NewV7()))
	wantCode(t, err, apperr.NotFound)
}
