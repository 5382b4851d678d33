package ratelimit

import (
	"context"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/platform/config"
)

// Module provides the *Limiter: its buckets live in Redis when KONTOR_REDIS_URL is
// set, so that instances share them, and in memory otherwise.
var Module = fx.Module("ratelimit", fx.Provide(newFromConfig))

func newFromConfig(lc fx.Lifecycle, cfg config.Config) (*Limiter, error) {
	policies := PoliciesFrom(cfg)
	if cfg.RedisURL == "" || cfg.RateLimit.Disabled {
		return NewLimiter(NewMemoryStore(), policies, cfg.RateLimit.Disabled), nil
	}
	store, err := NewRedisStore(context.Background(), cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(store.Close))
	return NewLimiter(store, policies, false), nil
}
