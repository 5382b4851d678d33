package ratelimit

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/config"
)

// errorHandler stands in for the application's: status from the code, Retry-After
// from the error.
func errorHandler(c *fiber.Ctx, err error) error {
	e, ok := apperr.As(err)
	if !ok {
		return c.SendStatus(http.StatusInternalServerError)
	}
	if e.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(e.RetryAfter))
	}
	return c.Status(apperr.Status(e.Code)).JSON(fiber.Map{"code": e.Code})
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func newApp(l *Limiter, p Policy, key func(*fiber.Ctx) string) *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: errorHandler})
	app.Use(func(c *fiber.Ctx) error {
		if id := c.Get("X-Test-User"); id != "" {
			c.SetUserContext(authn.WithSubject(c.UserContext(), authn.Subject{UserID: uuid.MustParse(id)}))
		}
		return c.Next()
	})
	app.Get("/", l.Handler(p, key), func(c *fiber.Ctx) error { return c.SendString("ok") })
	return app
}

func get(t *testing.T, app *fiber.App, user string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if user != "" {
		req.Header.Set("X-Test-User", user)
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestHandlerSetsHeadersAndRefusesWith429(t *testing.T) {
	p := Policy{Name: "AUTH", Burst: 2, PerMinute: 2} // one token every 30 s
	clk := &clock{now: t0.Add(500 * time.Millisecond)}
	l := NewLimiter(NewMemoryStore(), Policies{Auth: p}, false)
	l.now = clk.Now
	app := newApp(l, p, ByIP)

	check := func(res *http.Response, status int, remaining string, reset time.Time, retryAfter string) {
		t.Helper()
		if res.StatusCode != status {
			t.Errorf("status = %d, want %d", res.StatusCode, status)
		}
		for name, want := range map[string]string{
			"X-RateLimit-Limit":     "2",
			"X-RateLimit-Remaining": remaining,
			"X-RateLimit-Reset":     strconv.FormatInt(reset.Unix(), 10),
			"Retry-After":           retryAfter,
		} {
			if got := res.Header.Get(name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
	}
	// Reset is in whole seconds, rounded up: the bucket is full at 30.5 s, said 31 s.
	check(get(t, app, ""), 200, "1", t0.Add(31*time.Second), "")
	check(get(t, app, ""), 200, "0", t0.Add(61*time.Second), "")
	check(get(t, app, ""), 429, "0", t0.Add(61*time.Second), "30")
	clk.now = clk.now.Add(20*time.Second + 100*time.Millisecond)
	// 9.9 s until a token: Retry-After rounds up to 10.
	check(get(t, app, ""), 429, "0", t0.Add(61*time.Second), "10")
	clk.now = clk.now.Add(10 * time.Second)
	check(get(t, app, ""), 200, "0", t0.Add(91*time.Second), "")
}

func TestByUserKeysBucketsPerUser(t *testing.T) {
	p := Policy{Name: "API_READ", Burst: 1, PerMinute: 1}
	l := NewLimiter(NewMemoryStore(), Policies{Read: p}, false)
	app := newApp(l, p, ByUser)
	alice, bob := uuid.NewString(), uuid.NewString()
	if res := get(t, app, alice); res.StatusCode != 200 {
		t.Fatalf("alice first: %d", res.StatusCode)
	}
	if res := get(t, app, alice); res.StatusCode != 429 {
		t.Fatalf("alice second: %d, want 429", res.StatusCode)
	}
	if res := get(t, app, bob); res.StatusCode != 200 {
		t.Fatalf("bob, same IP, own bucket: %d, want 200", res.StatusCode)
	}
	// Without a Subject the bucket is the IP's, separate from both users'.
	if res := get(t, app, ""); res.StatusCode != 200 {
		t.Fatalf("anonymous: %d, want 200", res.StatusCode)
	}
}

func TestPoliciesShareNoBuckets(t *testing.T) {
	store := NewMemoryStore()
	auth := Policy{Name: "AUTH", Burst: 1, PerMinute: 1}
	write := Policy{Name: "API_WRITE", Burst: 1, PerMinute: 1}
	l := NewLimiter(store, Policies{Auth: auth, Write: write}, false)
	if res := get(t, newApp(l, auth, ByIP), ""); res.StatusCode != 200 {
		t.Fatalf("AUTH: %d", res.StatusCode)
	}
	if res := get(t, newApp(l, write, ByIP), ""); res.StatusCode != 200 {
		t.Fatalf("API_WRITE for the same IP: %d, want 200", res.StatusCode)
	}
}

func TestDisabledLimiterAddsNothing(t *testing.T) {
	p := Policy{Name: "AUTH", Burst: 1, PerMinute: 1}
	app := newApp(NewLimiter(NewMemoryStore(), Policies{Auth: p}, true), p, ByIP)
	for range 3 {
		res := get(t, app, "")
		if res.StatusCode != 200 || res.Header.Get("X-RateLimit-Limit") != "" {
			t.Fatalf("disabled limiter: status %d, X-RateLimit-Limit %q", res.StatusCode, res.Header.Get("X-RateLimit-Limit"))
		}
	}
}

// flakyStore fails while broken is set and counts the calls it gets.
type flakyStore struct {
	Store
	broken bool
	calls  int
}

func (s *flakyStore) Take(ctx context.Context, key string, p Policy, now time.Time) (Decision, error) {
	s.calls++
	if s.broken {
		return Decision{}, errors.New("redis: connection refused")
	}
	return s.Store.Take(ctx, key, p, now)
}

func TestStoreFailureFailsOpen(t *testing.T) {
	p := Policy{Name: "AUTH", Burst: 1, PerMinute: 1}
	store := &flakyStore{Store: NewMemoryStore(), broken: true}
	clk := &clock{now: t0}
	l := NewLimiter(store, Policies{Auth: p}, false)
	l.now = clk.Now
	app := newApp(l, p, ByIP)
	for range 3 {
		if res := get(t, app, ""); res.StatusCode != 200 || res.Header.Get("X-RateLimit-Limit") != "" {
			t.Fatalf("broken store: status %d, X-RateLimit-Limit %q; want 200 without headers", res.StatusCode, res.Header.Get("X-RateLimit-Limit"))
		}
	}
	if store.calls != 1 {
		t.Fatalf("store asked %d times during the outage, want once and then left alone", store.calls)
	}
	// Once the pause is over and the store is back, limits apply again.
	store.broken = false
	clk.now = clk.now.Add(failOpenFor)
	if res := get(t, app, ""); res.StatusCode != 200 || res.Header.Get("X-RateLimit-Limit") != "1" {
		t.Fatalf("recovered store: status %d, X-RateLimit-Limit %q", res.StatusCode, res.Header.Get("X-RateLimit-Limit"))
	}
	if res := get(t, app, ""); res.StatusCode != 429 {
		t.Fatalf("recovered store, empty bucket: status %d, want 429", res.StatusCode)
	}
}

func TestRedisBackedHandlerAcrossInstances(t *testing.T) {
	p := Policy{Name: "AUTH", Burst: 3, PerMinute: 3}
	bucket := uniqueKey(t)
	key := func(*fiber.Ctx) string { return bucket }
	one := newApp(NewLimiter(newRedisStore(t), Policies{Auth: p}, false), p, key)
	two := newApp(NewLimiter(newRedisStore(t), Policies{Auth: p}, false), p, key)
	for i, app := range []*fiber.App{one, two, one} {
		if res := get(t, app, ""); res.StatusCode != 200 || res.Header.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) {
			t.Fatalf("request %d: status %d, remaining %q", i, res.StatusCode, res.Header.Get("X-RateLimit-Remaining"))
		}
	}
	res := get(t, two, "")
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" {
		t.Fatalf("fourth request on the other instance: status %d, Retry-After %q; want 429 with Retry-After",
			res.StatusCode, res.Header.Get("Retry-After"))
	}
}

func TestPoliciesFrom(t *testing.T) {
	cfg, err := config.Load(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	want := Policies{
		Auth:  Policy{Name: "AUTH", Burst: 5, PerMinute: 5},
		Read:  Policy{Name: "API_READ", Burst: 100, PerMinute: 100},
		Write: Policy{Name: "API_WRITE", Burst: 50, PerMinute: 50},
		Sync:  Policy{Name: "PROVIDER_SYNC", Burst: 10, PerMinute: 5},

		AuthFailure: Policy{Name: "AUTH_FAILURE", Burst: 20, PerMinute: 20},
	}
	if got := PoliciesFrom(cfg); got != want {
		t.Fatalf("PoliciesFrom(defaults) = %+v, want %+v", got, want)
	}
}

func TestModule(t *testing.T) {
	cfg, err := config.Load(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.ValidateApp(Module, fx.Supply(cfg), fx.Invoke(func(*Limiter) {}), fx.NopLogger); err != nil {
		t.Fatal(err)
	}

	t.Run("memory", func(t *testing.T) {
		var l *Limiter
		app := fxtest.New(t, Module, fx.Supply(cfg), fx.Populate(&l))
		app.RequireStart().RequireStop()
		if _, ok := l.store.(*MemoryStore); !ok {
			t.Fatalf("store without KONTOR_REDIS_URL = %T, want *MemoryStore", l.store)
		}
	})
	t.Run("redis", func(t *testing.T) {
		cfg := cfg
		cfg.RedisURL = redisURL(t)
		var l *Limiter
		app := fxtest.New(t, Module, fx.Supply(cfg), fx.Populate(&l))
		app.RequireStart()
		rs, ok := l.store.(*RedisStore)
		if !ok {
			t.Fatalf("store with KONTOR_REDIS_URL = %T, want *RedisStore", l.store)
		}
		app.RequireStop()
		if err := rs.client.Ping(context.Background()).Err(); err == nil {
			t.Fatal("Redis client still open after the fx app stopped")
		}
	})
	t.Run("unreachable redis", func(t *testing.T) {
		cfg := cfg
		cfg.RedisURL = "redis://127.0.0.1:1"
		err := fx.New(Module, fx.Supply(cfg), fx.Invoke(func(*Limiter) {}), fx.NopLogger).Err()
		if err == nil {
			t.Fatal("fx app with an unreachable Redis built without error")
		}
	})
}

// TestHandlerOrHandsRefusalsToTheirRenderer: a page answers its own refusals
// (the form again, with the wait) through HandlerOr, with Retry-After already
// set; the request's handler never runs; allowed requests are not touched.
func TestHandlerOrHandsRefusalsToTheirRenderer(t *testing.T) {
	p := Policy{Name: "AUTH", Burst: 1, PerMinute: 4} // one token every 15 s
	clk := &clock{now: t0}
	l := NewLimiter(NewMemoryStore(), Policies{Auth: p}, false)
	l.now = clk.Now
	var handled int
	var got *apperr.Error
	app := fiber.New(fiber.Config{ErrorHandler: errorHandler})
	app.Get("/", l.HandlerOr(p, ByIP, func(c *fiber.Ctx, err *apperr.Error) error {
		got = err
		return c.Status(http.StatusTooManyRequests).SendString("form, wait " + c.GetRespHeader(fiber.HeaderRetryAfter))
	}), func(c *fiber.Ctx) error { handled++; return c.SendString("ok") })

	if res := get(t, app, ""); res.StatusCode != http.StatusOK || got != nil {
		t.Fatalf("first request: %d, refused %v", res.StatusCode, got)
	}
	res := get(t, app, "")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "15" {
		t.Fatalf("second request: %d, Retry-After %q; want 429 and 15", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if got == nil || got.Code != apperr.RateLimited || got.RetryAfter != 15 {
		t.Fatalf("the renderer got %+v, want RateLimited with RetryAfter 15", got)
	}
	body := make([]byte, 64)
	n, _ := res.Body.Read(body)
	if string(body[:n]) != "form, wait 15" {
		t.Errorf("body %q: the renderer's answer was not sent", body[:n])
	}
	if handled != 1 {
		t.Errorf("the handler ran %d times, want once (the refused request must not reach it)", handled)
	}
}
