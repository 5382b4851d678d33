package ratelimit

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// stores runs fn against every Store implementation; the Redis one needs Docker.
func stores(t *testing.T, fn func(t *testing.T, s Store)) {
	t.Helper()
	t.Run("memory", func(t *testing.T) { fn(t, NewMemoryStore()) })
	t.Run("redis", func(t *testing.T) { fn(t, newRedisStore(t)) })
}

func TestBucketMath(t *testing.T) {
	// Burst 5, refill 5 a minute: one token every 12 seconds, full after 60.
	p := Policy{Name: "AUTH", Burst: 5, PerMinute: 5}
	type step struct {
		at         time.Duration
		allowed    bool
		remaining  int
		reset      time.Duration // from t0
		retryAfter time.Duration
	}
	steps := []step{
		{at: 0, allowed: true, remaining: 4, reset: 12 * time.Second},
		{at: 0, allowed: true, remaining: 3, reset: 24 * time.Second},
		{at: 0, allowed: true, remaining: 2, reset: 36 * time.Second},
		{at: 0, allowed: true, remaining: 1, reset: 48 * time.Second},
		{at: 0, allowed: true, remaining: 0, reset: 60 * time.Second},
		// Empty: refused, one token in 12 s, full in 60 s.
		{at: 0, allowed: false, remaining: 0, reset: 60 * time.Second, retryAfter: 12 * time.Second},
		// Half a token back after 6 s: still refused, 6 s to go.
		{at: 6 * time.Second, allowed: false, remaining: 0, reset: 60 * time.Second, retryAfter: 6 * time.Second},
		// A whole token after 12 s: allowed, and the bucket is empty again.
		{at: 12 * time.Second, allowed: true, remaining: 0, reset: 72 * time.Second},
		// 30 s later two and a half tokens are back.
		{at: 42 * time.Second, allowed: true, remaining: 1, reset: 42*time.Second + 42*time.Second},
		// Long idle: the bucket refills to its burst and no further.
		{at: time.Hour, allowed: true, remaining: 4, reset: time.Hour + 12*time.Second},
		// A clock that went backwards refills nothing and breaks nothing.
		{at: time.Hour - time.Minute, allowed: true, remaining: 3, reset: time.Hour - time.Minute + 24*time.Second},
	}
	stores(t, func(t *testing.T, s Store) {
		key := uniqueKey(t)
		for i, st := range steps {
			d, err := s.Take(context.Background(), key, p, t0.Add(st.at))
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			want := Decision{Allowed: st.allowed, Limit: 5, Remaining: st.remaining, Reset: t0.Add(st.reset), RetryAfter: st.retryAfter}
			if d != want {
				t.Errorf("step %d at +%v:\n got %+v\nwant %+v", i, st.at, d, want)
			}
		}
	})
}

func TestBucketsAreSeparateByKey(t *testing.T) {
	p := Policy{Name: "AUTH", Burst: 1, PerMinute: 1}
	stores(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		prefix := uniqueKey(t)
		for _, key := range []string{"a", "b"} {
			d, err := s.Take(ctx, prefix+key, p, t0)
			if err != nil || !d.Allowed {
				t.Fatalf("first take on %s: %+v, %v", key, d, err)
			}
		}
		d, err := s.Take(ctx, prefix+"a", p, t0)
		if err != nil || d.Allowed {
			t.Fatalf("second take on a: %+v, %v; want refused", d, err)
		}
	})
}

func TestInvalidPolicyIsAnError(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		_, err := s.Take(context.Background(), "k", Policy{Name: "BROKEN", Burst: 0, PerMinute: 5}, t0)
		if err == nil || !strings.Contains(err.Error(), "BROKEN") {
			t.Fatalf("err = %v, want one naming the policy", err)
		}
	})
}

