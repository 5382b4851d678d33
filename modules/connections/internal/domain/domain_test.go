package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func newConn(t *testing.T, provider string, status domain.Status) *domain.Connection {
	t.Helper()
	c, err := domain.New(domain.NewParams{ID: uuid.New(), UserID: uuid.New(), Provider: provider, Alias: " Main bank ", Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	switch status {
	case domain.StatusPending:
	case domain.StatusActive:
		mustOK(t, c.Activate([]byte("sealed"), "Linked.", t0))
	case domain.StatusNeedsReauth:
		mustOK(t, c.Activate([]byte("sealed"), "Linked.", t0))
		mustOK(t, c.RecordOutcome(domain.Outcome{Code: domain.CodeAuthExpired}, t0))
	case domain.StatusError:
		mustOK(t, c.Activate([]byte("sealed"), "Linked.", t0))
		mustOK(t, c.RecordOutcome(domain.Outcome{Code: domain.CodeBadData}, t0))
	case domain.StatusDisconnected:
		c.Disconnect(t0)
	}
	if c.Status != status {
		t.Fatalf("setup: status %s, want %s", c.Status, status)
	}
	c.ClearChanges()
	return c
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestNewConnection(t *testing.T) {
	t.Parallel()
	c := newConn(t, "sandbox", domain.StatusPending)
	if c.Alias != "Main bank" || !c.AutoSync || c.SyncIntervalMinutes != 15 || c.NextSyncAt != nil || c.Reason != nil {
		t.Fatalf("new connection %+v", c)
	}
	if s := newConn(t, "simplefin", domain.StatusPending); s.SyncIntervalMinutes < 60 {
		t.Fatalf("simplefin starts at %d minutes", s.SyncIntervalMinutes)
	}
	c2, _ := domain.New(domain.NewParams{ID: uuid.New(), Provider: "ofx", Now: t0})
	if ch := c2.Changes(); len(ch) != 1 || ch[0].To != domain.StatusPending || ch[0].From != "" {
		t.Fatalf("changes %+v", ch)
	}
	for _, alias := range []string{strings.Repeat("x", 101), "a\x00b"} {
		if _, err := domain.New(domain.NewParams{Provider: "ofx", Alias: alias, Now: t0}); !apperr.Is(err, apperr.ValidationFailed) {
			t.Fatalf("alias %q: err %v", alias, err)
		}
	}
}

// TestOutcomeTransitions holds the state machine: every provider outcome from every
// status a sync can see.
func TestOutcomeTransitions(t *testing.T) {
	t.Parallel()
	type want struct {
		status   domain.Status
		code     domain.ReasonCode // "" means no reason
		action   domain.Action
		sync     domain.SyncStatus
		recorded bool // a status change is recorded
	}
	cases := []struct {
		name string
		from domain.Status
		out  domain.Outcome
		want want
	}{
		{"success keeps active", domain.StatusActive, domain.Outcome{}, want{domain.StatusActive, "", "", domain.SyncSucceeded, false}},
		{"auth_expired", domain.StatusActive, domain.Outcome{Code: domain.CodeAuthExpired}, want{domain.StatusNeedsReauth, domain.CodeAuthExpired, domain.ActionReauthorize, domain.SyncFailed, true}},
		{"auth_revoked", domain.StatusActive, domain.Outcome{Code: domain.CodeAuthRevoked, Message: "Consent withdrawn."}, want{domain.StatusNeedsReauth, domain.CodeAuthRevoked, domain.ActionReauthorize, domain.SyncFailed, true}},
		{"token_compromised", domain.StatusActive, domain.Outcome{Code: domain.CodeTokenCompromised}, want{domain.StatusNeedsReauth, domain.CodeTokenCompromised, domain.ActionNewSetupToken, domain.SyncFailed, true}},
		{"consent_denied", domain.StatusActive, domain.Outcome{Code: domain.CodeConsentDenied}, want{domain.StatusError, domain.CodeConsentDenied, domain.ActionReauthorize, domain.SyncFailed, true}},
		{"bad_data", domain.StatusActive, domain.Outcome{Code: domain.CodeBadData}, want{domain.StatusError, domain.CodeBadData, domain.ActionRetry, domain.SyncFailed, true}},
		{"rate_limited stays active", domain.StatusActive, domain.Outcome{Code: domain.CodeRateLimited, RetryAfter: 2 * time.Hour}, want{domain.StatusActive, "", "", domain.SyncFailed, false}},
		{"provider_unavailable stays active", domain.StatusActive, domain.Outcome{Code: domain.CodeProviderUnavailable}, want{domain.StatusActive, "", "", domain.SyncFailed, false}},
		{"unknown code is unavailable", domain.StatusActive, domain.Outcome{Code: "weird"}, want{domain.StatusActive, "", "", domain.SyncFailed, false}},
		{"success mends error", domain.StatusError, domain.Outcome{}, want{domain.StatusActive, "", "", domain.SyncSucceeded, true}},
		{"success mends needs_reauth", domain.StatusNeedsReauth, domain.Outcome{}, want{domain.StatusActive, "", "", domain.SyncSucceeded, true}},
		{"auth failure in error", domain.StatusError, domain.Outcome{Code: domain.CodeAuthRevoked}, want{domain.StatusNeedsReauth, domain.CodeAuthRevoked, domain.ActionReauthorize, domain.SyncFailed, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newConn(t, "sandbox", tc.from)
			now := t0.Add(time.Hour)
			mustOK(t, c.RecordOutcome(tc.out, now))
			if c.Status != tc.want.status || c.LastSyncStatus != tc.want.sync {
				t.Fatalf("status %s/%s, want %s/%s", c.Status, c.LastSyncStatus, tc.want.status, tc.want.sync)
			}
			if tc.want.code == "" {
				if c.Reason != nil && tc.from == domain.StatusActive {
					t.Fatalf("reason %+v, want none", c.Reason)
				}
			} else if c.Reason == nil || c.Reason.Code != tc.want.code || c.Reason.Action != tc.want.action || c.Reason.Message == "" {
				t.Fatalf("reason %+v, want %s/%s with words", c.Reason, tc.want.code, tc.want.action)
			}
			if tc.out.Message != "" && c.Reason != nil && c.Reason.Message != tc.out.Message {
				t.Fatalf("message %q, want the provider's %q", c.Reason.Message, tc.out.Message)
			}
			if got := len(c.Changes()); (got == 1) != tc.want.recorded {
				t.Fatalf("%d changes recorded, want recorded=%v", got, tc.want.recorded)
			}
			if tc.want.recorded {
				ch := c.Changes()[0]
				ev := c.Events()[0]
				if ch.From != tc.from || ch.To != tc.want.status || ch.At != now || ev.From != tc.from || ev.To != tc.want.status || ev.ConnectionID != c.ID || ev.EventType() != "ConnectionStatusChanged" {
					t.Fatalf("change %+v event %+v", ch, ev)
				}
			}
			if c.LastAttemptAt == nil || !c.LastAttemptAt.Equal(now) {
				t.Fatalf("last attempt %v", c.LastAttemptAt)
			}
			if tc.want.sync == domain.SyncSucceeded && (c.LastSyncAt == nil || !c.LastSyncAt.Equal(now)) {
				t.Fatalf("last sync %v", c.LastSyncAt)
			}
			// Only an active connection is scheduled.
			if (c.NextSyncAt != nil) != (c.Status == domain.StatusActive) {
				t.Fatalf("next sync %v with status %s", c.NextSyncAt, c.Status)
			}
		})
	}
}

func TestTransientFailuresBackOffThenError(t *testing.T) {
	t.Parallel()
	c := newConn(t, "sandbox", domain.StatusActive)
	now := t0
	var prev time.Duration
	for i := 1; i < domain.MaxTransientFailures; i++ {
		now = now.Add(time.Minute)
		mustOK(t, c.RecordOutcome(domain.Outcome{Code: domain.CodeProviderUnavailable}, now))
		if c.Status != domain.StatusActive || c.ConsecutiveFailures != i {
			t.Fatalf("after %d failures: %s, %d", i, c.Status, c.ConsecutiveFailures)
		}
		wait := c.NextSyncAt.Sub(now)
		if wait <= prev {
			t.Fatalf("failure %d waits %v, not longer than %v", i, wait, prev)
		}
		prev = wait
	}
	mustOK(t, c.RecordOutcome(domain.Outcome{Code: domain.CodeRateLimited}, now.Add(time.Minute)))
	if c.Status != domain.StatusError || c.Reason.Code != domain.CodeRateLimited || c.Reason.Action != domain.ActionRetry || !c.Usable() {
		t.Fatalf("after %d failures: %s %+v usable=%v", domain.MaxTransientFailures, c.Status, c.Reason, c.Usable())
	}
	mustOK(t, c.RecordOutcome(domain.Outcome{}, now.Add(2*time.Minute)))
	if c.Status != domain.StatusActive || c.Reason != nil || c.ConsecutiveFailures != 0 {
		t.Fatalf("success did not mend: %s %+v", c.Status, c.Reason)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	c := newConn(t, "sandbox", domain.StatusActive)
	mustOK(t, c.RecordOutcome(domain.Outcome{Code: domain.CodeRateLimited, RetryAfter: 3 * time.Hour}, t0))
	if got := c.NextSyncAt.Sub(t0); got != 3*time.Hour {
		t.Fatalf("next sync in %v, want the provider's 3h", got)
	}
}

func TestOutcomeRefusedWhenNotLinked(t *testing.T) {
	t.Parallel()
	for _, s := range []domain.Status{domain.StatusPending, domain.StatusDisconnected} {
		c := newConn(t, "sandbox", s)
		if err := c.RecordOutcome(domain.Outcome{}, t0); err == nil {
			t.Fatalf("%s took an outcome", s)
		}
	}
}

func TestActivateDenyDisconnect(t *testing.T) {
	t.Parallel()
	for _, from := range []domain.Status{domain.StatusPending, domain.StatusNeedsReauth, domain.StatusError} {
		c := newConn(t, "sandbox", from)
		mustOK(t, c.Activate([]byte("new"), "Reauthorized.", t0))
		if c.Status != domain.StatusActive || c.Reason != nil || string(c.Credentials) != "new" || c.NextSyncAt == nil || !c.NextSyncAt.Equal(t0) {
			t.Fatalf("activate from %s: %+v", from, c)
		}
		c = newConn(t, "sandbox", from)
		mustOK(t, c.DenyConsent("", t0))
		if c.Status != domain.StatusError || c.Reason.Code != domain.CodeConsentDenied || c.Reason.Action != domain.ActionReauthorize {
			t.Fatalf("deny from %s: %+v", from, c)
		}
	}
	for _, from := range []domain.Status{domain.StatusPending, domain.StatusActive, domain.StatusNeedsReauth, domain.StatusError} {
		c := newConn(t, "sandbox", from)
		if !c.Disconnect(t0) || c.Status != domain.StatusDisconnected || c.Credentials != nil || c.NextSyncAt != nil || c.Reason != nil {
			t.Fatalf("disconnect from %s: %+v", from, c)
		}
		if h := c.Changes(); len(h) != 1 || h[0].From != from || h[0].Message == "" {
			t.Fatalf("history %+v", h)
		}
		if c.Disconnect(t0) {
			t.Fatal("a second disconnect changed something")
		}
		if err := c.Activate(nil, "", t0); !apperr.Is(err, domain.CodeDisconnected) {
			t.Fatalf("activate a disconnected connection: %v", err)
		}
		if err := c.DenyConsent("", t0); !apperr.Is(err, domain.CodeDisconnected) {
			t.Fatalf("deny on a disconnected connection: %v", err)
		}
	}
}

func TestReauthorizable(t *testing.T) {
	t.Parallel()
	cases := map[domain.Status]bool{
		domain.StatusPending: true, domain.StatusNeedsReauth: true, domain.StatusError: true,
		domain.StatusActive: false, domain.StatusDisconnected: false,
	}
	for status, ok := range cases {
		c := newConn(t, "sandbox", status)
		err := c.CheckReauthorizable(true)
		if (err == nil) != ok || (err != nil && !apperr.Is(err, domain.CodeNotReauthorizable)) {
			t.Fatalf("%s: %v", status, err)
		}
		if err := c.CheckReauthorizable(false); !apperr.Is(err, domain.CodeNotReauthorizable) {
			t.Fatalf("non-oauth %s: %v", status, err)
		}
	}
}

func TestSettings(t *testing.T) {
	t.Parallel()
	ptr := func(n int) *int { return &n }
	c := newConn(t, "simplefin", domain.StatusActive)
	for _, n := range []int{0, 10081, 59} {
		if err := c.Apply(domain.Settings{SyncIntervalMinutes: ptr(n)}, t0); !apperr.Is(err, apperr.ValidationFailed) {
			t.Fatalf("interval %d on simplefin: %v", n, err)
		}
	}
	mustOK(t, c.Apply(domain.Settings{SyncIntervalMinutes: ptr(60)}, t0))
	s := newConn(t, "sandbox", domain.StatusActive)
	mustOK(t, s.Apply(domain.Settings{SyncIntervalMinutes: ptr(1)}, t0))
	off, alias := false, "Joint"
	mustOK(t, s.Apply(domain.Settings{AutoSync: &off, Alias: &alias}, t0))
	if s.AutoSync || s.NextSyncAt != nil || s.Alias != "Joint" {
		t.Fatalf("auto-sync off: %+v", s)
	}
	on := true
	mustOK(t, s.Apply(domain.Settings{AutoSync: &on}, t0))
	if s.NextSyncAt == nil {
		t.Fatal("auto-sync on schedules nothing")
	}
	long := strings.Repeat("y", 101)
	if err := s.Apply(domain.Settings{Alias: &long, SyncIntervalMinutes: ptr(0)}, t0); err == nil {
		t.Fatal("bad settings accepted")
	} else if e, _ := apperr.As(err); len(e.Fields) != 2 {
		t.Fatalf("fields %+v, want both", e.Fields)
	}
	d := newConn(t, "sandbox", domain.StatusDisconnected)
	if err := d.Apply(domain.Settings{Alias: &alias}, t0); !apperr.Is(err, domain.CodeDisconnected) {
		t.Fatalf("settings on a disconnected connection: %v", err)
	}
}
