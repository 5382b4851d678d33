package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// ResourceType is the casbin resource type of an account.
const ResourceType = "account"

// Page sizes of the list use cases.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Service runs the accounts module's use cases.
type Service struct {
	repo  Repository
	authz Authorizer
	clock Clock
	// NewID makes the ids of new accounts and entries; UUIDv7 keeps them in time order.
	NewID func() uuid.UUID
	// Random feeds generated account numbers.
	Random io.Reader
}

// NewService returns the use cases over repo, asking authorizer before every access.
func NewService(repo Repository, authorizer Authorizer, clock Clock) *Service {
	if clock == nil {
		clock = SystemClock{}
	}
	return &Service{repo: repo, authz: authorizer, clock: clock, NewID: newV7, Random: rand.Reader}
}

func newV7() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		// NewV7 fails only when the system's random source does, which leaves no
		// safe way to make an id.
		panic(fmt.Sprintf("uuid: %v", err))
	}
	return id
}

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

func resourceOf(a *domain.Account) authz.Resource {
	return authz.Resource{Type: ResourceType, ID: a.ID.String(), Owner: a.UserID.String()}
}

// authorize asks whether sub may act on a.
func (s *Service) authorize(ctx context.Context, sub authn.Subject, a *domain.Account, action string) error {
	return s.authz.Authorize(ctx, sub, resourceOf(a), action)
}

// authorizeOwn asks whether sub may act on its own collection of accounts, which
// list and create use cases touch before any single account exists.
func (s *Service) authorizeOwn(ctx context.Context, sub authn.Subject, action string) error {
	return s.authz.Authorize(ctx, sub, authz.Resource{Type: ResourceType, ID: "*", Owner: sub.UserID.String()}, action)
}

// load returns the account with the id after checking sub may perform action on it:
// a missing account is not_found and another user's is forbidden.
func (s *Service) load(ctx context.Context, sub authn.Subject, id uuid.UUID, action string) (domain.Account, error) {
	a, err := s.repo.Get(ctx, id)
	if err != nil {
		return domain.Account{}, err
	}
	if err := s.authorize(ctx, sub, &a, action); err != nil {
		return domain.Account{}, err
	}
	return a, nil
}

func notFound() error { return apperr.New(apperr.NotFound, "No account with this id exists.") }

// ParseID decodes an account id from a path: text that is no UUID names no account,
// so it is not_found, as an unknown id is.
func ParseID(id string) (uuid.UUID, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return uuid.Nil, notFound()
	}
	return u, nil
}

// update runs fn on the locked account after the authorization check, with the
// context of the locked transaction, and returns the account as saved.
func (s *Service) update(ctx context.Context, sub authn.Subject, id uuid.UUID, action string, fn func(ctx context.Context, a *domain.Account) error) (domain.Account, error) {
	var saved *domain.Account
	err := s.repo.Update(ctx, id, func(ctx context.Context, a *domain.Account) error {
		if err := s.authorize(ctx, sub, a, action); err != nil {
			return err
		}
		saved = a
		return fn(ctx, a)
	})
	if err != nil {
		return domain.Account{}, s.mapRepoError(err)
	}
	return *saved, nil
}

// mapRepoError turns the repository's uniqueness errors into the API's codes.
func (s *Service) mapRepoError(err error) error {
	switch {
	case errors.Is(err, ErrAccountNumberTaken):
		return apperr.New(apperr.Conflict, "Another of your accounts already has this account number.")
	case errors.Is(err, ErrExternalIDTaken):
		return apperr.New(domain.DuplicateExternalID, "Another of your accounts already has this external_id.")
	case errors.Is(err, ErrProviderAccountTaken):
		return apperr.New(apperr.Conflict, "This provider account is already linked on the connection.")
	case errors.Is(err, ErrEntryExternalIDTaken):
		return apperr.New(domain.DuplicateExternalID, "The account already has a transaction with this external_id.")
	case errors.Is(err, ErrProviderEntryIDTaken):
		return apperr.New(apperr.Conflict, "The account already has a transaction with this provider transaction id.")
	case errors.Is(err, ErrConcurrentModification):
		return apperr.New(apperr.Conflict, "The account changed at the same moment; retry the request.")
	}
	return err
}

