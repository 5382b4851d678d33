package app_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/app"
	"github.com/kontor-app/kontor/modules/identity/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
)

// memRepo is an in-memory Repository with the same contract as the store.
type memRepo struct {
	mu       sync.Mutex
	users    map[uuid.UUID]domain.User
	refresh  map[uuid.UUID]domain.RefreshToken
	keys     map[uuid.UUID]domain.APIKey
	sessions map[uuid.UUID]domain.Session
	// loseNextRotation makes the next RotateRefreshToken behave as if a concurrent
	// request had rotated the token first.
	loseNextRotation bool
	keyUses          int
	throttles        map[string]*memThrottle
	resets           map[uuid.UUID]domain.PasswordReset
}

func newMemRepo() *memRepo {
	return &memRepo{
		users:    map[uuid.UUID]domain.User{},
		refresh:  map[uuid.UUID]domain.RefreshToken{},
		keys:     map[uuid.UUID]domain.APIKey{},
		sessions: map[uuid.UUID]domain.Session{},
	}
}

var _ app.Repository = (*memRepo)(nil)

func (r *memRepo) CreateUser(_ context.Context, u domain.User) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, o := range r.users {
		if o.Email == u.Email {
			return app.ErrEmailTaken
		}
	}
	r.users[u.ID] = u
	return nil
}

func (r *memRepo) UserByID(_ context.Context, id uuid.UUID) (domain.User, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u, ok := r.users[id]
	if !ok {
		return domain.User{}, app.ErrNotFound
	}
	return u, nil
}

func (r *memRepo) UserByEmail(_ context.Context, email string) (domain.User, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range r.users {
		if u.Email == email {
			return u, nil
		}
	}
	return domain.User{}, app.ErrNotFound
}

func (r *memRepo) UpdateUser(_ context.Context, id uuid.UUID, fn func(*domain.User) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	u, ok := r.users[id]
	if !ok {
		return app.ErrNotFound
	}
	if err := fn(&u); err != nil {
		return err
	}
	for oid, o := range r.users {
		if oid != id && o.Email == u.Email {
			return app.ErrEmailTaken
		}
	}
	r.users[id] = u
	return nil
}

func (r *memRepo) CreateRefreshToken(_ context.Context, t domain.RefreshToken) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refresh[t.ID] = t
	return nil
}

func (r *memRepo) RefreshTokenByHash(_ context.Context, hash string) (domain.RefreshToken, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.refresh {
		if t.TokenHash == hash {
			return t, nil
		}
	}
	return domain.RefreshToken{}, app.ErrNotFound
}

func (r *memRepo) RotateRefreshToken(_ context.Context, oldID uuid.UUID, at time.Time, next domain.RefreshToken) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.refresh[oldID]
	if r.loseNextRotation {
		r.loseNextRotation = false
		old.RotatedAt = &at
		r.refresh[oldID] = old
		return false, nil
	}
	if old.RotatedAt != nil || old.RevokedAt != nil {
		return false, nil
	}
	old.RotatedAt = &at
	r.refresh[oldID] = old
	r.refresh[next.ID] = next
	return true, nil
}

func (r *memRepo) RevokeRefreshFamily(_ context.Context, familyID uuid.UUID, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, t := range r.refresh {
		if t.FamilyID == familyID && t.RevokedAt == nil {
			t.RevokedAt = &at
			r.refresh[id] = t
		}
	}
	return nil
}

func (r *memRepo) CreateAPIKey(_ context.Context, k domain.APIKey) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys[k.ID] = k
	return nil
}

func (r *memRepo) APIKeyByID(_ context.Context, id uuid.UUID) (domain.APIKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k, ok := r.keys[id]
	if !ok {
		return domain.APIKey{}, app.ErrNotFound
	}
	return k, nil
}

func (r *memRepo) APIKeyByHash(_ context.Context, hash string) (domain.APIKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range r.keys {
		if k.KeyHash == hash {
			return k, nil
		}
	}
	return domain.APIKey{}, app.ErrNotFound
}

func (r *memRepo) ListAPIKeys(_ context.Context, userID uuid.UUID) ([]domain.APIKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []domain.APIKey
	for _, k := range r.keys {
		if k.UserID == userID {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b domain.APIKey) int { return strings.Compare(b.ID.String(), a.ID.String()) })
	return out, nil
}

func (r *memRepo) UpdateAPIKey(_ context.Context, id uuid.UUID, fn func(*domain.APIKey) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	k, ok := r.keys[id]
	if !ok {
		return app.ErrNotFound
	}
	if err := fn(&k); err != nil {
		return err
	}
	r.keys[id] = k
	return nil
}

func (r *memRepo) RecordAPIKeyUse(_ context.Context, id uuid.UUID, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.keys[id]
	k.LastUsedAt = &at
	r.keys[id] = k
	r.keyUses++
	return nil
}

func (r *memRepo) CreateSession(_ context.Context, s domain.Session) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sessions[s.ID] = s
	return nil
}

func (r *memRepo) SessionByHash(_ context.Context, hash string) (domain.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.sessions {
		if s.TokenHash == hash {
			return s, nil
		}
	}
	return domain.Session{}, app.ErrNotFound
}

