package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
)

// refreshAhead renews OAuth credentials that expire within this margin before a
// call, so a call never starts with a token about to die.
const refreshAhead = time.Minute

func notSyncable(c domain.Connection) error {
	return apperr.New(apperr.ConnectionNotActive, "The connection is %s; only an active connection can be synced.", c.Status)
}

// ConnectionForSync returns the subject's connection when it can be synced now
// (active, or in an error a retry may mend); else connection_not_active.
func (s *Service) ConnectionForSync(ctx context.Context, sub authn.Subject, id uuid.UUID) (domain.Connection, error) {
	c, err := s.load(ctx, sub, id, authz.ActionWrite)
	if err != nil {
		return domain.Connection{}, err
	}
	if !c.Usable() {
		return domain.Connection{}, notSyncable(c)
	}
	return c, nil
}

// ReadConnection returns the subject's connection whatever its status (not_found,
// forbidden), for the sync module's reads.
func (s *Service) ReadConnection(ctx context.Context, sub authn.Subject, id uuid.UUID) (domain.Connection, error) {
	return s.load(ctx, sub, id, authz.ActionRead)
}

// SystemConnectionForSync is ConnectionForSync for the scheduler, which acts for
// no person: no authorization is asked.
func (s *Service) SystemConnectionForSync(ctx context.Context, id uuid.UUID) (domain.Connection, error) {
	c, err := s.repo.Get(ctx, id)
	if err != nil {
		return domain.Connection{}, err
	}
	if !c.Usable() {
		return domain.Connection{}, notSyncable(c)
	}
	return c, nil
}

// SystemDueConnections returns up to limit connections the scheduler should sync
// now; a system call.
func (s *Service) SystemDueConnections(ctx context.Context, now time.Time, limit int) ([]domain.Connection, error) {
	return s.repo.Due(ctx, now, limit)
}

// remote loads a usable connection of a remote provider with its credentials,
// refreshing them first when they are about to expire (the refreshed ones are
// saved before anything else).
func (s *Service) remote(ctx context.Context, id uuid.UUID) (domain.Connection, provider.Remote, provider.Credentials, error) {
	c, err := s.SystemConnectionForSync(ctx, id)
	if err != nil {
		return c, nil, provider.Credentials{}, err
	}
	p, ok := s.providers[c.Provider].(provider.Remote)
	if !ok {
		return c, nil, provider.Credentials{}, apperr.New(apperr.Conflict, "A %s connection has no provider to call; it takes files.", c.Provider)
	}
	creds, err := s.open(&c)
	if err != nil {
		return c, nil, creds, err
	}
	if creds.IsZero() {
		return c, nil, creds, provider.Errorf(provider.CodeAuthRevoked, "The connection holds no credentials; reconnect it.")
	}
	if !creds.Expiry.IsZero() && creds.RefreshToken != "" && creds.Expiry.Before(s.now().Add(refreshAhead)) {
		fresh, err := p.Refresh(ctx, creds)
		if err != nil {
			return c, nil, creds, err
		}
		if err := s.keepCredentials(ctx, c.ID, fresh); err != nil {
			return c, nil, creds, err
		}
		creds = fresh
	}
	return c, p, creds, nil
}

// keepCredentials seals and saves refreshed credentials; zero ones are no change.
func (s *Service) keepCredentials(ctx context.Context, id uuid.UUID, creds provider.Credentials) error {
	if creds.IsZero() {
		return nil
	}
	sealed, err := s.seal(id, creds)
	if err != nil {
		return err
	}
	_, err = s.change(ctx, nil, id, "", func(_ context.Context, c *domain.Connection) error {
		if c.Status == domain.StatusDisconnected {
			return nil // disconnected meanwhile: its credentials stay destroyed
		}
		c.ReplaceCredentials(sealed, s.now())
		return nil
	})
	return err
}

// FetchAccounts calls the connection's provider for its accounts; a system call
// for the sync worker. A provider failure is returned as a *provider.Error for
// ReportOutcome.
func (s *Service) FetchAccounts(ctx context.Context, id uuid.UUID) ([]provider.Account, error) {
	_, p, creds, err := s.remote(ctx, id)
	if err != nil {
		return nil, err
	}
	accounts, fresh, err := p.Accounts(ctx, creds)
	if kerr := s.keepCredentials(ctx, id, fresh); kerr != nil {
		return nil, kerr
	}
	return accounts, err
}

// FetchTransactions calls the connection's provider for one page of changes; a
// system call for the sync worker.
func (s *Service) FetchTransactions(ctx context.Context, id uuid.UUID, req provider.TransactionsRequest) (provider.Changes, error) {
	_, p, creds, err := s.remote(ctx, id)
	if err != nil {
		return provider.Changes{}, err
	}
	changes, fresh, err := p.Transactions(ctx, creds, req)
	if kerr := s.keepCredentials(ctx, id, fresh); kerr != nil {
		return provider.Changes{}, kerr
	}
	return changes, err
}

// OutcomeOf turns the result of a provider call into the outcome the state
// machine takes: nil is success, a *provider.Error its code, anything else an
// unavailable provider.
func OutcomeOf(err error) domain.Outcome {
	if err == nil {
		return domain.Outcome{}
	}
	var pe *provider.Error
	if asProviderError(err, &pe) {
		return domain.Outcome{Code: domain.ReasonCode(pe.Code), Message: pe.Message, RetryAfter: pe.RetryAfter}
	}
	return domain.Outcome{Code: domain.CodeProviderUnavailable}
}

// SystemReportOutcome records how a sync attempt ended and moves the connection
// through its state machine; a system call for the sync worker. ctx may carry
// the sync's own database transaction, which the change then joins.
func (s *Service) SystemReportOutcome(ctx context.Context, id uuid.UUID, result error) (domain.Connection, error) {
	out := OutcomeOf(result)
	return s.change(ctx, nil, id, "", func(_ context.Context, c *domain.Connection) error {
		return c.RecordOutcome(out, s.now())
	})
}

// mirrorAccounts fetches a newly linked connection's accounts and mirrors them at
// once, so the person sees them on arrival; transactions come with the first sync.
// A provider failure (or an account the accounts module refuses) moves the
// connection through its state machine as a sync's would; the link itself stands.
func (s *Service) mirrorAccounts(ctx context.Context, sub authn.Subject, id uuid.UUID) error {
	c, err := s.repo.Get(ctx, id)
	if err != nil {
		return err
	}
	if _, ok := s.providers[c.Provider].(provider.Remote); !ok {
		return nil
	}
	err = s.mirror(ctx, sub, &c)
	if err == nil {
		return nil // the first sync records the attempt
	}
	if _, isApp := apperr.As(err); isApp && provider.CodeOf(err) == "" {
		return err
	}
	_, rerr := s.SystemReportOutcome(ctx, id, err)
	return rerr
}

func (s *Service) mirror(ctx context.Context, sub authn.Subject, c *domain.Connection) error {
	accounts, err := s.FetchAccounts(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		if _, _, err := s.accounts.UpsertAccount(ctx, sub, linkedAccountOf(c, a)); err != nil {
			if e, ok := apperr.As(err); ok && e.Code == apperr.ValidationFailed {
				return provider.Errorf(provider.CodeBadData, "The bank reported an account Kontor could not keep: %s", e.Message)
			}
			return err
		}
	}
	return nil
}
