package idempotency_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/idempotency"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// errorHandler stands in for the application's: the status from the code and a
// problem+json body naming it.
func errorHandler(c *fiber.Ctx, err error) error {
	e, ok := apperr.As(err)
	if !ok {
		e = apperr.Wrap(err, "unexpected error")
	}
	body, merr := json.Marshal(fiber.Map{"code": e.Code, "detail": e.Message})
	if merr != nil {
		return merr
	}
	c.Set(fiber.HeaderContentType, "application/problem+json")
	return c.Status(apperr.Status(e.Code)).Send(body)
}

// testServer is a fiber app behind the middleware whose handlers count how often
// they really ran.
type testServer struct {
	app  *fiber.App
	runs atomic.Int64
	// gate, when set, holds /slow until closed; entered reports that it got there.
	gate    chan struct{}
	entered chan struct{}
}

func newServer(t *testing.T, db *database.DB, opts ...idempotency.Option) *testServer {
	t.Helper()
	s := &testServer{}
	app := fiber.New(fiber.Config{ErrorHandler: errorHandler})
	app.Use(recover.New())
	// The subject as the authn middleware would set it.
	app.Use(func(c *fiber.Ctx) error {
		if id := c.Get("X-Test-User"); id != "" {
			c.SetUserContext(authn.WithSubject(c.UserContext(), authn.Subject{UserID: uuid.MustParse(id)}))
		}
		return c.Next()
	})
	app.Use(idempotency.Middleware(idempotency.NewStore(db, opts...)))
	created := func(c *fiber.Ctx) error {
		n := s.runs.Add(1)
		c.Set(fiber.HeaderLocation, fmt.Sprintf("/things/%d", n))
		c.Set(fiber.HeaderETag, fmt.Sprintf(`"v%d"`, n))
		c.Set("X-Not-Stored", fmt.Sprint(n))
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"run": n, "body": string(c.Body())})
	}
	app.Post("/things", created)
	app.Patch("/things", created)
	app.Delete("/things/:id", func(c *fiber.Ctx) error {
		s.runs.Add(1)
		return c.SendStatus(fiber.StatusNoContent)
	})
	app.Get("/things", func(c *fiber.Ctx) error {
		s.runs.Add(1)
		return c.SendString("list")
	})
	app.Post("/slow", func(c *fiber.Ctx) error {
		s.entered <- struct{}{}
		<-s.gate
		return created(c)
	})
	app.Post("/boom", func(c *fiber.Ctx) error {
		s.runs.Add(1)
		return apperr.Wrap(fmt.Errorf("database is on fire"), "could not create")
	})
	app.Post("/invalid", func(c *fiber.Ctx) error {
		s.runs.Add(1)
		return apperr.Validation(apperr.FieldError{Field: "name", Message: "is required"})
	})
	app.Post("/panic", func(c *fiber.Ctx) error {
		if s.runs.Add(1) == 1 {
			panic("first attempt explodes")
		}
		return c.SendStatus(fiber.StatusCreated)
	})
	s.app = app
	return s
}

type call struct {
	method, path, body, key, user string
	noKey                         bool
}

type result struct {
	status int
	header http.Header
	body   string
}

func (s *testServer) do(t *testing.T, c call) result {
	t.Helper()
	req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	if !c.noKey {
		req.Header.Set(idempotency.HeaderKey, c.key)
	}
	if c.user != "" {
		req.Header.Set("X-Test-User", c.user)
	}
	// Errors, not fatals: do runs in goroutines too.
	res, err := s.app.Test(req, -1)
	if err != nil {
		t.Errorf("%s %s: %v", c.method, c.path, err)
		return result{status: -1}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Errorf("%s %s: read body: %v", c.method, c.path, err)
	}
	return result{status: res.StatusCode, header: res.Header, body: string(b)}
}

func codeOf(t *testing.T, r result) string {
	t.Helper()
	var p struct{ Code string }
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatalf("body %q is not a problem: %v", r.body, err)
	}
	return p.Code
}

func (s *testServer) wantRuns(t *testing.T, want int64) {
	t.Helper()
	if got := s.runs.Load(); got != want {
		t.Fatalf("handler ran %d times, want %d", got, want)
	}
}

