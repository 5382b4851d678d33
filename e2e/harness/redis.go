package harness

import (
	"context"
	"os"
	"testing"
	"time"

	tcredis "github.com/testcontainers/testcontainers-go/modules/redis"

	"github.com/kontor-app/kontor/platform/database/dbtest"
)

// RedisImage is the image tests start, from KONTOR_TEST_REDIS_IMAGE.
func RedisImage() string {
	if v := os.Getenv("KONTOR_TEST_REDIS_IMAGE"); v != "" {
		return v
	}
	return "redis:7-alpine"
}

// Redis starts a Redis container for t and returns its redis:// URL; the container is
// terminated when t ends. Without Docker the test is skipped, except when CI=true.
func Redis(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := tcredis.Run(ctx, RedisImage())
	if err != nil {
		if dbtest.InCI() {
			t.Fatalf("Redis container could not start (required when CI=true): %v", err)
		}
		t.Skipf("Redis tests skipped: no Docker engine here (%v); CI runs them", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = c.Terminate(ctx)
	})
	url, err := c.ConnectionString(ctx)
	if err != nil {
		t.Fatalf("redis connection string: %v", err)
	}
	return url
}
