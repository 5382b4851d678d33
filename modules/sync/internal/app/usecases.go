package app

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/sync/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// SyncInput is a manual sync: the connection, whether to skip the interval
// check, and (window providers) where the window starts.
type SyncInput struct {
	ConnectionID uuid.UUID
	Force        bool
	StartDate    *time.Time
}

// SyncAccounts syncs the subject's connection's accounts now (POST
// /accounts/syncs) and returns the finished run.
func (s *Service) SyncAccounts(ctx context.Context, sub authn.Subject, in SyncInput) (domain.Run, error) {
	return s.manual(ctx, sub, in, domain.KindAccounts)
}

// SyncTransactions syncs the subject's connection's transactions now (POST
// /transactions/syncs) and returns the finished run.
func (s *Service) SyncTransactions(ctx context.Context, sub authn.Subject, in SyncInput) (domain.Run, error) {
	return s.manual(ctx, sub, in, domain.KindTransactions)
}

func (s *Service) manual(ctx context.Context, sub authn.Subject, in SyncInput, kind domain.Kind) (domain.Run, error) {
	conn, err := s.Connections.ForSync(ctx, sub, in.ConnectionID)
	if err != nil {
		return domain.Run{}, err
	}
	if domain.FileProviders[conn.Provider] {
		return domain.Run{}, apperr.New(apperr.ConnectionNotActive, "A %s connection has nothing to fetch: upload a statement file to it instead.", conn.Provider)
	}
	now := s.now()
	if conn.ReasonCode == "rate_limited" && conn.NextSyncAt != nil && now.Before(*conn.NextSyncAt) {
		wait := conn.NextSyncAt.Sub(now)
		return domain.Run{}, apperr.New(apperr.SyncTooSoon, "The provider asked Kontor to wait before calling again; try in %s.", words(wait)).
			WithRetryAfter(int(math.Ceil(wait.Seconds())))
	}
	last, err := s.Repo.LastSuccess(ctx, conn.ID, kind)
	if err != nil {
		return domain.Run{}, err
	}
	if soon, wait := domain.TooSoon(last, conn.SyncIntervalMinutes, in.Force, now); soon {
		return domain.Run{}, apperr.New(apperr.SyncTooSoon, "This connection was synced less than %d minutes ago; try again in %s, or force the sync.",
			domain.Interval(conn.SyncIntervalMinutes)/time.Minute, words(wait)).WithRetryAfter(int(math.Ceil(wait.Seconds())))
	}
	st, err := s.Repo.State(ctx, conn.ID)
	if err != nil {
		return domain.Run{}, err
	}
	cost := 1
	if domain.WindowProviders[conn.Provider] {
		cost = domain.WindowRequests(domain.WindowStart(st.Watermark, in.StartDate, now), now)
	}
	if ok, retry := st.Budget.Allow(now, domain.DailyRequestBudget[conn.Provider], cost); !ok {
		return domain.Run{}, budgetSpent(retry.Sub(now))
	}
	run, err := s.Execute(ctx, conn, Options{Kind: kind, Trigger: domain.TriggerManual, Start: in.StartDate})
	if errors.Is(err, ErrLeaseLost) {
		return run, apperr.New(SyncInProgress, "Another sync took this connection over while this one stalled; its result will show in the sync history.")
	}
	return run, err
}

// SystemSyncLinked runs the first sync of a connection that just became active
// (accounts, then transactions; trigger link). A system call.
func (s *Service) SystemSyncLinked(ctx context.Context, connectionID uuid.UUID) (domain.Run, error) {
	conn, err := s.Connections.SystemForSync(ctx, connectionID)
	if err != nil {
		return domain.Run{}, err
	}
	return s.Execute(ctx, conn, Options{Kind: domain.KindTransactions, Trigger: domain.TriggerLink, WithAccounts: true})
}

// DueBatch is how many due connections one tick considers.
const DueBatch = 100

// Tick is the scheduler's periodic job: it enqueues a sync job for every
// connection the connections module says is due and Decide lets run (a job
// unique per connection, so a connection already queued or running is not
// queued twice). It returns how many jobs it queued.
func (s *Service) Tick(ctx context.Context) (int, error) {
	if s.Queue == nil {
		return 0, errors.New("sync: no job queue to schedule on")
	}
	now := s.now()
	due, err := s.Connections.Due(ctx, now, DueBatch)
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, c := range due {
		if ok, err := s.runnable(ctx, c, now); err != nil || !ok {
			if err != nil {
				return queued, err
			}
			continue
		}
		trigger := domain.TriggerSchedule
		if c.LastSyncAt == nil {
			trigger = domain.TriggerLink // its first sync: the link asked for it
		}
		dup, err := s.Queue.EnqueueSync(ctx, c.ID, trigger)
		if err != nil {
			return queued, err
		}
		if !dup {
			queued++
		}
	}
	return queued, nil
}