func TestReplayReturnsTheFirstResponse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		c := call{method: "POST", path: "/things?tag=a", body: `{"name":"rent"}`, key: "key-1"}
		first := s.do(t, c)
		if first.status != 201 || first.header.Get(idempotency.HeaderReplayed) != "" {
			t.Fatalf("first: %d, replayed %q", first.status, first.header.Get(idempotency.HeaderReplayed))
		}
		for range 2 {
			again := s.do(t, c)
			if again.status != 201 || again.body != first.body {
				t.Fatalf("replay: %d %q, want 201 %q", again.status, again.body, first.body)
			}
			for _, h := range []string{"Content-Type", "Location", "ETag"} {
				if again.header.Get(h) != first.header.Get(h) || first.header.Get(h) == "" {
					t.Errorf("replayed %s = %q, first had %q", h, again.header.Get(h), first.header.Get(h))
				}
			}
			if again.header.Get(idempotency.HeaderReplayed) != "true" {
				t.Errorf("replay lacks %s: true", idempotency.HeaderReplayed)
			}
			if again.header.Get("X-Not-Stored") != "" {
				t.Errorf("replay carries a header that does not matter: X-Not-Stored = %q", again.header.Get("X-Not-Stored"))
			}
		}
		s.wantRuns(t, 1)

		// DELETE with an empty 204 replays just as well.
		del := call{method: "DELETE", path: "/things/7", key: "key-del"}
		if r := s.do(t, del); r.status != 204 {
			t.Fatalf("delete: %d", r.status)
		}
		if r := s.do(t, del); r.status != 204 || r.header.Get(idempotency.HeaderReplayed) != "true" {
			t.Fatalf("delete replay: %d, replayed %q", r.status, r.header.Get(idempotency.HeaderReplayed))
		}
		s.wantRuns(t, 2)
	})
}

func TestSameKeyDifferentRequestIsRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		if r := s.do(t, call{method: "POST", path: "/things", body: `{"a":1}`, key: "k"}); r.status != 201 {
			t.Fatalf("first: %d", r.status)
		}
		for _, c := range []call{
			{method: "POST", path: "/things", body: `{"a":2}`, key: "k"},
			{method: "POST", path: "/things?x=1", body: `{"a":1}`, key: "k"},
			{method: "PATCH", path: "/things", body: `{"a":1}`, key: "k"},
		} {
			r := s.do(t, c)
			if r.status != 422 || codeOf(t, r) != string(apperr.IdempotencyKeyReused) {
				t.Errorf("%s %s %s: %d %s, want 422 %s", c.method, c.path, c.body, r.status, r.body, apperr.IdempotencyKeyReused)
			}
		}
		s.wantRuns(t, 1)
	})
}

func TestRetryWhileRunningIsInProgress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		s.gate, s.entered = make(chan struct{}), make(chan struct{}, 1)
		c := call{method: "POST", path: "/slow", body: "x", key: "slow-1"}
		done := make(chan result, 1)
		go func() { done <- s.do(t, c) }()
		select {
		case <-s.entered:
		case r := <-done:
			t.Fatalf("first request never reached the handler: %d %s", r.status, r.body)
		}

		r := s.do(t, c)
		if r.status != 409 || codeOf(t, r) != string(apperr.IdempotencyInProgress) {
			t.Fatalf("retry while running: %d %s, want 409 %s", r.status, r.body, apperr.IdempotencyInProgress)
		}
		// A different request under the running key is still a reuse.
		if r := s.do(t, call{method: "POST", path: "/slow", body: "y", key: "slow-1"}); r.status != 422 {
			t.Fatalf("different body while running: %d, want 422", r.status)
		}

		close(s.gate)
		first := <-done
		if first.status != 201 {
			t.Fatalf("first: %d %s", first.status, first.body)
		}
		if r := s.do(t, c); r.status != 201 || r.body != first.body || r.header.Get(idempotency.HeaderReplayed) != "true" {
			t.Fatalf("after completion: %d %q replayed=%q", r.status, r.body, r.header.Get(idempotency.HeaderReplayed))
		}
		s.wantRuns(t, 1)
	})
}

func TestConcurrentIdenticalRequestsRunOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		const n = 50
		// The handler holds until every other request has been answered, so all 50
		// surely overlap with the one that runs.
		s.gate, s.entered = make(chan struct{}), make(chan struct{}, n)
		c := call{method: "POST", path: "/slow", body: `{"amount":"12.50"}`, key: "same-moment"}
		results := make(chan result, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		defer wg.Wait()
		var release sync.Once
		defer release.Do(func() { close(s.gate) })
		for range n {
			wg.Go(func() {
				<-start
				results <- s.do(t, c)
			})
		}
		close(start)

		// A guard against a hang, not a timing assertion: if two requests ran the
		// handler, only 48 could answer while it is held.
		stuck := time.After(2 * time.Minute)
		for i := range n - 1 {
			select {
			case r := <-results:
				if r.status != 409 || codeOf(t, r) != string(apperr.IdempotencyInProgress) {
					t.Errorf("response %d while the first runs: %d %s, want 409 %s", i, r.status, r.body, apperr.IdempotencyInProgress)
				}
			case <-stuck:
				t.Fatalf("only %d of %d requests answered while one is held in the handler", i, n-1)
			}
		}
		select {
		case <-s.entered:
		case r := <-results:
			t.Fatalf("no request reached the handler; the last answered %d %s", r.status, r.body)
		}
		release.Do(func() { close(s.gate) })
		if r := <-results; r.status != 201 {
			t.Fatalf("the request that ran: %d %s, want 201", r.status, r.body)
		}
		if extra := len(s.entered); extra > 0 {
			t.Fatalf("%d more requests entered the handler", extra)
		}
		s.wantRuns(t, 1)
	})
}

func TestConcurrentBeginStartsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		store := idempotency.NewStore(db)
		req := idempotency.Request{Scope: "user:1", Key: "race", Method: "POST", Path: "/things", RequestHash: "h"}
		var started atomic.Int64
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				rec, ok, err := store.Begin(context.Background(), req, time.Now())
				switch {
				case err != nil:
					t.Error(err)
				case ok:
					started.Add(1)
				case rec.State != idempotency.StateRunning || !rec.Matches(req):
					t.Errorf("loser saw %+v", rec)
				}
			})
		}
		wg.Wait()
		if got := started.Load(); got != 1 {
			t.Fatalf("%d of 50 simultaneous Begin calls started, want exactly 1", got)
		}
	})
}

func TestServerErrorsAreNotStored(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		c := call{method: "POST", path: "/boom", body: "x", key: "boom-1"}
		for i := range 2 {
			r := s.do(t, c)
			if r.status != 500 || r.header.Get(idempotency.HeaderReplayed) != "" {
				t.Fatalf("attempt %d: %d replayed=%q, want a fresh 500", i, r.status, r.header.Get(idempotency.HeaderReplayed))
			}
		}
		s.wantRuns(t, 2)
		if _, found, err := idempotency.NewStore(db).Get(context.Background(), "ip:0.0.0.0", "boom-1"); err != nil || found {
			t.Fatalf("key after a 500: found=%v err=%v, want none", found, err)
		}
	})
}

func TestClientErrorsAreStoredAndReplayed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		c := call{method: "POST", path: "/invalid", body: "{}", key: "invalid-1"}
		first := s.do(t, c)
		again := s.do(t, c)
		if first.status != 422 || again.status != 422 || again.body != first.body {
			t.Fatalf("first %d %q, again %d %q", first.status, first.body, again.status, again.body)
		}
		if again.header.Get("Content-Type") != "application/problem+json" || again.header.Get(idempotency.HeaderReplayed) != "true" {
			t.Fatalf("replayed error: Content-Type %q, replayed %q", again.header.Get("Content-Type"), again.header.Get(idempotency.HeaderReplayed))
		}
		s.wantRuns(t, 1)
	})
}

func TestPanicReleasesTheKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		c := call{method: "POST", path: "/panic", key: "panic-1"}
		if r := s.do(t, c); r.status != 500 {
			t.Fatalf("panicking attempt: %d, want 500", r.status)
		}
		if r := s.do(t, c); r.status != 201 {
			t.Fatalf("retry after the panic: %d, want 201 (run again)", r.status)
		}
		s.wantRuns(t, 2)
	})
}