// parseAmount reads a decimal field into fields' errors.
func parseAmount(f *apperr.Fields, name, s string) (money.Amount, bool) {
	a, err := money.Parse(strings.TrimSpace(s))
	if err != nil {
		f.Add(name, "%s", err.Error())
		return money.Zero, false
	}
	return a, true
}

func parseOptionalAmount(f *apperr.Fields, name, s string) *money.Amount {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	a, ok := parseAmount(f, name, s)
	if !ok {
		return nil
	}
	return &a
}

// parseDate reads YYYY-MM-DD as midnight UTC.
func parseDate(f *apperr.Fields, name, s string) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		f.Add(name, "must be a date written YYYY-MM-DD")
		return time.Time{}, false
	}
	if d.Year() < 1 {
		// Year 0 parses, but PostgreSQL's calendar has none: refuse it before it reaches
		// a query, on both engines alike.
		f.Add(name, "must be a date from 0001-01-01 on")
		return time.Time{}, false
	}
	return d.UTC(), true
}

// parseInstant reads an RFC 3339 timestamp, or a date meaning its midnight UTC.
func parseInstant(f *apperr.Fields, name, s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) == len(time.DateOnly) {
		return parseDate(f, name, s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		f.Add(name, "must be an RFC 3339 timestamp such as 2025-01-31T12:00:00Z, or a date YYYY-MM-DD")
		return time.Time{}, false
	}
	if t.UTC().Year() < 1 {
		f.Add(name, "must be a time from 0001-01-01 on")
		return time.Time{}, false
	}
	return t.UTC().Truncate(time.Microsecond), true
}

func checkLimit(f *apperr.Fields, limit int) int {
	switch {
	case limit == 0:
		return DefaultLimit
	case limit < 1 || limit > MaxLimit:
		f.Add("limit", "must be between 1 and %d", MaxLimit)
		return DefaultLimit
	}
	return limit
}

// cursor is what an opaque cursor holds: which list and sort it belongs to, and the
// keyset position of the last row served.
type cursor struct {
	Kind  string `json:"k"`
	Sort  string `json:"s,omitempty"`
	Value string `json:"v"`
	ID    string `json:"i"`
	// Favourite is set when the last row served was a favourite account: the
	// account list serves favourites first.
	Favourite bool `json:"f,omitempty"`
}

// encodeCursor makes an opaque, URL-safe cursor.
func encodeCursor(kind, sort, value string, id uuid.UUID) string {
	return encodePosition(kind, sort, KeysetPosition{Value: value, ID: id})
}

// encodePosition makes an opaque, URL-safe cursor of a whole keyset position.
func encodePosition(kind, sort string, p KeysetPosition) string {
	b, _ := json.Marshal(cursor{Kind: kind, Sort: sort, Value: p.Value, ID: p.ID.String(), Favourite: p.Favourite})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor made by encodeCursor for the same list and sort.
func decodeCursor(s, kind, sort string) (*KeysetPosition, error) {
	if s == "" {
		return nil, nil
	}
	bad := apperr.New(apperr.InvalidCursor, "The cursor is not one this list handed out; start again without it.")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) > 1024 {
		return nil, bad
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil || c.Kind != kind || c.Sort != sort {
		return nil, bad
	}
	id, err := uuid.Parse(c.ID)
	if err != nil {
		return nil, bad
	}
	return &KeysetPosition{Value: c.Value, ID: id, Favourite: c.Favourite}, nil
}

// generateAccountNumber returns "ACC-" and ten random digits.
func (s *Service) generateAccountNumber() (string, error) {
	n, err := rand.Int(s.Random, big.NewInt(10_000_000_000))
	if err != nil {
		return "", apperr.Wrap(err, "generate account number")
	}
	return fmt.Sprintf("ACC-%010d", n.Int64()), nil
}