func (r *memRepo) DeleteSession(_ context.Context, id uuid.UUID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.sessions, id)
	return nil
}

func (r *memRepo) DeleteExpired(_ context.Context, now time.Time) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n int64
	for id, s := range r.sessions {
		if s.ExpiresAt.Before(now) {
			delete(r.sessions, id)
			n++
		}
	}
	return n, nil
}

// plainHasher stands in for argon2id, which is too slow for hundreds of unit-test
// logins, and counts comparisons so tests can see the dummy check happen.
type plainHasher struct {
	mu       sync.Mutex
	verifies int
}

func (h *plainHasher) Hash(p string) (string, error) { return "plain:" + p, nil }

func (h *plainHasher) Verify(p, encoded string) (bool, error) {
	h.mu.Lock()
	h.verifies++
	h.mu.Unlock()
	return encoded == "plain:"+p, nil
}

// fakeClock is a Clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeAuthz applies the ownership rule of the casbin model and keeps role grants.
type fakeAuthz struct {
	mu    sync.Mutex
	roles map[string][]string
}

func (a *fakeAuthz) Authorize(_ context.Context, s authn.Subject, r authz.Resource, _ string) error {
	if s.UserID.String() == r.Owner {
		return nil
	}
	return apperr.New(apperr.Forbidden, "You do not have access to this %s.", r.Type)
}

func (a *fakeAuthz) Grant(_ context.Context, userID, role string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.roles == nil {
		a.roles = map[string][]string{}
	}
	a.roles[userID] = append(a.roles[userID], role)
	return nil
}

func (a *fakeAuthz) Roles(userID string) ([]string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.roles[userID]), nil
}

type memThrottle struct {
	failures int
	window   time.Time
	locked   time.Time
}

func (r *memRepo) throttle(key string) *memThrottle {
	if r.throttles == nil {
		r.throttles = map[string]*memThrottle{}
	}
	t, ok := r.throttles[key]
	if !ok {
		t = &memThrottle{}
		r.throttles[key] = t
	}
	return t
}

func (r *memRepo) LoginLocks(_ context.Context, keys []string, now time.Time) (map[string]time.Time, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]time.Time{}
	for _, k := range keys {
		if t, ok := r.throttles[k]; ok && t.locked.After(now) {
			out[k] = t.locked
		}
	}
	return out, nil
}

func (r *memRepo) RecordLoginFailure(_ context.Context, key string, now time.Time, limit int, window, lockFor time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.throttle(key)
	if !t.window.After(now.Add(-window)) {
		t.failures, t.window = 0, now
	}
	t.failures++
	if t.failures >= limit {
		t.locked, t.failures, t.window = now.Add(lockFor), 0, now
	}
	return nil
}

func (r *memRepo) ClearLoginFailures(_ context.Context, key string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.throttles, key)
	return nil
}

func (a *fakeAuthz) Forget(_ context.Context, userID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.roles, userID)
	return nil
}

func (r *memRepo) SetPassword(_ context.Context, userID uuid.UUID, hash string, at time.Time, keep uuid.UUID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.setPassword(userID, hash, at, keep)
	return nil
}

func (r *memRepo) setPassword(userID uuid.UUID, hash string, at time.Time, keep uuid.UUID) {
	if u, ok := r.users[userID]; ok {
		u.PasswordHash = hash
		u.UpdatedAt = at
		r.users[userID] = u
	}
	for id, t := range r.refresh {
		if t.UserID == userID && t.RevokedAt == nil {
			t.RevokedAt = &at
			r.refresh[id] = t
		}
	}
	for id, s := range r.sessions {
		if s.UserID == userID && id != keep {
			delete(r.sessions, id)
		}
	}
}

func (r *memRepo) DeleteUser(ctx context.Context, id uuid.UUID, erase func(ctx context.Context) error) error {
	if err := erase(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.users, id)
	for k, t := range r.refresh {
		if t.UserID == id {
			delete(r.refresh, k)
		}
	}
	for k, v := range r.keys {
		if v.UserID == id {
			delete(r.keys, k)
		}
	}
	for k, s := range r.sessions {
		if s.UserID == id {
			delete(r.sessions, k)
		}
	}
	return nil
}

func (r *memRepo) CreatePasswordReset(_ context.Context, pr domain.PasswordReset) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.resets == nil {
		r.resets = map[uuid.UUID]domain.PasswordReset{}
	}
	r.resets[pr.ID] = pr
	return nil
}

func (r *memRepo) PasswordResetByHash(_ context.Context, hash string) (domain.PasswordReset, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, pr := range r.resets {
		if pr.TokenHash == hash {
			return pr, nil
		}
	}
	return domain.PasswordReset{}, app.ErrNotFound
}

func (r *memRepo) UsePasswordReset(_ context.Context, id, userID uuid.UUID, hash string, at time.Time) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pr, ok := r.resets[id]
	if !ok || pr.CheckUsable(at) != nil {
		return false, nil
	}
	pr.UsedAt = &at
	r.resets[id] = pr
	r.setPassword(userID, hash, at, uuid.Nil)
	return true, nil
}
