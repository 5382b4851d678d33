package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"github.com/kontor-app/kontor/platform/apperr"
)

// Peeker is a Store that can also tell whether a bucket holds a token without
// taking one. Both stores are Peekers.
type Peeker interface {
	Peek(ctx context.Context, key string, p Policy, now time.Time) (Decision, error)
}

// Peek implements Peeker: the decision a Take would get, without the take.
func (s *MemoryStore) Peek(_ context.Context, key string, p Policy, now time.Time) (Decision, error) {
	if err := p.validate(); err != nil {
		return Decision{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[key]
	if !ok {
		return decide(p, true, float64(p.Burst), now), nil
	}
	tokens := refill(p, b.tokens, b.last, now)
	return decide(p, tokens >= 1-epsilon, tokens, now), nil
}

// peekScript reads a bucket refilled up to now without changing it.
var peekScript = redis.NewScript(`
local burst = tonumber(ARGV[1])
local per_minute = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  return string.format('%.17g', burst)
end
if now > ts then
  tokens = tokens + (now - ts) * per_minute / 60000
end
if tokens > burst then
  tokens = burst
end
return string.format('%.17g', tokens)
`)

// Peek implements Peeker.
func (s *RedisStore) Peek(ctx context.Context, key string, p Policy, now time.Time) (Decision, error) {
	if err := p.validate(); err != nil {
		return Decision{}, err
	}
	text, err := peekScript.Run(ctx, s.client, []string{redisKeyPrefix + key}, p.Burst, p.PerMinute, now.UnixMilli()).Text()
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: peek in Redis: %w", err)
	}
	tokens, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: Redis peek returned %q: %w", text, err)
	}
	return decide(p, tokens >= 1-epsilon, tokens, now), nil
}

// FailureGuard counts failures against the bucket of policy p named by key(c): a
// request is refused with RateLimited while that bucket is empty, and each request
// that the caller judges failed (Fail) takes a token. Successes take nothing, so
// only clients that keep failing are slowed. It fails open like Handler.
type FailureGuard struct {
	l   *Limiter
	p   Policy
	key func(*fiber.Ctx) string
}

// FailureGuard returns a guard for policy p keyed by key (ByIP when nil).
func (l *Limiter) FailureGuard(p Policy, key func(*fiber.Ctx) string) *FailureGuard {
	if key == nil {
		key = ByIP
	}
	return &FailureGuard{l: l, p: p, key: key}
}

func (g *FailureGuard) bucket(c *fiber.Ctx) string { return g.p.Name + ":" + g.key(c) }

// Check refuses the request while its failure bucket is empty.
func (g *FailureGuard) Check(c *fiber.Ctx) error {
	peeker, ok := g.l.store.(Peeker)
	if g.l.disabled || !ok {
		return nil
	}
	now := g.l.now()
	if now.UnixNano() < g.l.bypassUntil.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), storeTimeout)
	d, err := peeker.Peek(ctx, g.bucket(c), g.p, now)
	cancel()
	if err != nil {
		g.l.bypassUntil.Store(now.Add(failOpenFor).UnixNano())
		g.l.logFailure(c, g.p, err, now)
		return nil
	}
	if !d.Allowed {
		return apperr.New(apperr.RateLimited, "Too many failed authentications from this address; try again in a moment.").
			WithRetryAfter(ceilSeconds(d.RetryAfter))
	}
	return nil
}

// Fail counts one failure of the request.
func (g *FailureGuard) Fail(c *fiber.Ctx) {
	if g.l.disabled {
		return
	}
	now := g.l.now()
	if now.UnixNano() < g.l.bypassUntil.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), storeTimeout)
	_, err := g.l.store.Take(ctx, g.bucket(c), g.p, now)
	cancel()
	if err != nil {
		g.l.bypassUntil.Store(now.Add(failOpenFor).UnixNano())
		g.l.logFailure(c, g.p, err, now)
	}
}