func TestKeysAreScopedToTheCaller(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		alice, bob := uuid.NewString(), uuid.NewString()
		for _, user := range []string{alice, bob, ""} {
			r := s.do(t, call{method: "POST", path: "/things", body: "same", key: "shared-key", user: user})
			if r.status != 201 || r.header.Get(idempotency.HeaderReplayed) != "" {
				t.Fatalf("user %q: %d replayed=%q, want a fresh 201", user, r.status, r.header.Get(idempotency.HeaderReplayed))
			}
		}
		s.wantRuns(t, 3)
		r := s.do(t, call{method: "POST", path: "/things", body: "same", key: "shared-key", user: alice})
		if r.header.Get(idempotency.HeaderReplayed) != "true" || !strings.Contains(r.body, `"run":1`) {
			t.Fatalf("alice's retry: %q replayed=%q, want her own first response", r.body, r.header.Get(idempotency.HeaderReplayed))
		}
		// Bob's different body under the same key is his own business: no conflict
		// with Alice, but a reuse of his own key.
		if r := s.do(t, call{method: "POST", path: "/things", body: "other", key: "shared-key", user: bob}); r.status != 422 {
			t.Fatalf("bob reusing his key: %d, want 422", r.status)
		}
		s.wantRuns(t, 3)
	})
}

func TestExpiredKeysRunAgain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		c := call{method: "POST", path: "/things", body: "x", key: "old"}
		if r := s.do(t, c); r.status != 201 {
			t.Fatalf("first: %d", r.status)
		}
		expire(t, db, "old")
		r := s.do(t, c)
		if r.status != 201 || r.header.Get(idempotency.HeaderReplayed) != "" {
			t.Fatalf("after expiry: %d replayed=%q, want a fresh 201", r.status, r.header.Get(idempotency.HeaderReplayed))
		}
		s.wantRuns(t, 2)
		if r := s.do(t, c); r.header.Get(idempotency.HeaderReplayed) != "true" || !strings.Contains(r.body, `"run":2`) {
			t.Fatalf("retry of the new run: %q replayed=%q", r.body, r.header.Get(idempotency.HeaderReplayed))
		}
		s.wantRuns(t, 2)

		// A running key left behind by a crashed instance also frees up on expiry.
		store := idempotency.NewStore(db)
		stuck := idempotency.Request{Scope: "ip:0.0.0.0", Key: "stuck", Method: "POST", Path: "/things", RequestHash: "h"}
		if _, started, err := store.Begin(context.Background(), stuck, time.Now()); err != nil || !started {
			t.Fatalf("Begin: started=%v err=%v", started, err)
		}
		expire(t, db, "stuck")
		if r := s.do(t, call{method: "POST", path: "/things", body: "x", key: "stuck"}); r.status != 201 {
			t.Fatalf("request on an expired running key: %d, want 201", r.status)
		}
	})
}

// expire moves key's expiry into the past.
func expire(t *testing.T, db *database.DB, key string) {
	t.Helper()
	_, err := db.NewUpdate().Table("idempotency_keys").
		Set("expires_at = ?", time.Now().Add(-time.Minute).UTC()).
		Where("key = ?", key).
		Exec(context.Background())
	if err != nil {
		t.Fatal(err)
	}
}

func TestKeyValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		for _, key := range []string{"", strings.Repeat("k", 256), "café", "tab\there"} {
			r := s.do(t, call{method: "POST", path: "/things", key: key})
			if r.status != 400 || codeOf(t, r) != string(apperr.BadRequest) || !strings.Contains(r.body, idempotency.HeaderKey) {
				t.Errorf("key %q: %d %s, want 400 naming %s", key, r.status, r.body, idempotency.HeaderKey)
			}
		}
		s.wantRuns(t, 0)
		for _, key := range []string{strings.Repeat("k", 255), "a", "with space and ~!@#$%^&*()"} {
			if r := s.do(t, call{method: "POST", path: "/things", key: key}); r.status != 201 {
				t.Errorf("key %q: %d, want 201", key, r.status)
			}
		}
	})
}

func TestRequestsWithoutKeyOrOnOtherMethodsPassThrough(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		for range 2 {
			if r := s.do(t, call{method: "POST", path: "/things", body: "x", noKey: true}); r.status != 201 || r.header.Get(idempotency.HeaderReplayed) != "" {
				t.Fatalf("POST without key: %d", r.status)
			}
			if r := s.do(t, call{method: "GET", path: "/things", key: "get-key"}); r.status != 200 || r.header.Get(idempotency.HeaderReplayed) != "" {
				t.Fatalf("GET with key: %d", r.status)
			}
		}
		s.wantRuns(t, 4)
	})
}