// runnable says whether the scheduler may sync c now.
func (s *Service) runnable(ctx context.Context, c Connection, now time.Time) (bool, error) {
	if domain.FileProviders[c.Provider] {
		return false, nil
	}
	st, err := s.Repo.State(ctx, c.ID)
	if err != nil {
		return false, err
	}
	return domain.Decide(domain.Schedulable{Provider: c.Provider, Status: c.Status, AutoSync: c.AutoSync, NextSyncAt: c.NextSyncAt}, st, now).Run, nil
}

// RunQueued is the sync job: one scheduled run of the connection (accounts,
// then transactions). A connection that is no longer due (synced by hand
// meanwhile, no longer active, out of budget) or held by another run is left
// alone; a run that lost its lease stops without writing. Errors are Kontor's
// own (the database), for the job engine to retry; a provider failure is a
// failed run, recorded, not an error.
func (s *Service) RunQueued(ctx context.Context, connectionID uuid.UUID, trigger domain.Trigger) error {
	c, err := s.Connections.SystemForSync(ctx, connectionID)
	if apperr.Is(err, apperr.ConnectionNotActive) || apperr.Is(err, apperr.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if ok, err := s.runnable(ctx, c, s.now()); err != nil || !ok {
		return err
	}
	_, err = s.Execute(ctx, c, Options{Kind: domain.KindTransactions, Trigger: trigger, WithAccounts: true})
	switch {
	case apperr.Is(err, SyncInProgress):
		return nil
	case errors.Is(err, ErrLeaseLost):
		s.Log.WarnContext(ctx, "scheduled sync lost its lease", "connection_id", connectionID)
		return nil
	}
	return err
}

func (s *Service) authorizeRun(ctx context.Context, sub authn.Subject, r domain.Run) error {
	return s.Authorizer.Authorize(ctx, sub, authz.Resource{Type: "sync", ID: r.ID.String(), Owner: r.UserID.String()}, authz.ActionRead)
}

// GetRun returns one of the subject's runs.
func (s *Service) GetRun(ctx context.Context, sub authn.Subject, id uuid.UUID) (domain.Run, error) {
	r, err := s.Repo.Run(ctx, id)
	if err != nil {
		return domain.Run{}, err
	}
	if err := s.authorizeRun(ctx, sub, r); err != nil {
		return domain.Run{}, err
	}
	return r, nil
}

// ListInput selects a page of runs.
type ListInput struct {
	ConnectionID uuid.NullUUID
	Before       uuid.NullUUID
	Limit        int
}

// RunList is a page of runs, newest first; Next is the last run's id when more
// follow.
type RunList struct {
	Runs []domain.Run
	Next uuid.NullUUID
}

// ListRuns returns the subject's runs, newest first.
func (s *Service) ListRuns(ctx context.Context, sub authn.Subject, in ListInput) (RunList, error) {
	limit := in.Limit
	if limit <= 0 {
		limit = 50
	}
	if in.ConnectionID.Valid {
		// Another user's connection is forbidden, a missing one not found, as for
		// every resource; only then does the filter run.
		if _, err := s.Connections.Connection(ctx, sub, in.ConnectionID.UUID); err != nil {
			return RunList{}, err
		}
	}
	runs, err := s.Repo.Runs(ctx, RunFilter{UserID: sub.UserID, ConnectionID: in.ConnectionID, Before: in.Before, Limit: limit + 1})
	if err != nil {
		return RunList{}, err
	}
	out := RunList{Runs: runs}
	if len(runs) > limit {
		out.Runs = runs[:limit]
		out.Next = uuid.NullUUID{UUID: runs[limit-1].ID, Valid: true}
	}
	return out, nil
}

// Suggestions lists the subject's open pending-match suggestions, of one account
// when accountID is valid.
func (s *Service) Suggestions(ctx context.Context, sub authn.Subject, accountID uuid.NullUUID) ([]SuggestionView, error) {
	return s.Repo.Suggestions(ctx, sub.UserID, accountID)
}

// Suggestion statuses.
const (
	SuggestionOpen      = "open"
	SuggestionConfirmed = "confirmed"
	SuggestionRejected  = "rejected"
)

// ResolveSuggestion confirms (the posted transaction replaces the pending one,
// whose entry goes) or rejects (both stay) one of the subject's suggestions,
// under the connection's lease so no sync interleaves.
func (s *Service) ResolveSuggestion(ctx context.Context, sub authn.Subject, id uuid.UUID, confirm bool) error {
	sg, err := s.Repo.Suggestion(ctx, id)
	if err != nil {
		return err
	}
	if err := s.Authorizer.Authorize(ctx, sub, authz.Resource{Type: "suggestion", ID: id.String(), Owner: sg.UserID.String()}, authz.ActionWrite); err != nil {
		return err
	}
	now := s.now()
	owner := s.Instance + "/suggestion/" + id.String()
	fence, ok, err := s.Repo.Claim(ctx, sg.ConnectionID, owner, now, domain.LeaseTTL)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(SyncInProgress, "A sync of this connection is running; decide again in a moment.")
	}
	defer func() { _ = s.Repo.Release(context.WithoutCancel(ctx), sg.ConnectionID, owner, fence) }()
	return s.Repo.InTx(ctx, func(ctx context.Context) error {
		if err := s.Repo.Guard(ctx, sg.ConnectionID, owner, fence, now.Add(domain.LeaseTTL)); err != nil {
			return err
		}
		cur, err := s.Repo.Suggestion(ctx, id)
		if err != nil {
			return err
		}
		if !confirm {
			return s.Repo.ResolveSuggestion(ctx, id, SuggestionRejected, now)
		}
		pending := cur.Pending
		if pending.LinkedPosted != "" || cur.Posted.Removed {
			return apperr.New(apperr.Conflict, "The transactions changed since this was suggested; it no longer applies.")
		}
		if !pending.Removed {
			if err := s.Ledger.ApplyEntries(ctx, cur.UserID, cur.AccountID, nil, []string{pending.Canonical}, money.NullAmount{}); err != nil {
				return err
			}
		}
		pending.LinkedPosted = cur.Posted.ID
		pending.Removed = true
		if err := s.Repo.SaveFacts(ctx, cur.ConnectionID, uuid.Nil, []domain.Fact{pending}); err != nil {
			return err
		}
		return s.Repo.ResolveSuggestion(ctx, id, SuggestionConfirmed, now)
	})
}

