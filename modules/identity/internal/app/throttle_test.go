package app_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kontor-app/kontor/modules/identity/internal/app"
	"github.com/kontor-app/kontor/platform/apperr"
)

// TestLockoutIsNoEmailOracle holds issue 10 item 4: an existing and an unknown
// address answer alike, attempt for attempt, lock included.
func TestLockoutIsNoEmailOracle(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ada@example.com")
	ctx := context.Background()
	for i := 0; i < 7; i++ {
		_, known := e.svc.Login(ctx, app.LoginInput{Email: "ada@example.com", Password: "wrong password!", ClientIP: "203.0.113.7"})
		_, unknown := e.svc.Login(ctx, app.LoginInput{Email: "nobody@example.com", Password: "wrong password!", ClientIP: "203.0.113.8"})
		ke, _ := apperr.As(known)
		ue, _ := apperr.As(unknown)
		if ke == nil || ue == nil || ke.Code != ue.Code || ke.Message != ue.Message || ke.RetryAfter != ue.RetryAfter ||
			fmt.Sprint(ke.Details) != fmt.Sprint(ue.Details) {
			t.Fatalf("attempt %d: known address got %v, unknown got %v", i+1, known, unknown)
		}
		want := apperr.InvalidCredentials
		if i >= 5 {
			want = apperr.AccountLocked
		}
		if ke.Code != want {
			t.Fatalf("attempt %d: %s, want %s", i+1, ke.Code, want)
		}
	}
}

// TestLockoutHurtsTheGuesserNotTheOwner: five wrong passwords from one client lock
// that client out of the address, while the owner's correct password from another
// client still works; one client spraying addresses is stopped by the IP throttle;
// and guessing spread over many clients meets the per-address ceiling last.
func TestLockoutHurtsTheGuesserNotTheOwner(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ada@example.com")
	ctx := context.Background()
	login := func(email, pw, ip string) error {
		_, err := e.svc.Login(ctx, app.LoginInput{Email: email, Password: pw, ClientIP: ip})
		return err
	}
	for i := 0; i < 5; i++ {
		wantCode(t, login("ada@example.com", "wrong password!", "198.51.100.1"), apperr.InvalidCredentials)
	}
	wantCode(t, login("ada@example.com", password, "198.51.100.1"), apperr.AccountLocked)
	if err := login("ada@example.com", password, "192.0.2.10"); err != nil {
		t.Fatalf("the owner from another client: %v", err)
	}

	// One client spraying addresses: its 20th failure locks the client.
	for i := 0; i < 20; i++ {
		wantCode(t, login(fmt.Sprintf("u%d@example.com", i), "wrong password!", "198.51.100.2"), apperr.InvalidCredentials)
	}
	wantCode(t, login("ada@example.com", password, "198.51.100.2"), apperr.AccountLocked)
	if err := login("ada@example.com", password, "192.0.2.10"); err != nil {
		t.Fatalf("the owner while another client is locked: %v", err)
	}

	// Many clients, four guesses each: the address ceiling (100 failures, five of
	// them counted above) is the last line.
	for i := 0; i < 95; i++ {
		err := login("ada@example.com", "wrong password!", fmt.Sprintf("10.0.%d.%d", i/4/250, i/4%250))
		if i < 94 {
			wantCode(t, err, apperr.InvalidCredentials)
		}
	}
	wantCode(t, login("ada@example.com", password, "192.0.2.10"), apperr.AccountLocked)
	e.clock.Advance(app.LoginLockout)
	if err := login("ada@example.com", password, "192.0.2.10"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}
