// Package ratelimit enforces the token-bucket policies of API.md. A bucket holds at
// most Burst tokens and regains PerMinute tokens a minute; every request takes one.
// Buckets live in a Store: in process memory for a single instance, or in Redis so
// that several Kontor instances share them.
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/kontor-app/kontor/platform/config"
)

// Policy names a token bucket's shape: Burst tokens at most, refilled at PerMinute
// tokens a minute.
type Policy struct {
	Name      string
	Burst     int
	PerMinute int
}

// validate rejects shapes the bucket arithmetic cannot serve.
func (p Policy) validate() error {
	if p.Burst < 1 || p.PerMinute < 1 {
		return fmt.Errorf("ratelimit: policy %q needs a burst and a refill of at least 1, got %d and %d", p.Name, p.Burst, p.PerMinute)
	}
	return nil
}

// Policies are the four policies of API.md.
type Policies struct {
	// Auth guards register, login and refresh, keyed by client IP.
	Auth Policy
	// Read guards every authenticated GET, keyed by user.
	Read Policy
	// Write guards every authenticated POST, PATCH and DELETE, keyed by user.
	Write Policy
	// Sync guards provider syncs and imports, keyed by user and connection.
	Sync Policy
	// AuthFailure counts failed bearer authentications, keyed by client IP; a client
	// that exhausted it is refused before its credentials are even checked.
	AuthFailure Policy
}

// PoliciesFrom builds the policies from the configured bucket sizes.
func PoliciesFrom(cfg config.Config) Policies {
	r := cfg.RateLimit
	return Policies{
		Auth:        Policy{Name: "AUTH", Burst: r.AuthBurst, PerMinute: r.AuthPerMin},
		Read:        Policy{Name: "API_READ", Burst: r.ReadBurst, PerMinute: r.ReadPerMin},
		Write:       Policy{Name: "API_WRITE", Burst: r.WriteBurst, PerMinute: r.WritePerMin},
		Sync:        Policy{Name: "PROVIDER_SYNC", Burst: r.SyncBurst, PerMinute: r.SyncPerMin},
		AuthFailure: Policy{Name: "AUTH_FAILURE", Burst: max(1, r.AuthFailureBurst), PerMinute: max(1, r.AuthFailurePerMin)},
	}
}

// Decision is the outcome of taking a token from a bucket.
type Decision struct {
	// Allowed reports whether a token was taken.
	Allowed bool
	// Limit is the bucket's capacity, the policy's burst.
	Limit int
	// Remaining is the number of whole tokens left after this request.
	Remaining int
	// Reset is when the bucket will be full again if nobody takes from it.
	Reset time.Time
	// RetryAfter, for a refused request, is how long until one token is back.
	RetryAfter time.Duration
}

// Store keeps buckets. Take refills the bucket named key up to now and takes one
// token if there is one; implementations must do both atomically.
type Store interface {
	Take(ctx context.Context, key string, p Policy, now time.Time) (Decision, error)
}

// epsilon absorbs floating-point noise so that a bucket refilled to exactly one
// token is not judged a hair short of it.
const epsilon = 1e-9

// refill returns the tokens of a bucket that held tokens at last, refilled up to now.
// A clock that went backwards refills nothing.
func refill(p Policy, tokens float64, last, now time.Time) float64 {
	if elapsed := now.Sub(last); elapsed > 0 {
		tokens += float64(elapsed) * float64(p.PerMinute) / float64(time.Minute)
	}
	return math.Min(tokens, float64(p.Burst))
}

// decide describes a bucket holding tokens at now after a take that was (or was not)
// allowed. Both stores use it, so they report identically.
func decide(p Policy, allowed bool, tokens float64, now time.Time) Decision {
	tokens = math.Max(0, math.Min(tokens, float64(p.Burst)))
	d := Decision{
		Allowed:   allowed,
		Limit:     p.Burst,
		Remaining: int(math.Floor(tokens + epsilon)),
		Reset:     now.Add(timeFor(p, float64(p.Burst)-tokens)),
	}
	if !allowed {
		d.RetryAfter = timeFor(p, 1-tokens)
	}
	return d
}

// timeFor returns how long p takes to refill the given number of tokens, rounded up
// to the millisecond (the Redis store's resolution).
func timeFor(p Policy, tokens float64) time.Duration {
	ms := math.Ceil(tokens*float64(time.Minute/time.Millisecond)/float64(p.PerMinute) - epsilon)
	if ms <= 0 {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}
