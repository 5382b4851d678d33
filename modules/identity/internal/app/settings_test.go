package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/app"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
)

func ptr(s string) *string { return &s }

func TestUpdateProfile(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.com")
	e.register(t, "bob@example.com")
	sub := authn.Subject{UserID: u.ID, Method: authn.MethodJWT}

	_, err := e.svc.UpdateProfile(ctx, sub, app.UpdateProfileInput{CurrentPassword: password})
	if fieldsOf(wantCode(t, err, apperr.ValidationFailed))["name"] == "" {
		t.Fatalf("empty change: %v", err)
	}
	got, err := e.svc.UpdateProfile(ctx, sub, app.UpdateProfileInput{Name: ptr("  Ada King ")})
	if err != nil || got.Name != "Ada King" || got.Email != "ada@example.com" {
		t.Fatalf("rename = %+v, %v", got, err)
	}
	// The same address in other case needs no password: nothing changes.
	if _, err := e.svc.UpdateProfile(ctx, sub, app.UpdateProfileInput{Email: ptr("ADA@example.com")}); err != nil {
		t.Fatalf("same address: %v", err)
	}

	_, err = e.svc.UpdateProfile(ctx, sub, app.UpdateProfileInput{Email: ptr("ada@new.example")})
	if fieldsOf(err)["current_password"] == "" {
		t.Fatalf("e-mail without password: %v", err)
	}
	_, err = e.svc.UpdateProfile(ctx, sub, app.UpdateProfileInput{Email: ptr("ada@new.example"), CurrentPassword: "wrong password!!"})
	if m := fieldsOf(wantCode(t, err, apperr.ValidationFailed))["current_password"]; m != "is not your current password" {
		t.Fatalf("wrong password: %q", m)
	}
	_, err = e.svc.UpdateProfile(ctx, sub, app.UpdateProfileInput{Email: ptr("bob@example.com"), CurrentPassword: password})
	wantCode(t, err, apperr.EmailTaken)
	_, err = e.svc.UpdateProfile(ctx, sub, app.UpdateProfileInput{Email: ptr("not an address"), Name: ptr(" "), CurrentPassword: password})
	if f := fieldsOf(err); f["email"] == "" || f["name"] == "" {
		t.Fatalf("invalid fields: %v", err)
	}

	got, err = e.svc.UpdateProfile(ctx, sub, app.UpdateProfileInput{Email: ptr("Ada@New.Example"), CurrentPassword: password})
	if err != nil || got.Email != "ada@new.example" {
		t.Fatalf("change e-mail = %+v, %v", got, err)
	}
	if _, err := e.svc.Login(ctx, app.LoginInput{Email: "ada@new.example", Password: password}); err != nil {
		t.Errorf("login with the new address: %v", err)
	}
}

func TestWrongCurrentPasswordsAreThrottled(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.com")
	sub := authn.Subject{UserID: u.ID, Method: authn.MethodJWT}
	in := app.ChangePasswordInput{CurrentPassword: "wrong password!!", NewPassword: "a brand new password", ClientIP: "192.0.2.1"}
	for i := 0; i < 5; i++ {
		_, err := e.svc.ChangePassword(ctx, sub, in)
		wantCode(t, err, apperr.ValidationFailed)
	}
	in.CurrentPassword = password
	_, err := e.svc.ChangePassword(ctx, sub, in)
	wantCode(t, err, apperr.AccountLocked)
}

