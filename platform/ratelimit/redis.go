package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisKeyPrefix namespaces Kontor's buckets in a Redis that may serve others too.
const redisKeyPrefix = "kontor:ratelimit:"

// takeScript refills and takes in one step inside Redis, so that concurrent requests
// served by different instances can never both spend the last token. A bucket is a
// hash of tokens and ts (unix milliseconds of the last refill); it expires once it
// would be full again, which is the same as not existing. Numbers are written with
// %.17g so that they survive the round trip through strings exactly.
//
// KEYS[1] bucket; ARGV burst, per-minute refill, now (unix ms), epsilon.
// Returns {1 if taken else 0, tokens left as a string}.
var takeScript = redis.NewScript(`
local burst = tonumber(ARGV[1])
local per_minute = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local epsilon = tonumber(ARGV[4])

local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = tokens + (now - ts) * per_minute / 60000
  ts = now
end
if tokens > burst then
  tokens = burst
end

local allowed = 0
if tokens >= 1 - epsilon then
  tokens = math.max(0, tokens - 1)
  allowed = 1
end

local ttl = math.ceil((burst - tokens) * 60000 / per_minute) + 1000
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', ts))
redis.call('PEXPIRE', KEYS[1], ttl)
return {allowed, string.format('%.17g', tokens)}
`)

// RedisStore keeps buckets in Redis, shared by every instance that uses the same
// server. Instances should keep their clocks in sync (NTP); a clock that lags the one
// that last touched a bucket simply refills nothing until it catches up.
type RedisStore struct {
	client *redis.Client
}

// NewRedisStore connects to the Redis server at url (redis:// or rediss://) and
// checks that it answers, giving up after five seconds or when ctx ends.
func NewRedisStore(ctx context.Context, url string) (*RedisStore, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: parse Redis URL: %w", err)
	}
	// Let a request's deadline bound its Redis round trip, so a slow Redis delays
	// requests by at most the limiter's timeout before they fail open.
	opts.ContextTimeoutEnabled = true
	client := redis.NewClient(opts)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("ratelimit: Redis at %s does not answer: %w", opts.Addr, err)
	}
	return &RedisStore{client: client}, nil
}

// Take implements Store with one atomic script run.
func (s *RedisStore) Take(ctx context.Context, key string, p Policy, now time.Time) (Decision, error) {
	if err := p.validate(); err != nil {
		return Decision{}, err
	}
	res, err := takeScript.Run(ctx, s.client, []string{redisKeyPrefix + key},
		p.Burst, p.PerMinute, now.UnixMilli(), strconv.FormatFloat(epsilon, 'g', -1, 64)).Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: take from Redis: %w", err)
	}
	if len(res) != 2 {
		return Decision{}, fmt.Errorf("ratelimit: Redis script returned %d values, want 2", len(res))
	}
	allowed, ok := res[0].(int64)
	if !ok {
		return Decision{}, fmt.Errorf("ratelimit: Redis script returned %T for the verdict", res[0])
	}
	text, ok := res[1].(string)
	if !ok {
		return Decision{}, fmt.Errorf("ratelimit: Redis script returned %T for the tokens", res[1])
	}
	tokens, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: Redis script returned tokens %q: %w", text, err)
	}
	return decide(p, allowed == 1, tokens, now), nil
}

// Close closes the connections to Redis.
func (s *RedisStore) Close() error {
	return s.client.Close()
}
