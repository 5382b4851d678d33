package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/app"
	"github.com/kontor-app/kontor/modules/identity/internal/domain"
	"github.com/kontor-app/kontor/modules/identity/internal/store"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// t0 has microseconds, the precision both engines keep.
var t0 = time.Date(2026, 11, 21, 10, 0, 0, 123456000, time.UTC)

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

func mustUser(t *testing.T, s *store.Store, email string) domain.User {
	t.Helper()
	u, err := domain.NewUser(newID(), email, "Ada Lovelace", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func TestUsers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		u := mustUser(t, s, "ada@example.com")

		byID, err := s.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		byEmail, err := s.UserByEmail(ctx, "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range []domain.User{byID, byEmail} {
			if got.ID != u.ID || got.Email != u.Email || got.Name != u.Name || got.PasswordHash != u.PasswordHash ||
				!got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0) || got.LockedUntil != nil || got.FailedLogins != 0 ||
				got.CreatedAt.Location() != time.UTC {
				t.Errorf("read back %+v, want %+v", got, u)
			}
		}

		dup, _ := domain.NewUser(newID(), "ada@example.com", "Other", "h", t0)
		if err := s.CreateUser(ctx, dup); !errors.Is(err, app.ErrEmailTaken) {
			t.Errorf("duplicate e-mail: %v, want ErrEmailTaken", err)
		}
		if _, err := s.UserByID(ctx, newID()); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("unknown id: %v", err)
		}
		if _, err := s.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("unknown e-mail: %v", err)
		}

		lock := t0.Add(15 * time.Minute)
		err = s.UpdateUser(ctx, u.ID, func(u *domain.User) error {
			u.FailedLogins = 3
			u.LockedUntil = &lock
			u.UpdatedAt = t0.Add(time.Second)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.UserByID(ctx, u.ID)
		if got.FailedLogins != 3 || !sameTime(got.LockedUntil, &lock) || !got.UpdatedAt.Equal(t0.Add(time.Second)) {
			t.Errorf("after update: %+v", got)
		}

		boom := errors.New("boom")
		err = s.UpdateUser(ctx, u.ID, func(u *domain.User) error {
			u.FailedLogins = 99
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("fn error: %v", err)
		}
		if got, _ := s.UserByID(ctx, u.ID); got.FailedLogins != 3 {
			t.Errorf("a failed update was saved: %+v", got)
		}
		if err := s.UpdateUser(ctx, newID(), func(*domain.User) error { return nil }); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("update unknown: %v", err)
		}
	})
}

// TestUpdateUserSerialises runs concurrent read-modify-write updates: none may be
// lost, which is what lets the lockout count every failure.
func TestUpdateUserSerialises(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		u := mustUser(t, s, "ada@example.com")
		const n = 12
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				errs <- s.UpdateUser(ctx, u.ID, func(u *domain.User) error {
					u.FailedLogins++
					return nil
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, _ := s.UserByID(ctx, u.ID)
		if got.FailedLogins != n {
			t.Errorf("FailedLogins = %d, want %d", got.FailedLogins, n)
		}
	})
}

func TestRefreshTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		u := mustUser(t, s, "ada@example.com")

		first, secret, err := domain.NewRefreshToken(newID(), u.ID, uuid.Nil, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateRefreshToken(ctx, first); err != nil {
			t.Fatal(err)
		}
		got, err := s.RefreshTokenByHash(ctx, domain.HashSecret(secret))
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != first.ID || got.FamilyID != first.FamilyID || got.UserID != u.ID || !got.ExpiresAt.Equal(first.ExpiresAt) ||
			got.RotatedAt != nil || got.RevokedAt != nil {
			t.Errorf("read back %+v, want %+v", got, first)
		}
		if _, err := s.RefreshTokenByHash(ctx, domain.HashSecret("nope")); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("unknown hash: %v", err)
		}

		second, secret2, _ := domain.NewRefreshToken(newID(), u.ID, first.FamilyID, t0.Add(time.Minute))
		won, err := s.RotateRefreshToken(ctx, first.ID, t0.Add(time.Minute), second)
		if err != nil || !won {
			t.Fatalf("rotate: %v, %v", won, err)
		}
		old, _ := s.RefreshTokenByHash(ctx, domain.HashSecret(secret))
		if !sameTime(old.RotatedAt, new(t0.Add(time.Minute))) {
			t.Errorf("old token rotated_at = %v", old.RotatedAt)
		}
		if _, err := s.RefreshTokenByHash(ctx, domain.HashSecret(secret2)); err != nil {
			t.Errorf("successor not stored: %v", err)
		}

		third, secret3, _ := domain.NewRefreshToken(newID(), u.ID, first.FamilyID, t0.Add(2*time.Minute))
		won, err = s.RotateRefreshToken(ctx, first.ID, t0.Add(2*time.Minute), third)
		if err != nil || won {
			t.Fatalf("second rotation of one token: won=%v, %v", won, err)
		}
		if _, err := s.RefreshTokenByHash(ctx, domain.HashSecret(secret3)); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("the loser's successor was stored: %v", err)
		}

		// Another family must survive the revocation of the first.
		other, otherSecret, _ := domain.NewRefreshToken(newID(), u.ID, uuid.Nil, t0)
		if err := s.CreateRefreshToken(ctx, other); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeRefreshFamily(ctx, first.FamilyID, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, sec := range []string{secret, secret2} {
			tok, _ := s.RefreshTokenByHash(ctx, domain.HashSecret(sec))
			if !sameTime(tok.RevokedAt, new(t0.Add(time.Hour))) {
				t.Errorf("family token %v revoked_at = %v", tok.ID, tok.RevokedAt)
			}
		}
		if tok, _ := s.RefreshTokenByHash(ctx, domain.HashSecret(otherSecret)); tok.RevokedAt != nil {
			t.Error("a token of another family was revoked")
		}
		// A revoked token cannot be rotated.
		if err := s.RevokeRefreshFamily(ctx, other.FamilyID, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		next, _, _ := domain.NewRefreshToken(newID(), u.ID, other.FamilyID, t0.Add(time.Hour))
		if won, err := s.RotateRefreshToken(ctx, other.ID, t0.Add(time.Hour), next); err != nil || won {
			t.Errorf("rotating a revoked token: won=%v, %v", won, err)
		}
	})
}

