package app

import (
	"sync"

	"github.com/kontor-app/kontor/modules/sandbox/internal/domain"
)

// Faults are the failures a persona's change feed is told to inject, for tests
// of the sync: Mutations is how many mid-pagination calls (a call that follows
// a page with has_more) answer Plaid's TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION
// before the feed behaves again; PageSize, when positive, caps every page so a
// small update spans several pages.
type Faults struct {
	Mutations int `json:"mutation_during_pagination"`
	PageSize  int `json:"page_size"`
}

// MutationCode is the error code of a mutation during pagination (Plaid's).
const MutationCode = "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"

// MaxFaults bounds the injected mutations.
const MaxFaults = 100

// faultState keeps each persona's faults in the process (the sandbox is a test
// bank served by one instance).
type faultState struct {
	mu sync.Mutex
	m  map[string]*personaFaults
}

type personaFaults struct {
	Faults
	midPagination bool
}

// SetFaults arms persona's faults, replacing the previous ones; zero Faults
// clears them.
func (s *Service) SetFaults(persona string, f Faults) error {
	if !domain.Known(persona) {
		return fail(404, "unknown_persona", "no persona %q (try standard, bulk or flaky)", persona)
	}
	if f.Mutations < 0 || f.Mutations > MaxFaults {
		return fail(400, "invalid_request", "mutation_during_pagination must be a whole number from 0 to %d", MaxFaults)
	}
	if f.PageSize < 0 || f.PageSize > MaxSyncCount {
		return fail(400, "invalid_request", "page_size must be a whole number from 0 to %d", MaxSyncCount)
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.m[persona] = &personaFaults{Faults: f}
	return nil
}

// beforePage applies persona's faults to a feed call: the page size to serve,
// or the mutation error.
func (s *Service) beforePage(persona string, count int) (int, error) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	f := s.faults.m[persona]
	if f == nil {
		return count, nil
	}
	if f.midPagination && f.Mutations > 0 {
		f.Mutations--
		f.midPagination = false
		return 0, fail(400, MutationCode, "the transactions changed while they were being paged; restart the update from its first cursor")
	}
	if f.PageSize > 0 && count > f.PageSize {
		count = f.PageSize
	}
	return count, nil
}

// afterPage notes whether the page served leaves the client mid-pagination.
func (s *Service) afterPage(persona string, hasMore bool) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if f := s.faults.m[persona]; f != nil {
		f.midPagination = hasMore
	}
}
