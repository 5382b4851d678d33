package domain

import "time"

// LeaseTTL is how long a claim on a connection lasts unless renewed; each page a
// run applies renews it, and a crashed instance's claim lapses after it, so a
// new run of the same connection can start within a minute (API.md).
const LeaseTTL = 45 * time.Second

// Lease is a run's claim on a connection. Fence grows with every claim, and every
// write of the run checks that the lease still carries its fence and owner, so a
// run that lost its claim (it stalled past LeaseTTL and another run took over)
// writes nothing.
type Lease struct {
	Owner string
	Fence int64
	Until time.Time
}
