package ratelimit

import (
	"context"
	"sync"
	"time"
)

// sweepEvery is how often the memory store drops idle buckets.
const sweepEvery = time.Minute

// MemoryStore keeps buckets in process memory. It is right for a single instance;
// several instances each keep their own buckets and so together allow more. It is
// safe for concurrent use.
type MemoryStore struct {
	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
	// full is when the bucket is full again; after it the bucket is idle and
	// forgetting it changes nothing, since a new one starts full.
	full time.Time
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{buckets: make(map[string]*bucket)}
}

// Take implements Store.
func (s *MemoryStore) Take(_ context.Context, key string, p Policy, now time.Time) (Decision, error) {
	if err := p.validate(); err != nil {
		return Decision{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)

	b, ok := s.buckets[key]
	if !ok {
		b = &bucket{tokens: float64(p.Burst), last: now}
		s.buckets[key] = b
	}
	tokens := refill(p, b.tokens, b.last, now)
	allowed := tokens >= 1-epsilon
	if allowed {
		tokens = max(0, tokens-1)
	}
	b.tokens = tokens
	if now.After(b.last) {
		b.last = now
	}
	d := decide(p, allowed, tokens, now)
	b.full = d.Reset
	return d, nil
}

// Len returns the number of buckets held, idle ones not yet swept included.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.buckets)
}

// sweep drops the buckets that are full again, at most once per sweepEvery, so that
// memory follows the active clients rather than every client ever seen.
func (s *MemoryStore) sweep(now time.Time) {
	if now.Sub(s.lastSweep) < sweepEvery {
		return
	}
	s.lastSweep = now
	for key, b := range s.buckets {
		if !now.Before(b.full) {
			delete(s.buckets, key)
		}
	}
}
