package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/app"
	"github.com/kontor-app/kontor/modules/identity/internal/domain"
	"github.com/kontor-app/kontor/modules/identity/internal/store"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

// credentials gives u a refresh token and two sessions, and returns them.
func credentials(t *testing.T, s *store.Store, u domain.User) (domain.RefreshToken, domain.Session, domain.Session) {
	t.Helper()
	ctx := context.Background()
	rt, _, err := domain.NewRefreshToken(newID(), u.ID, uuid.Nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRefreshToken(ctx, rt); err != nil {
		t.Fatal(err)
	}
	var sessions [2]domain.Session
	for i := range sessions {
		sess, _, err := domain.NewSession(newID(), u.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		sessions[i] = sess
	}
	return rt, sessions[0], sessions[1]
}

func TestSetPasswordEndsEverythingButTheKeptSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		u := mustUser(t, s, "ada@example.com")
		other := mustUser(t, s, "bob@example.com")
		rt, keep, gone := credentials(t, s, u)
		otherRT, otherSess, _ := credentials(t, s, other)
		if err := s.RecordLoginFailure(ctx, "x", t0, 1, time.Hour, time.Hour); err != nil {
			t.Fatal(err)
		}

		at := t0.Add(time.Minute)
		if err := s.SetPassword(ctx, u.ID, "new-hash", at, keep.ID); err != nil {
			t.Fatal(err)
		}
		got, err := s.UserByID(ctx, u.ID)
		if err != nil || got.PasswordHash != "new-hash" || !got.UpdatedAt.Equal(at) {
			t.Fatalf("user = %+v, %v", got, err)
		}
		if r, _ := s.RefreshTokenByHash(ctx, rt.TokenHash); r.RevokedAt == nil || !r.RevokedAt.Equal(at) {
			t.Errorf("refresh token not revoked: %+v", r)
		}
		if _, err := s.SessionByHash(ctx, keep.TokenHash); err != nil {
			t.Errorf("kept session: %v", err)
		}
		if _, err := s.SessionByHash(ctx, gone.TokenHash); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("other session: %v", err)
		}
		// The other user is untouched.
		if r, _ := s.RefreshTokenByHash(ctx, otherRT.TokenHash); r.RevokedAt != nil {
			t.Error("another user's refresh token was revoked")
		}
		if _, err := s.SessionByHash(ctx, otherSess.TokenHash); err != nil {
			t.Errorf("another user's session: %v", err)
		}
	})
}

func TestPasswordResetsAreUsedOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		u := mustUser(t, s, "ada@example.com")
		_, sess, _ := credentials(t, s, u)
		r, token, err := domain.NewPasswordReset(newID(), u.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreatePasswordReset(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := s.PasswordResetByHash(ctx, domain.HashSecret(token))
		if err != nil || got.ID != r.ID || got.UserID != u.ID || !got.ExpiresAt.Equal(r.ExpiresAt) || got.UsedAt != nil {
			t.Fatalf("reset = %+v, %v", got, err)
		}
		if _, err := s.PasswordResetByHash(ctx, domain.HashSecret("other")); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("unknown hash: %v", err)
		}

		// Expired: refused, nothing changes.
		ok, err := s.UsePasswordReset(ctx, r.ID, u.ID, "late-hash", r.ExpiresAt)
		if err != nil || ok {
			t.Fatalf("expired use = %v, %v", ok, err)
		}
		at := t0.Add(time.Minute)
		ok, err = s.UsePasswordReset(ctx, r.ID, u.ID, "new-hash", at)
		if err != nil || !ok {
			t.Fatalf("use = %v, %v", ok, err)
		}
		ok, err = s.UsePasswordReset(ctx, r.ID, u.ID, "again-hash", at)
		if err != nil || ok {
			t.Fatalf("second use = %v, %v", ok, err)
		}
		user, _ := s.UserByID(ctx, u.ID)
		if user.PasswordHash != "new-hash" {
			t.Errorf("hash = %q", user.PasswordHash)
		}
		if _, err := s.SessionByHash(ctx, sess.TokenHash); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("session survived a reset: %v", err)
		}
		got, _ = s.PasswordResetByHash(ctx, domain.HashSecret(token))
		if got.UsedAt == nil || !got.UsedAt.Equal(at) {
			t.Errorf("used_at = %v", got.UsedAt)
		}
	})
}

func TestDeleteUserTakesCredentialsAndRollsBackOnError(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		u := mustUser(t, s, "ada@example.com")
		other := mustUser(t, s, "bob@example.com")
		credentials(t, s, u)
		credentials(t, s, other)
		for _, key := range []string{"login:addr:ada@example.com", "login:addr-ip:ada@example.com|192.0.2.1", "login:addr:bob@example.com", "login:ip:192.0.2.1"} {
			if err := s.RecordLoginFailure(ctx, key, t0, 5, time.Hour, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		k, _, err := domain.NewAPIKey(newID(), u.ID, "script", nil, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}

		boom := errors.New("boom")
		err = s.DeleteUser(ctx, u.ID, func(ctx context.Context) error {
			// A write joined to the transaction is rolled back with it.
			if _, err := db.Conn(ctx).NewDelete().TableExpr("web_sessions").Where("user_id = ?", u.ID).Exec(ctx); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		if n := count(t, db, "web_sessions", u.ID); n != 2 {
			t.Fatalf("sessions after a rolled-back delete: %d", n)
		}

		if err := s.DeleteUser(ctx, u.ID, func(context.Context) error { return nil }); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"users", "refresh_tokens", "web_sessions", "api_keys", "password_resets"} {
			col := "user_id"
			if table == "users" {
				col = "id"
			}
			var n int
			if err := db.NewSelect().TableExpr(table).ColumnExpr("count(*)").Where(col+" = ?", u.ID).Scan(ctx, &n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%s: %d rows of the deleted user", table, n)
			}
		}
		var keys []string
		if err := db.NewSelect().TableExpr("login_throttles").Column("key").Order("key").Scan(ctx, &keys); err != nil {
			t.Fatal(err)
		}
		if len(keys) != 2 || keys[0] != "login:addr:bob@example.com" || keys[1] != "login:ip:192.0.2.1" {
			t.Errorf("throttles left: %v", keys)
		}
		if n := count(t, db, "web_sessions", other.ID); n != 2 {
			t.Errorf("other user's sessions: %d", n)
		}
		if _, err := s.UserByID(ctx, other.ID); err != nil {
			t.Errorf("other user: %v", err)
		}
		// Deleting a missing user is not an error.
		if err := s.DeleteUser(ctx, u.ID, func(context.Context) error { return nil }); err != nil {
			t.Errorf("again: %v", err)
		}
	})
}

func count(t *testing.T, db *database.DB, table string, userID uuid.UUID) int {
	t.Helper()
	var n int
	if err := db.NewSelect().TableExpr(table).ColumnExpr("count(*)").Where("user_id = ?", userID).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}