func TestChangePasswordRevokesEverythingElse(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.com")
	login := app.LoginInput{Email: "ada@example.com", Password: password}
	pair, err := e.svc.Login(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := e.svc.StartSession(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.svc.StartSession(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := e.svc.AuthenticateSession(ctx, mine.Token)
	if err != nil {
		t.Fatal(err)
	}

	_, err = e.svc.ChangePassword(ctx, sub, app.ChangePasswordInput{CurrentPassword: password, NewPassword: strings.Repeat(" ", 12)})
	if m := fieldsOf(err)["new_password"]; m != "must not be only spaces" {
		t.Fatalf("spaces: %v", err)
	}
	_, err = e.svc.ChangePassword(ctx, sub, app.ChangePasswordInput{NewPassword: "short"})
	if f := fieldsOf(err); f["current_password"] == "" || f["new_password"] == "" {
		t.Fatalf("missing fields: %v", err)
	}

	const next = "correct horse battery staple"
	got, err := e.svc.ChangePassword(ctx, sub, app.ChangePasswordInput{CurrentPassword: password, NewPassword: next})
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken != "" {
		t.Errorf("a browser got a token pair: %+v", got)
	}
	if _, err := e.svc.AuthenticateSession(ctx, mine.Token); err != nil {
		t.Errorf("own session ended: %v", err)
	}
	_, err = e.svc.AuthenticateSession(ctx, other.Token)
	wantCode(t, err, apperr.InvalidToken)
	_, err = e.svc.Refresh(ctx, app.RefreshInput{RefreshToken: pair.RefreshToken})
	wantCode(t, err, apperr.InvalidToken)
	// A change from a browser ends the access tokens already out too.
	_, err = e.svc.AuthenticateBearer(ctx, pair.AccessToken)
	wantCode(t, err, apperr.InvalidToken)
	_, err = e.svc.Login(ctx, login)
	wantCode(t, err, apperr.InvalidCredentials)
	if _, err := e.svc.Login(ctx, app.LoginInput{Email: "ada@example.com", Password: next}); err != nil {
		t.Errorf("login with the new password: %v", err)
	}

	// An API caller is handed a fresh pair in a new family, which works (a second
	// after the browser's change revoked the access tokens of its second).
	e.clock.Advance(time.Second)
	api := authn.Subject{UserID: u.ID, Method: authn.MethodJWT}
	fresh, err := e.svc.ChangePassword(ctx, api, app.ChangePasswordInput{CurrentPassword: next, NewPassword: password})
	if err != nil || fresh.RefreshToken == "" {
		t.Fatalf("API change = %+v, %v", fresh, err)
	}
	if _, err := e.svc.AuthenticateBearer(ctx, fresh.AccessToken); err != nil {
		t.Errorf("fresh access token: %v", err)
	}
	if _, err := e.svc.Refresh(ctx, app.RefreshInput{RefreshToken: fresh.RefreshToken}); err != nil {
		t.Errorf("fresh refresh token: %v", err)
	}
	_, err = e.svc.AuthenticateSession(ctx, mine.Token)
	wantCode(t, err, apperr.InvalidToken)
}

func TestRegisterRefusesAPasswordOfSpaces(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.Register(context.Background(), app.RegisterInput{Email: "ada@example.com", Password: strings.Repeat(" ", 20), Name: "Ada"})
	if m := fieldsOf(err)["password"]; m != "must not be only spaces" {
		t.Fatalf("err = %v", err)
	}
}

type recordingEraser struct {
	erased []uuid.UUID
	err    error
}

func (r *recordingEraser) EraseUser(_ context.Context, id uuid.UUID) error {
	r.erased = append(r.erased, id)
	return r.err
}

func TestDeleteAccount(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.com")
	other := e.register(t, "bob@example.com")
	er := &recordingEraser{}
	e.svc.WithErasers(er)
	sub := authn.Subject{UserID: u.ID, Method: authn.MethodJWT}
	if _, err := e.svc.CreateAPIKey(ctx, sub, app.CreateAPIKeyInput{Name: "script"}); err != nil {
		t.Fatal(err)
	}

	for _, typed := range []string{"", "delete", "bob@example.com"} {
		err := e.svc.DeleteAccount(ctx, sub, app.DeleteAccountInput{Confirmation: typed})
		if fieldsOf(wantCode(t, err, apperr.ValidationFailed))["confirmation"] == "" {
			t.Errorf("%q: %v", typed, err)
		}
	}
	if len(er.erased) != 0 {
		t.Fatal("erased without confirmation")
	}

	// A failing eraser keeps the user.
	er.err = errors.New("disk full")
	if err := e.svc.DeleteAccount(ctx, sub, app.DeleteAccountInput{Confirmation: "DELETE"}); err == nil {
		t.Fatal("failing eraser: no error")
	}
	if _, err := e.svc.Me(ctx, sub); err != nil {
		t.Fatalf("user gone after a failed erase: %v", err)
	}
	er.err = nil

	if err := e.svc.DeleteAccount(ctx, sub, app.DeleteAccountInput{Confirmation: " ADA@example.com "}); err != nil {
		t.Fatal(err)
	}
	if len(er.erased) != 2 || er.erased[1] != u.ID {
		t.Errorf("erased = %v", er.erased)
	}
	_, err := e.svc.Me(ctx, sub)
	wantCode(t, err, apperr.NotFound)
	if roles, _ := e.authz.Roles(u.ID.String()); len(roles) != 0 {
		t.Errorf("roles kept: %v", roles)
	}
	if len(e.repo.keys) != 0 {
		t.Errorf("%d keys kept", len(e.repo.keys))
	}
	if _, err := e.svc.Me(ctx, authn.Subject{UserID: other.ID}); err != nil {
		t.Errorf("other user: %v", err)
	}
}

func TestPasswordReset(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.register(t, "ada@example.com")
	pair, err := e.svc.Login(ctx, app.LoginInput{Email: "ada@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}

	_, err = e.svc.CreatePasswordReset(ctx, "nobody@example.com", "https://kontor.example")
	wantCode(t, err, apperr.NotFound)

	link, err := e.svc.CreatePasswordReset(ctx, "ADA@example.com", "https://kontor.example/")
	if err != nil {
		t.Fatal(err)
	}
	prefix := "https://kontor.example/reset-password?token="
	if !strings.HasPrefix(link.URL, prefix) || link.Reset.UserID != u.ID {
		t.Fatalf("link = %+v", link)
	}
	token := strings.TrimPrefix(link.URL, prefix)
	if strings.Contains(link.Reset.TokenHash, token) {
		t.Fatal("the token is stored as is")
	}
	if err := e.svc.CheckPasswordReset(ctx, token); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ResetPassword(ctx, app.ResetPasswordInput{Token: token, NewPassword: strings.Repeat(" ", 14)})
	wantCode(t, err, apperr.ValidationFailed)

	const next = "correct horse battery staple"
	got, err := e.svc.ResetPassword(ctx, app.ResetPasswordInput{Token: token, NewPassword: next})
	if err != nil || got.ID != u.ID {
		t.Fatalf("reset = %+v, %v", got, err)
	}
	_, err = e.svc.Refresh(ctx, app.RefreshInput{RefreshToken: pair.RefreshToken})
	wantCode(t, err, apperr.InvalidToken)
	if _, err := e.svc.Login(ctx, app.LoginInput{Email: "ada@example.com", Password: next}); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	// Single use.
	_, err = e.svc.ResetPassword(ctx, app.ResetPasswordInput{Token: token, NewPassword: "yet another password"})
	wantCode(t, err, apperr.InvalidToken)

	// Expiry.
	late, err := e.svc.CreatePasswordReset(ctx, "ada@example.com", "https://kontor.example")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	lateToken := strings.TrimPrefix(late.URL, prefix)
	wantCode(t, e.svc.CheckPasswordReset(ctx, lateToken), apperr.InvalidToken)
	_, err = e.svc.ResetPassword(ctx, app.ResetPasswordInput{Token: lateToken, NewPassword: "yet another password"})
	wantCode(t, err, apperr.InvalidToken)
	_, err = e.svc.ResetPassword(ctx, app.ResetPasswordInput{Token: "made-up", NewPassword: "yet another password"})
	wantCode(t, err, apperr.InvalidToken)
}
