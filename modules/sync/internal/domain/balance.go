package domain

import (
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/money"
)

// The sources of a balance snapshot.
const (
	SourceProvider = "provider"
	SourceLedger   = "ledger"
)

// Snapshot is an account's balance on one day as one source saw it at the last
// sync of that day: the provider's reported balance or the ledger's.
type Snapshot struct {
	AccountID    uuid.UUID
	ConnectionID uuid.UUID
	UserID       uuid.UUID
	Source       string
	Day          time.Time // UTC midnight
	Currency     string
	Balance      money.Amount
	Available    money.NullAmount
	SyncID       uuid.UUID
	RecordedAt   time.Time
}

// DayOf returns the UTC calendar day of t.
func DayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// DailyBalance is one day of an account's snapshots: the provider's balance,
// the ledger's, and the drift between them (provider − ledger) when both exist.
type DailyBalance struct {
	Day       time.Time
	Currency  string
	Provider  money.NullAmount
	Available money.NullAmount
	Ledger    money.NullAmount
	Drift     money.NullAmount
	SyncID    uuid.UUID
}

// Daily pairs the snapshots of one account into days, oldest first.
func Daily(snaps []Snapshot) []DailyBalance {
	var out []DailyBalance
	idx := map[time.Time]int{}
	for _, s := range snaps {
		i, ok := idx[s.Day]
		if !ok {
			i = len(out)
			idx[s.Day] = i
			out = append(out, DailyBalance{Day: s.Day, Currency: s.Currency})
		}
		d := &out[i]
		switch s.Source {
		case SourceProvider:
			d.Provider, d.Available, d.SyncID = money.NullAmount{Amount: s.Balance, Valid: true}, s.Available, s.SyncID
		case SourceLedger:
			d.Ledger = money.NullAmount{Amount: s.Balance, Valid: true}
			if d.SyncID == uuid.Nil {
				d.SyncID = s.SyncID
			}
		}
	}
	for i := range out {
		if out[i].Provider.Valid && out[i].Ledger.Valid {
			out[i].Drift = money.NullAmount{Amount: out[i].Provider.Amount.Sub(out[i].Ledger.Amount), Valid: true}
		}
	}
	// snapshots come sorted by day; keep the order stable anyway
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Day.Before(out[j-1].Day); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// DriftRuns is how many successful runs in a row must find an account's
// ledger apart from its provider balance before the drift is announced: one
// run may fall between a balance and the transactions that explain it.
const DriftRuns = 2

// Drift is an account's drift as successive successful runs saw it: the last
// difference (provider − ledger), how many runs in a row found one, and
// whether it has been announced.
type Drift struct {
	AccountID    uuid.UUID
	ConnectionID uuid.UUID
	UserID       uuid.UUID
	Amount       money.Amount
	Streak       int
	Announced    bool
	UpdatedAt    time.Time
}

// Observe records one successful run's difference and says whether the drift
// must be announced now: once, on the DriftRuns-th run in a row with a
// difference. A run that finds none resets the streak, so a drift that
// disappears is never announced, and one that comes back is announced again.
func (d *Drift) Observe(diff money.Amount, now time.Time) (announce bool) {
	d.UpdatedAt = now
	if diff.IsZero() {
		d.Amount, d.Streak, d.Announced = money.Zero, 0, false
		return false
	}
	d.Amount = diff
	d.Streak++
	if d.Streak >= DriftRuns && !d.Announced {
		d.Announced = true
		return true
	}
	return false
}

// Drifting says whether the drift has persisted long enough to show.
func (d Drift) Drifting() bool { return d.Streak >= DriftRuns }