// TestConcurrentRotation lets several requests exchange one refresh token at once:
// exactly one may win.
func TestConcurrentRotation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		u := mustUser(t, s, "ada@example.com")
		tok, _, _ := domain.NewRefreshToken(newID(), u.ID, uuid.Nil, t0)
		if err := s.CreateRefreshToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range n {
			wg.Go(func() {
				next, _, _ := domain.NewRefreshToken(newID(), u.ID, tok.FamilyID, t0)
				won, err := s.RotateRefreshToken(ctx, tok.ID, t0.Add(time.Second), next)
				if err != nil {
					t.Error(err)
				}
				if won {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d rotations won, want exactly 1", wins)
		}
		var count int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM refresh_tokens WHERE family_id = ?", tok.FamilyID.String()).Scan(&count); err != nil {
			t.Fatal(err)
		}
		if count != 2 {
			t.Errorf("family holds %d tokens, want 2", count)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		ada := mustUser(t, s, "ada@example.com")
		bob := mustUser(t, s, "bob@example.com")

		var keys []domain.APIKey
		var secrets []string
		for i := range 3 {
			var exp *time.Time
			if i == 1 {
				exp = new(t0.Add(24 * time.Hour))
			}
			k, secret, err := domain.NewAPIKey(newID(), ada.ID, fmt.Sprintf("key %d", i), exp, t0.Add(time.Duration(i)*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateAPIKey(ctx, k); err != nil {
				t.Fatal(err)
			}
			keys, secrets = append(keys, k), append(secrets, secret)
		}
		bobKey, _, _ := domain.NewAPIKey(newID(), bob.ID, "bob", nil, t0)
		if err := s.CreateAPIKey(ctx, bobKey); err != nil {
			t.Fatal(err)
		}

		got, err := s.APIKeyByHash(ctx, domain.HashSecret(secrets[1]))
		if err != nil {
			t.Fatal(err)
		}
		want := keys[1]
		if got.ID != want.ID || got.UserID != ada.ID || got.Name != "key 1" || got.Prefix != want.Prefix ||
			got.KeyHash != want.KeyHash || !got.CreatedAt.Equal(want.CreatedAt) || !sameTime(got.ExpiresAt, want.ExpiresAt) ||
			got.LastUsedAt != nil || got.RevokedAt != nil {
			t.Errorf("read back %+v, want %+v", got, want)
		}
		if byID, err := s.APIKeyByID(ctx, keys[0].ID); err != nil || byID.ID != keys[0].ID || byID.ExpiresAt != nil {
			t.Errorf("by id: %+v, %v", byID, err)
		}
		if _, err := s.APIKeyByID(ctx, newID()); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("unknown id: %v", err)
		}
		if _, err := s.APIKeyByHash(ctx, "0000"); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("unknown hash: %v", err)
		}

		list, err := s.ListAPIKeys(ctx, ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 || list[0].ID != keys[2].ID || list[1].ID != keys[1].ID || list[2].ID != keys[0].ID {
			t.Errorf("list order: %v", list)
		}
		if none, _ := s.ListAPIKeys(ctx, newID()); len(none) != 0 {
			t.Errorf("stranger's list: %v", none)
		}

		if err := s.RecordAPIKeyUse(ctx, keys[0].ID, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		err = s.UpdateAPIKey(ctx, keys[0].ID, func(k *domain.APIKey) error {
			k.Revoke(t0.Add(2 * time.Hour))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		k0, _ := s.APIKeyByID(ctx, keys[0].ID)
		if !sameTime(k0.LastUsedAt, new(t0.Add(time.Hour))) || !sameTime(k0.RevokedAt, new(t0.Add(2*time.Hour))) || k0.Name != "key 0" {
			t.Errorf("after use and revoke: %+v", k0)
		}
		if err := s.UpdateAPIKey(ctx, newID(), func(*domain.APIKey) error { return nil }); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("update unknown: %v", err)
		}
	})
}

func TestSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		u := mustUser(t, s, "ada@example.com")
		sess, token, err := domain.NewSession(newID(), u.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		got, err := s.SessionByHash(ctx, domain.HashSecret(token))
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != sess.ID || got.UserID != u.ID || !got.CreatedAt.Equal(t0) || !got.ExpiresAt.Equal(sess.ExpiresAt) {
			t.Errorf("read back %+v, want %+v", got, sess)
		}
		if err := s.DeleteSession(ctx, sess.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionByHash(ctx, domain.HashSecret(token)); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("deleted session: %v", err)
		}
		if err := s.DeleteSession(ctx, sess.ID); err != nil {
			t.Errorf("deleting twice: %v", err)
		}
	})
}

func TestDeleteExpired(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		u := mustUser(t, s, "ada@example.com")

		oldSess, oldToken, _ := domain.NewSession(newID(), u.ID, t0)
		newSess, newToken, _ := domain.NewSession(newID(), u.ID, t0.Add(30*24*time.Hour))
		for _, sess := range []domain.Session{oldSess, newSess} {
			if err := s.CreateSession(ctx, sess); err != nil {
				t.Fatal(err)
			}
		}
		// A dead family: one token, long expired. A live family: an expired token
		// rotated into a live one; both must stay so a replay is still recognised.
		dead, _, _ := domain.NewRefreshToken(newID(), u.ID, uuid.Nil, t0)
		oldLive, _, _ := domain.NewRefreshToken(newID(), u.ID, uuid.Nil, t0)
		newLive, _, _ := domain.NewRefreshToken(newID(), u.ID, oldLive.FamilyID, t0.Add(40*24*time.Hour))
		for _, tok := range []domain.RefreshToken{dead, oldLive, newLive} {
			if err := s.CreateRefreshToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}

		now := t0.Add(43 * 24 * time.Hour) // past the old session (14 days), dead and oldLive (30 days)
		n, err := s.DeleteExpired(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("deleted %d rows, want 2 (one session, one dead family)", n)
		}
		if _, err := s.SessionByHash(ctx, domain.HashSecret(oldToken)); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("expired session kept: %v", err)
		}
		if _, err := s.SessionByHash(ctx, domain.HashSecret(newToken)); err != nil {
			t.Errorf("live session deleted: %v", err)
		}
		if _, err := s.RefreshTokenByHash(ctx, oldLive.TokenHash); err != nil {
			t.Errorf("expired token of a live family deleted: %v", err)
		}
		if _, err := s.RefreshTokenByHash(ctx, dead.TokenHash); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("dead family kept: %v", err)
		}
	})
}
