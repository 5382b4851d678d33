package app

import (
	"context"
	"time"

	"github.com/kontor-app/kontor/platform/apperr"
)

// The login throttles. A failed login counts against three keys, whether or not the
// address belongs to anyone, so known and unknown addresses answer alike: the address
// from this client IP (the guesser's own lock), the client IP across addresses (one
// client spraying many addresses), and the address from anywhere (the last line,
// against guessing spread over many IPs, set high so that it takes a botnet to lock
// the owner out). A success from a client clears that client's (address, IP) count
// only, so a guesser cannot reset the other two with an account of its own.
var loginThrottles = []loginThrottle{
	{prefix: "login:addr-ip:", limit: 5},
	{prefix: "login:ip:", limit: 20},
	{prefix: "login:addr:", limit: 100},
}

// LoginWindow is how long failures are counted together, and LoginLockout how long
// a throttle that reached its limit refuses logins.
const (
	LoginWindow  = 15 * time.Minute
	LoginLockout = 15 * time.Minute
)

type loginThrottle struct {
	prefix string
	limit  int
}

func (t loginThrottle) key(email, ip string) string {
	switch t.prefix {
	case "login:addr-ip:":
		return t.prefix + email + "|" + ip
	case "login:ip:":
		return t.prefix + ip
	}
	return t.prefix + email
}

func throttleKeys(email, ip string) []string {
	if ip == "" {
		ip = "unknown"
	}
	keys := make([]string, len(loginThrottles))
	for i, t := range loginThrottles {
		keys[i] = t.key(email, ip)
	}
	return keys
}

// checkThrottles refuses a login while any throttle of (email, ip) is locked,
// naming the longest wait.
func (s *Service) checkThrottles(ctx context.Context, keys []string) error {
	now := s.clock.Now()
	locks, err := s.repo.LoginLocks(ctx, keys, now)
	if err != nil {
		return apperr.Wrap(err, "read login throttles")
	}
	var wait time.Duration
	for _, until := range locks {
		wait = max(wait, until.Sub(now))
	}
	if wait > 0 {
		return lockedError(wait)
	}
	return nil
}

// recordFailure counts a failed login against every throttle of (email, ip).
func (s *Service) recordFailure(ctx context.Context, keys []string) error {
	now := s.clock.Now()
	for i, key := range keys {
		if err := s.repo.RecordLoginFailure(ctx, key, now, loginThrottles[i].limit, LoginWindow, LoginLockout); err != nil {
			return apperr.Wrap(err, "record failed login")
		}
	}
	return nil
}
