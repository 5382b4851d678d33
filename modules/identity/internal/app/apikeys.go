package app

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
)

// apiKeyResource is the casbin type of an API key.
const apiKeyResource = "api_key"

// CreateAPIKeyInput names a new API key and, optionally, when it stops working.
type CreateAPIKeyInput struct {
	Name      string
	ExpiresAt *time.Time
}

// CreatedAPIKey is a new key's record and the key itself, which is shown this
// once and never again.
type CreatedAPIKey struct {
	APIKey domain.APIKey
	Key    string
}

// CreateAPIKey makes a key for the authenticated user.
func (s *Service) CreateAPIKey(ctx context.Context, sub authn.Subject, in CreateAPIKeyInput) (CreatedAPIKey, error) {
	if err := keyManager(sub); err != nil {
		return CreatedAPIKey{}, err
	}
	now := s.clock.Now()
	var f apperr.Fields
	if in.Name == "" {
		f.Add("name", "is required")
	} else if _, err := domain.ParseAPIKeyName(in.Name); err != nil {
		f.Add("name", "%s", err)
	}
	if err := domain.CheckAPIKeyExpiry(in.ExpiresAt, now); err != nil {
		f.Add("expires_at", "%s", err)
	}
	if err := f.Err(); err != nil {
		return CreatedAPIKey{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return CreatedAPIKey{}, apperr.Wrap(err, "new API key id")
	}
	var expires *time.Time
	if in.ExpiresAt != nil {
		e := in.ExpiresAt.UTC().Truncate(time.Microsecond)
		expires = &e
	}
	k, key, err := domain.NewAPIKey(id, sub.UserID, in.Name, expires, now)
	if err != nil {
		return CreatedAPIKey{}, apperr.Wrap(err, "new API key")
	}
	if err := s.repo.CreateAPIKey(ctx, k); err != nil {
		return CreatedAPIKey{}, apperr.Wrap(err, "store API key")
	}
	return CreatedAPIKey{APIKey: k, Key: key}, nil
}

// ListAPIKeys returns the authenticated user's keys, newest first.
func (s *Service) ListAPIKeys(ctx context.Context, sub authn.Subject) ([]domain.APIKey, error) {
	keys, err := s.repo.ListAPIKeys(ctx, sub.UserID)
	if err != nil {
		return nil, apperr.Wrap(err, "list API keys")
	}
	return keys, nil
}

// RevokeAPIKey stops the key with id from working. Only its owner may revoke it;
// revoking a revoked key changes nothing and succeeds.
func (s *Service) RevokeAPIKey(ctx context.Context, sub authn.Subject, id uuid.UUID) error {
	if err := keyManager(sub); err != nil {
		return err
	}
	notFound := apperr.New(apperr.NotFound, "No API key has this id.")
	k, err := s.repo.APIKeyByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return notFound
	}
	if err != nil {
		return apperr.Wrap(err, "load API key")
	}
	res := authz.Resource{Type: apiKeyResource, ID: k.ID.String(), Owner: k.UserID.String()}
	if err := s.authz.Authorize(ctx, sub, res, authz.ActionDelete); err != nil {
		return err
	}
	err = s.repo.UpdateAPIKey(ctx, id, func(k *domain.APIKey) error {
		k.Revoke(s.clock.Now())
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return notFound
	}
	if err != nil {
		return apperr.Wrap(err, "revoke API key")
	}
	return nil
}

// keyManager refuses to let an API key create or revoke API keys: a leaked key must
// not be able to replace itself with one that never expires, nor to revoke the keys
// its owner relies on. Keys are managed from a browser session or with an access
// token from a password login.
func keyManager(sub authn.Subject) error {
	if sub.Method == authn.MethodAPIKey {
		return apperr.New(apperr.Forbidden, "An API key cannot create or revoke API keys; log in with your password or use the settings page.")
	}
	return nil
}
