package app

import (
	"testing"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
)

// The sync health knows each connection's interval: its report replaces the
// dashboard's own stale guess for the same account, and nothing else.
func TestSyncHealthReplacesTheStaleGuessOfTheSameAccount(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	guesses := []domain.Attention{
		{AccountID: a, Kind: domain.StaleSync},
		{AccountID: a, Kind: domain.BalanceDrift},
		{AccountID: b, Kind: domain.StaleSync},
	}
	reported := []domain.Attention{{AccountID: a, Kind: domain.StaleSync, Link: "/syncs/connections/x"}}
	got := withoutReported(guesses, reported)
	if len(got) != 2 || got[0].Kind != domain.BalanceDrift || got[1].AccountID != b {
		t.Fatalf("kept %+v", got)
	}
}