// MaxBalanceDays bounds the days one balance history covers.
const MaxBalanceDays = 366

// BalanceHistory is a linked account's daily balance snapshots, with its
// current balances and how long its drift has persisted.
type BalanceHistory struct {
	AccountID uuid.UUID
	Current   LedgerBalance
	Drift     domain.Drift
	Days      []domain.DailyBalance
}

// Balances returns the subject's account's daily snapshots from from to to
// (both inclusive, UTC days): the provider's balance and the ledger's as the
// last sync of each day recorded them.
func (s *Service) Balances(ctx context.Context, sub authn.Subject, accountID uuid.UUID, from, to time.Time) (BalanceHistory, error) {
	cur, err := s.Ledger.Balance(ctx, sub, accountID)
	if err != nil {
		return BalanceHistory{}, err
	}
	snaps, err := s.Repo.Snapshots(ctx, accountID, from, to)
	if err != nil {
		return BalanceHistory{}, err
	}
	d, err := s.Repo.Drift(ctx, accountID)
	if err != nil {
		return BalanceHistory{}, err
	}
	return BalanceHistory{AccountID: accountID, Current: cur, Drift: d, Days: domain.Daily(snaps)}, nil
}

// ImportRecord is a statement import as the audit trail records it.
type ImportRecord struct {
	ConnectionID uuid.UUID
	UserID       uuid.UUID
	StartedAt    time.Time
	FinishedAt   time.Time
	Stats        domain.Stats
	ErrorCode    string
	ErrorMessage string
}

// RecordImport records a statement import as a run of kind and trigger import,
// succeeded or (ErrorCode set) failed, inside the transaction ctx may carry,
// and announces it like any transaction sync. It returns the run's id.
func (s *Service) RecordImport(ctx context.Context, in ImportRecord) (uuid.UUID, error) {
	r := domain.NewRun(s.NewID(), in.ConnectionID, in.UserID, domain.KindImport, domain.TriggerImport, 0, "", in.StartedAt.UTC())
	r.Stats = in.Stats
	if in.ErrorCode != "" {
		r.Stats.Errors++
		r.Fail(domain.RunError{Code: in.ErrorCode, Message: in.ErrorMessage}, in.FinishedAt.UTC())
	} else {
		r.Succeed("", in.FinishedAt.UTC())
	}
	err := s.Repo.InTx(ctx, func(ctx context.Context) error {
		if err := s.Repo.CreateRun(ctx, r); err != nil {
			return err
		}
		typ, data := "TransactionSyncSucceeded", map[string]any{"trigger": string(r.Trigger), "status": string(r.Status), "stats": r.Stats,
			"duration_ms": r.Duration(in.FinishedAt).Milliseconds()}
		if r.Error != nil {
			typ = "TransactionSyncFailed"
			data["error"] = map[string]any{"code": r.Error.Code, "message": r.Error.Message}
		}
		return s.Publisher.Publish(ctx, Event{Type: typ, UserID: r.UserID, ConnectionID: r.ConnectionID, SyncID: r.ID, Data: data})
	})
	if err != nil {
		return uuid.Nil, err
	}
	return r.ID, nil
}
