package ratelimit

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
)

// The headers of API.md that every rate-limited response carries.
const (
	HeaderLimit     = "X-RateLimit-Limit"
	HeaderRemaining = "X-RateLimit-Remaining"
	HeaderReset     = "X-RateLimit-Reset"
)

// storeTimeout bounds one Take, so that a slow store delays a request only briefly
// before the limiter fails open.
const storeTimeout = time.Second

// failureLogEvery throttles the log of store failures, which would otherwise repeat
// on every request while Redis is down.
const failureLogEvery = 10 * time.Second

// failOpenFor is how long the limiter leaves a failed store alone before trying it
// again, so that an outage costs one slow request now and then, not every request.
const failOpenFor = 5 * time.Second

// Limiter applies policies to requests through fiber handlers.
type Limiter struct {
	store    Store
	policies Policies
	disabled bool
	now      func() time.Time
	// lastFailureLog holds the unix nanoseconds of the last logged store failure.
	lastFailureLog atomic.Int64
	// bypassUntil holds the unix nanoseconds until which the store is not asked.
	bypassUntil atomic.Int64
}

// NewLimiter returns a limiter taking tokens from store. When disabled, its handlers
// let every request through without headers.
func NewLimiter(store Store, p Policies, disabled bool) *Limiter {
	return &Limiter{store: store, policies: p, disabled: disabled, now: time.Now}
}

// Policies returns the policies the limiter was built with.
func (l *Limiter) Policies() Policies { return l.policies }

// Refused answers a request the limiter refused, instead of the error handler's
// generic answer: a page shows its form again with err's message and wait. err is
// the RateLimited error with RetryAfter set; the Retry-After header is already set
// when Refused runs.
type Refused func(c *fiber.Ctx, err *apperr.Error) error

// Handler returns middleware that takes a token from the bucket of policy p named by
// key(c), sets the X-RateLimit headers, and refuses the request with RateLimited and
// a Retry-After when the bucket is empty.
func (l *Limiter) Handler(p Policy, key func(c *fiber.Ctx) string) fiber.Handler {
	return l.HandlerOr(p, key, nil)
}

// HandlerOr is Handler whose refusals refused answers, when it is not nil.
func (l *Limiter) HandlerOr(p Policy, key func(c *fiber.Ctx) string, refused Refused) fiber.Handler {
	if key == nil {
		key = ByIP
	}
	return func(c *fiber.Ctx) error {
		if l.disabled {
			return c.Next()
		}
		now := l.now()
		// Fail open: a broken store (Redis down, say) must not take the whole API
		// down with it. The limit is a guard against abuse, not a correctness rule,
		// so serving unlimited, without rate-limit headers, for a while is the lesser
		// harm. After a failure the store is left alone for failOpenFor.
		if now.UnixNano() < l.bypassUntil.Load() {
			return c.Next()
		}
		ctx, cancel := context.WithTimeout(c.UserContext(), storeTimeout)
		d, err := l.store.Take(ctx, p.Name+":"+key(c), p, now)
		cancel()
		if err != nil {
			l.bypassUntil.Store(now.Add(failOpenFor).UnixNano())
			l.logFailure(c, p, err, now)
			return c.Next()
		}
		c.Set(HeaderLimit, strconv.Itoa(d.Limit))
		c.Set(HeaderRemaining, strconv.Itoa(d.Remaining))
		c.Set(HeaderReset, strconv.FormatInt(ceilUnix(d.Reset), 10))
		if !d.Allowed {
			wait := ceilSeconds(d.RetryAfter)
			err := apperr.New(apperr.RateLimited, "Too many requests; try again in a moment.").WithRetryAfter(wait)
			if refused != nil {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(wait))
				return refused(c, err)
			}
			return err
		}
		return c.Next()
	}
}

func (l *Limiter) logFailure(c *fiber.Ctx, p Policy, err error, now time.Time) {
	last := l.lastFailureLog.Load()
	if now.UnixNano()-last < int64(failureLogEvery) || !l.lastFailureLog.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	slog.WarnContext(c.UserContext(), "rate-limit store failed; allowing requests unlimited until it recovers",
		"policy", p.Name, "error", err.Error())
}

// ByIP keys a bucket by the client's IP address.
func ByIP(c *fiber.Ctx) string {
	return c.IP()
}

// ByUser keys a bucket by the authenticated user, falling back to the client's IP
// address when the request carries no Subject.
func ByUser(c *fiber.Ctx) string {
	if s, ok := authn.FromContext(c.UserContext()); ok && s.UserID != uuid.Nil {
		return s.UserID.String()
	}
	return ByIP(c)
}

// ceilUnix returns t in unix seconds, rounded up so that the bucket is surely full
// at the time announced.
func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// ceilSeconds returns d in whole seconds, rounded up and at least one, so a client
// that waits as told finds a token.
func ceilSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
