package app

import "time"

// SystemClock is the real Clock. It rounds to microseconds, the precision both
// databases keep, so a time read back equals the time written.
type SystemClock struct{}

// Now returns the current time in UTC, to the microsecond.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
