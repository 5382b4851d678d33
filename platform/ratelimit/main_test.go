package ratelimit

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tcredis "github.com/testcontainers/testcontainers-go/modules/redis"
)

// redisImage is the image the Redis tests start, from KONTOR_TEST_REDIS_IMAGE.
func redisImage() string {
	if v := os.Getenv("KONTOR_TEST_REDIS_IMAGE"); v != "" {
		return v
	}
	return "redis:7-alpine"
}

var (
	redisOnce      sync.Once
	redisContainer *tcredis.RedisContainer
	redisURLValue  string
	redisErr       error
)

// TestMain stops the Redis container after the tests: Ryuk, the usual reaper, does
// not run here.
func TestMain(m *testing.M) {
	code := m.Run()
	if redisContainer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = redisContainer.Terminate(ctx)
		cancel()
	}
	os.Exit(code)
}

// redisURL starts (once per test binary) a Redis container and returns its URL. It
// skips the test when Docker is missing, except when CI=true, where it fails.
func redisURL(t *testing.T) string {
	t.Helper()
	redisOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		redisContainer, redisErr = tcredis.Run(ctx, redisImage())
		if redisErr != nil {
			return
		}
		redisURLValue, redisErr = redisContainer.ConnectionString(ctx)
	})
	if redisErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis container could not start (required when CI=true): %v", redisErr)
		}
		msg := redisErr.Error()
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		t.Skipf("Redis tests skipped: the Redis container could not start, most likely for want of a Docker engine (%s); CI runs them", msg)
	}
	return redisURLValue
}

// newRedisStore returns a store on the test Redis, closed at the end of t.
func newRedisStore(t *testing.T) *RedisStore {
	t.Helper()
	s, err := NewRedisStore(context.Background(), redisURL(t))
	if err != nil {
		t.Fatalf("NewRedisStore: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// uniqueKey names a bucket no other test, nor an earlier run against the same Redis,
// has used.
func uniqueKey(t *testing.T) string {
	return t.Name() + ":" + strconv.FormatInt(time.Now().UnixNano(), 36)
}
