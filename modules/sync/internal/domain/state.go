package domain

import "time"

// DailyRequestBudget is how many provider requests a connection may make per
// rolling day, by provider; zero or absent means unbounded. SimpleFIN Bridge
// disables a token past 24 requests a day, so Kontor counts every call it makes
// (manual ones included) and refuses the 25th before making it.
var DailyRequestBudget = map[string]int{"simplefin": 24}

// Budget counts a connection's provider requests in the current day window.
type Budget struct {
	WindowStart time.Time
	Used        int
}

// Allow reports whether n more requests fit in the budget of limit per day at
// now; when they do not, retryAt says when the window resets. A zero limit always
// allows.
func (b Budget) Allow(now time.Time, limit, n int) (ok bool, retryAt time.Time) {
	if limit <= 0 {
		return true, time.Time{}
	}
	if b.WindowStart.IsZero() || !now.Before(b.WindowStart.Add(24*time.Hour)) {
		return n <= limit, time.Time{}
	}
	if b.Used+n <= limit {
		return true, time.Time{}
	}
	return false, b.WindowStart.Add(24 * time.Hour)
}

// Spend records n requests made at now, opening a new window when the last one
// is over.
func (b *Budget) Spend(now time.Time, n int) {
	if b.WindowStart.IsZero() || !now.Before(b.WindowStart.Add(24*time.Hour)) {
		b.WindowStart, b.Used = now, 0
	}
	b.Used += n
}

// State is what the sync module keeps per connection between runs: the cursor the
// last complete run committed (cursor providers), the watermark of the last good
// window (window providers), and the request budget.
type State struct {
	Cursor    string
	Watermark *time.Time
	Budget    Budget
}

// Window bounds for window providers (API.md "SimpleFIN windows").
const (
	FirstWindow   = 90 * 24 * time.Hour
	WindowOverlap = 30 * 24 * time.Hour
)

// WindowStart is where a window provider's request starts: start when the caller
// set one, else 90 days back on the first run, else the watermark minus 30 days
// (a late-posting transaction is fetched again, never missed).
func WindowStart(watermark, start *time.Time, now time.Time) time.Time {
	switch {
	case start != nil:
		return *start
	case watermark == nil:
		return now.Add(-FirstWindow)
	default:
		return watermark.Add(-WindowOverlap)
	}
}

// Interval returns the wait between syncs of a connection whose interval is
// minutes (15 when unset).
func Interval(minutes int) time.Duration {
	if minutes <= 0 {
		minutes = 15
	}
	return time.Duration(minutes) * time.Minute
}

// TooSoon says whether a manual sync at now comes too early after the last
// successful one, and how long to wait; force skips the wait.
func TooSoon(lastSuccess *time.Time, intervalMinutes int, force bool, now time.Time) (bool, time.Duration) {
	if force || lastSuccess == nil {
		return false, 0
	}
	next := lastSuccess.Add(Interval(intervalMinutes))
	if now.Before(next) {
		return true, next.Sub(now)
	}
	return false, 0
}

// Stale says whether a connection whose last success was at lastSuccess is shown
// as stale: older than twice its interval.
func Stale(lastSuccess *time.Time, intervalMinutes int, now time.Time) bool {
	return lastSuccess != nil && now.Sub(*lastSuccess) > 2*Interval(intervalMinutes)
}

// WindowProviders are the providers that answer a date window (accounts and
// transactions in one call) rather than a cursor feed.
var WindowProviders = map[string]bool{"simplefin": true}

// FileProviders are the providers whose data arrives as uploaded files: there
// is nothing to fetch, so they are never synced.
var FileProviders = map[string]bool{"ofx": true}

// MaxWindowPerRequest is the longest range a window provider answers in one
// request; a longer window costs one request per started span of it.
const MaxWindowPerRequest = 60 * 24 * time.Hour

// WindowRequests is how many requests a window from..to costs.
func WindowRequests(from, to time.Time) int {
	span := to.Sub(from)
	if span <= 0 {
		return 1
	}
	return int((span + MaxWindowPerRequest - 1) / MaxWindowPerRequest)
}

// Decision is what the scheduler does with a connection at a tick.
type Decision struct {
	Run     bool
	Reason  string
	RetryAt time.Time
}

// Schedulable is what the scheduler reads of a connection.
type Schedulable struct {
	Provider   string
	Status     string
	AutoSync   bool
	NextSyncAt *time.Time
}

// Decide says whether a connection due by the connections module runs now: only
// an active auto-sync connection whose next sync has come (auth failures leave it
// needs_reauth, which stops the schedule), and never past its provider's daily
// request budget.
func Decide(c Schedulable, st State, now time.Time) Decision {
	switch {
	case c.Status != "active":
		return Decision{Reason: "the connection is " + c.Status}
	case !c.AutoSync:
		return Decision{Reason: "auto-sync is off"}
	case c.NextSyncAt == nil:
		return Decision{Reason: "no sync is scheduled"}
	case now.Before(*c.NextSyncAt):
		return Decision{Reason: "not due yet", RetryAt: *c.NextSyncAt}
	}
	cost := 1
	if WindowProviders[c.Provider] {
		cost = WindowRequests(WindowStart(st.Watermark, nil, now), now)
	}
	if ok, retry := st.Budget.Allow(now, DailyRequestBudget[c.Provider], cost); !ok {
		return Decision{Reason: "the provider's daily request budget is spent", RetryAt: retry}
	}
	return Decision{Run: true}
}
