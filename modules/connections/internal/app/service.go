package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
)

// ResourceType is the casbin resource type of a connection.
const ResourceType = "connection"

// Page sizes of the connection list.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// StateTTL is how long an OAuth state may be used (API.md: 10 minutes).
const StateTTL = 10 * time.Minute

// Deps are the Service's collaborators.
type Deps struct {
	Repo       Repository
	Sealer     Sealer
	Authorizer Authorizer
	Accounts   Accounts
	Providers  Registry
	Publisher  Publisher
	Clock      Clock
	// Runs records imports as sync runs (NoRunRecorder when nil).
	Runs RunRecorder
	// RedirectURI is Kontor's OAuth callback page (KONTOR_BASE_URL +
	// /connections/callback).
	RedirectURI string
}

// Service runs the connections module's use cases.
type Service struct {
	repo        Repository
	sealer      Sealer
	authz       Authorizer
	accounts    Accounts
	providers   Registry
	pub         Publisher
	runs        RunRecorder
	clock       Clock
	redirectURI string
	// NewID makes ids of new connections; UUIDv7 keeps them in creation order.
	NewID func() uuid.UUID
	// Random feeds OAuth state values.
	Random io.Reader
}

// NewService returns the use cases over d.
func NewService(d Deps) *Service {
	if d.Clock == nil {
		d.Clock = SystemClock{}
	}
	if d.Publisher == nil {
		d.Publisher = NoPublisher{}
	}
	if d.Runs == nil {
		d.Runs = NoRunRecorder{}
	}
	return &Service{runs: d.Runs,
		repo: d.Repo, sealer: d.Sealer, authz: d.Authorizer, accounts: d.Accounts, providers: d.Providers,
		pub: d.Publisher, clock: d.Clock, redirectURI: d.RedirectURI, NewID: newV7, Random: rand.Reader,
	}
}

// NoPublisher drops events; it stands in until an event bus is wired.
type NoPublisher struct{}

// Publish does nothing.
func (NoPublisher) Publish(context.Context, domain.ConnectionStatusChanged) error { return nil }

func newV7() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		panic(fmt.Sprintf("uuid: %v", err)) // only when the system's random source fails
	}
	return id
}

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// ConnectionView is a connection as the faces show it, with its account count.
type ConnectionView struct {
	domain.Connection
	AccountsCount int
}

// Providers lists the providers Kontor offers, by slug.
func (s *Service) Providers() []provider.Info {
	out := make([]provider.Info, 0, len(s.providers))
	for _, p := range s.providers {
		out = append(out, p.Info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Slug < out[j].Slug })
	return out
}

// AuthorizationOrigins returns the origins (scheme://host) of the OAuth providers'
// consent pages, which a page's form may send the browser to.
func (s *Service) AuthorizationOrigins() []string {
	var out []string
	for _, p := range s.providers {
		o, ok := p.(provider.OAuth2)
		if !ok {
			continue
		}
		if u, err := url.Parse(o.AuthCodeURL("", s.redirectURI)); err == nil && u.Scheme != "" && u.Host != "" {
			out = append(out, u.Scheme+"://"+u.Host)
		}
	}
	sort.Strings(out)
	return out
}

func resourceOf(c *domain.Connection) authz.Resource {
	return authz.Resource{Type: ResourceType, ID: c.ID.String(), Owner: c.UserID.String()}
}

func (s *Service) authorizeOwn(ctx context.Context, sub authn.Subject, action string) error {
	return s.authz.Authorize(ctx, sub, authz.Resource{Type: ResourceType, ID: "*", Owner: sub.UserID.String()}, action)
}

// load returns the connection after checking sub may perform action on it: a
// missing one is not_found, another user's forbidden.
func (s *Service) load(ctx context.Context, sub authn.Subject, id uuid.UUID, action string) (domain.Connection, error) {
	c, err := s.repo.Get(ctx, id)
	if err != nil {
		return domain.Connection{}, err
	}
	if err := s.authz.Authorize(ctx, sub, resourceOf(&c), action); err != nil {
		return domain.Connection{}, err
	}
	return c, nil
}

// change runs fn on the locked connection after the authorization check (when sub
// is set), publishes its status changes in the same transaction and returns the
// connection as saved.
func (s *Service) change(ctx context.Context, sub *authn.Subject, id uuid.UUID, action string, fn func(ctx context.Context, c *domain.Connection) error) (domain.Connection, error) {
	var saved domain.Connection
	err := s.repo.Update(ctx, id, func(ctx context.Context, c *domain.Connection) error {
		if sub != nil {
			if err := s.authz.Authorize(ctx, *sub, resourceOf(c), action); err != nil {
				return err
			}
		}
		if err := fn(ctx, c); err != nil {
			return err
		}
		if err := s.publish(ctx, c); err != nil {
			return err
		}
		saved = *c
		return nil
	})
	if err != nil {
		return domain.Connection{}, err
	}
	saved.Version++
	saved.ClearChanges()
	return saved, nil
}

func (s *Service) publish(ctx context.Context, c *domain.Connection) error {
	for _, e := range c.Events() {
		if err := s.pub.Publish(ctx, e); err != nil {
			return apperr.Wrap(err, "publish connection status change")
		}
	}
	return nil
}

// create inserts a new connection and publishes its changes in one transaction.
func (s *Service) create(ctx context.Context, c *domain.Connection) error {
	return s.repo.Atomically(ctx, func(ctx context.Context) error {
		if err := s.repo.Create(ctx, c); err != nil {
			return err
		}
		if err := s.publish(ctx, c); err != nil {
			return err
		}
		c.ClearChanges()
		return nil
	})
}

// view adds the account count to c.
func (s *Service) view(ctx context.Context, sub authn.Subject, c domain.Connection) (ConnectionView, error) {
	counts, err := s.accounts.CountAccounts(ctx, sub, []uuid.UUID{c.ID})
	if err != nil {
		return ConnectionView{}, err
	}
	return ConnectionView{Connection: c, AccountsCount: counts[c.ID]}, nil
}

// seal encrypts credentials for the connection id.
func (s *Service) seal(id uuid.UUID, creds provider.Credentials) ([]byte, error) {
	plain, err := json.Marshal(creds)
	if err != nil {
		return nil, apperr.Wrap(err, "encode credentials")
	}
	sealed, err := s.sealer.Seal(plain, id[:])
	if err != nil {
		return nil, apperr.Wrap(err, "seal credentials")
	}
	return sealed, nil
}

// open decrypts the connection's credentials.
func (s *Service) open(c *domain.Connection) (provider.Credentials, error) {
	var creds provider.Credentials
	if len(c.Credentials) == 0 {
		return creds, nil
	}
	plain, err := s.sealer.Open(c.Credentials, c.ID[:])
	if err != nil {
		return creds, apperr.Wrap(err, "open credentials")
	}
	if err := json.Unmarshal(plain, &creds); err != nil {
		return creds, apperr.Wrap(err, "decode credentials")
	}
	return creds, nil
}

// newState makes a random state value and its stored hash.
func (s *Service) newState() (value, hash string, err error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.Random, b); err != nil {
		return "", "", apperr.Wrap(err, "make oauth state")
	}
	value = base64.RawURLEncoding.EncodeToString(b)
	return value, hashState(value), nil
}

func hashState(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}
