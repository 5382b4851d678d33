package web

import (
	"testing"

	"github.com/kontor-app/kontor/modules/connections/internal/domain"
)

// TestReasonText: an active connection whose syncs fail says so (and whether
// Kontor retries by itself); one that a reauthorization mended after the failure
// that broke it gives no reason; a provider reason wins.
func TestReasonText(t *testing.T) {
	reason := &domain.Reason{Code: domain.CodeAuthRevoked, Message: "The bank withdrew consent.", Action: domain.ActionReauthorize}
	cases := []struct {
		name string
		c    domain.Connection
		want string
	}{
		{"provider reason", domain.Connection{Status: domain.StatusNeedsReauth, Reason: reason}, "The bank withdrew consent."},
		{"failing, auto-sync", domain.Connection{Status: domain.StatusActive, AutoSync: true, LastSyncStatus: domain.SyncFailed, ConsecutiveFailures: 1}, "The last sync failed; Kontor will try again."},
		{"failing, by hand", domain.Connection{Status: domain.StatusActive, LastSyncStatus: domain.SyncFailed, ConsecutiveFailures: 2}, "The last sync failed; sync again when you like."},
		{"reauthorized after the failure", domain.Connection{Status: domain.StatusActive, AutoSync: true, LastSyncStatus: domain.SyncFailed}, ""},
		{"working", domain.Connection{Status: domain.StatusActive, LastSyncStatus: domain.SyncSucceeded}, ""},
		{"lower-case provider words", domain.Connection{Status: domain.StatusNeedsReauth, Reason: &domain.Reason{Message: "the bank refused the token"}}, "The bank refused the token"},
		{"non-Latin first letter", domain.Connection{Status: domain.StatusError, Reason: &domain.Reason{Message: "émis hier"}}, "Émis hier"},
	}
	for _, tc := range cases {
		if got := reasonText(tc.c); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