// takeConcurrently takes from one bucket in 500 goroutines, spread over the stores,
// and returns how many were allowed.
func takeConcurrently(t *testing.T, key string, p Policy, ss ...Store) int {
	t.Helper()
	const goroutines = 500
	var allowed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	now := time.Now()
	for i := range goroutines {
		s := ss[i%len(ss)]
		wg.Go(func() {
			<-start
			d, err := s.Take(context.Background(), key, p, now)
			if err != nil {
				t.Error(err)
				return
			}
			if d.Allowed {
				allowed.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	return int(allowed.Load())
}

func TestMemoryStoreConcurrentTake(t *testing.T) {
	p := Policy{Name: "API_WRITE", Burst: 50, PerMinute: 1}
	if n := takeConcurrently(t, "user-1", p, NewMemoryStore()); n != p.Burst {
		t.Fatalf("allowed %d of 500 concurrent takes, want exactly %d", n, p.Burst)
	}
}

func TestRedisStoresShareOneBucket(t *testing.T) {
	// Two stores are two Kontor instances: together they must allow exactly one burst.
	a, b := newRedisStore(t), newRedisStore(t)
	p := Policy{Name: "API_WRITE", Burst: 50, PerMinute: 1}
	if n := takeConcurrently(t, uniqueKey(t), p, a, b); n != p.Burst {
		t.Fatalf("two instances allowed %d of 500 concurrent takes, want exactly %d", n, p.Burst)
	}
}

func TestRedisBucketExpiresWhenFull(t *testing.T) {
	s := newRedisStore(t)
	key := uniqueKey(t)
	p := Policy{Name: "AUTH", Burst: 5, PerMinute: 5}
	if _, err := s.Take(context.Background(), key, p, time.Now()); err != nil {
		t.Fatal(err)
	}
	ttl, err := s.client.PTTL(context.Background(), redisKeyPrefix+key).Result()
	if err != nil {
		t.Fatal(err)
	}
	// One token is missing: back in 12 s, plus a second of slack.
	if ttl <= 0 || ttl > 13*time.Second {
		t.Fatalf("bucket TTL = %v, want about 13s", ttl)
	}
}

func TestNewRedisStoreFailsWithoutRedis(t *testing.T) {
	for _, url := range []string{"redis://127.0.0.1:1/0", "http://not-redis"} {
		s, err := NewRedisStore(context.Background(), url)
		if err == nil {
			_ = s.Close()
			t.Fatalf("NewRedisStore(%q) succeeded, want an error", url)
		}
	}
}

func TestMemoryStoreEvictsIdleBuckets(t *testing.T) {
	s := NewMemoryStore()
	p := Policy{Name: "AUTH", Burst: 5, PerMinute: 5}
	ctx := context.Background()
	for _, key := range []string{"a", "b", "c"} {
		if _, err := s.Take(ctx, key, p, t0); err != nil {
			t.Fatal(err)
		}
	}
	// "c" stays busy; "a" and "b" are full again after 12 s and idle thereafter.
	for at := 10 * time.Second; at <= 2*time.Minute; at += 10 * time.Second {
		if _, err := s.Take(ctx, "c", p, t0.Add(at)); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Len(); n != 1 {
		t.Fatalf("buckets after the idle ones filled up = %d, want 1", n)
	}
	// A forgotten bucket starts full, exactly as if it had been kept.
	d, err := s.Take(ctx, "a", p, t0.Add(3*time.Minute))
	if err != nil || d.Remaining != 4 {
		t.Fatalf("take on an evicted key: %+v, %v; want remaining 4", d, err)
	}
}

// TestPeekTakesNothing: both stores report a bucket's state without changing it.
func TestPeekTakesNothing(t *testing.T) {
	p := Policy{Name: "P", Burst: 2, PerMinute: 1}
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	stores(t, func(t *testing.T, s Store) {
		name := "store"
		peeker := s.(Peeker)
		ctx := context.Background()
		for range 5 {
			if d, err := peeker.Peek(ctx, "peek-"+t.Name(), p, now); err != nil || !d.Allowed || d.Remaining != 2 {
				t.Fatalf("%s: peek of a fresh bucket: %+v %v", name, d, err)
			}
		}
		_, _ = s.Take(ctx, "peek-"+t.Name(), p, now)
		_, _ = s.Take(ctx, "peek-"+t.Name(), p, now)
		if d, _ := peeker.Peek(ctx, "peek-"+t.Name(), p, now); d.Allowed || d.RetryAfter != time.Minute {
			t.Fatalf("%s: peek of an empty bucket: %+v", name, d)
		}
	})
}
