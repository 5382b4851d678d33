package app

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
)

// CreateInput links a provider: SetupToken only for setup-token providers.
type CreateInput struct {
	Provider   string
	Alias      string
	SetupToken string
}

// Created is a new connection and, for OAuth providers, where the person's
// browser consents.
type Created struct {
	Connection       ConnectionView
	AuthorizationURL string
}

// CreateConnection links a provider for sub. An OAuth provider starts pending with
// an authorization URL whose state is single-use, bound to sub and valid for ten
// minutes; a setup token is claimed at once (active, or token_compromised when
// the provider refuses it); a file provider is active at once.
func (s *Service) CreateConnection(ctx context.Context, sub authn.Subject, in CreateInput) (Created, error) {
	var errs apperr.Fields
	p, known := s.providers[in.Provider]
	switch {
	case strings.TrimSpace(in.Provider) == "":
		errs.Add("provider", "is required")
	case !known:
		errs.Add("provider", "must be one of %s", strings.Join(s.slugs(), ", "))
	}
	if known {
		_, wantsToken := p.(provider.SetupToken)
		token := strings.TrimSpace(in.SetupToken)
		switch {
		case wantsToken && token == "":
			errs.Add("setup_token", "is required for %s", in.Provider)
		case !wantsToken && in.SetupToken != "":
			errs.Add("setup_token", "is only for setup-token providers, not %s", in.Provider)
		}
	}
	if err := errs.Err(); err != nil {
		return Created{}, err
	}
	if err := s.authorizeOwn(ctx, sub, authz.ActionWrite); err != nil {
		return Created{}, err
	}
	now := s.now()
	c, err := domain.New(domain.NewParams{ID: s.NewID(), UserID: sub.UserID, Provider: in.Provider, Alias: in.Alias, Now: now})
	if err != nil {
		return Created{}, err
	}
	var authURL string
	switch p := p.(type) {
	case provider.OAuth2:
		value, hash, err := s.newState()
		if err != nil {
			return Created{}, err
		}
		err = s.repo.Atomically(ctx, func(ctx context.Context) error {
			if err := s.create(ctx, c); err != nil {
				return err
			}
			return s.repo.SaveState(ctx, OAuthState{Hash: hash, UserID: sub.UserID, ConnectionID: c.ID, CreatedAt: now, ExpiresAt: now.Add(StateTTL)})
		})
		if err != nil {
			return Created{}, err
		}
		authURL = p.AuthCodeURL(value, s.redirectURI)
	case provider.SetupToken:
		creds, err := p.Claim(ctx, strings.TrimSpace(in.SetupToken))
		if err != nil {
			return Created{}, claimError(err)
		}
		sealed, err := s.seal(c.ID, creds)
		if err != nil {
			return Created{}, err
		}
		if err := c.Activate(sealed, "The setup token was claimed.", now); err != nil {
			return Created{}, err
		}
		if err := s.create(ctx, c); err != nil {
			return Created{}, err
		}
		if err := s.mirrorAccounts(ctx, sub, c.ID); err != nil {
			return Created{}, err
		}
		stored, err := s.repo.Get(ctx, c.ID)
		if err != nil {
			return Created{}, err
		}
		*c = stored
	default:
		c.AutoSync = false // a file connection has nothing to fetch on a schedule
		if err := c.Activate(nil, "Ready for statement files.", now); err != nil {
			return Created{}, err
		}
		if err := s.create(ctx, c); err != nil {
			return Created{}, err
		}
	}
	v, err := s.view(ctx, sub, *c)
	if err != nil {
		return Created{}, err
	}
	return Created{Connection: v, AuthorizationURL: authURL}, nil
}

func (s *Service) slugs() []string {
	infos := s.Providers()
	out := make([]string, len(infos))
	for i, p := range infos {
		out[i] = p.Slug
	}
	return out
}

// TokenCompromisedMessage is what SimpleFIN asks an app to say when a claim fails.
const TokenCompromisedMessage = "The setup token could not be claimed: it does not exist or someone else already claimed it. " +
	"Your financial data may be compromised: disable this token at your SimpleFIN Bridge account and create a new one."

// claimError maps a failed claim to the problem the caller sees; every failure is
// a 4xx except a provider that could not be reached.
func claimError(err error) error {
	if _, ok := apperr.As(err); ok {
		return err
	}
	var pe *provider.Error
	if !asProviderError(err, &pe) {
		return apperr.Validation(apperr.FieldError{Field: "setup_token", Message: "could not be claimed: its claim URL was refused or could not be reached"})
	}
	switch pe.Code {
	case provider.CodeTokenCompromised, provider.CodeAuthExpired, provider.CodeAuthRevoked, provider.CodeConsentDenied:
		msg := TokenCompromisedMessage
		if pe.Code == provider.CodeTokenCompromised && pe.Message != "" {
			msg = pe.Message // the adapter's words, as SimpleFIN asks apps to say them
		}
		return apperr.New(domain.CodeTokenCompromisedErr, "%s", msg)
	case provider.CodeBadData:
		msg := pe.Message
		if msg == "" {
			msg = "is not a SimpleFIN setup token"
		}
		return apperr.Validation(apperr.FieldError{Field: "setup_token", Message: msg})
	}
	e := apperr.New(domain.CodeProviderFailed, "The provider could not be reached to claim the setup token; try again later.")
	if pe.RetryAfter > 0 {
		e = e.WithRetryAfter(int(pe.RetryAfter.Seconds() + 0.5))
	}
	return e
}

// CallbackInput is what the provider put on Kontor's redirect: Code and State, or
// Error and State. Caller is the signed-in person, if any; Browser says the page
// route asks (a foreign signed-in person is then forbidden rather than told the
// state is invalid).
type CallbackInput struct {
	State   string
	Code    string
	Error   string
	Caller  *authn.Subject
	Browser bool
}

var oauthErrorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

func invalidState() error {
	return apperr.New(domain.CodeInvalidState, "The link request is unknown, was already used, belongs to someone else or has expired; start the link again.")
}

// CompleteOAuth finishes an OAuth link for the user the state was issued to. The
// state is single-use and expires after ten minutes; a state of another user is
// refused without being used up. A refused consent leaves the connection in
// error with reason consent_denied.
func (s *Service) CompleteOAuth(ctx context.Context, in CallbackInput) (ConnectionView, error) {
	if in.State == "" || len(in.State) > 512 {
		return ConnectionView{}, invalidState()
	}
	if in.Code == "" && in.Error == "" {
		return ConnectionView{}, apperr.Validation(apperr.FieldError{Field: "code", Message: "is required unless error is given"})
	}
	hash := hashState(in.State)
	st, found, err := s.repo.State(ctx, hash)
	if err != nil {
		return ConnectionView{}, err
	}
	if !found {
		return ConnectionView{}, invalidState()
	}
	if in.Caller != nil && in.Caller.UserID != st.UserID {
		if in.Browser {
			return ConnectionView{}, apperr.New(apperr.Forbidden, "This link was started by someone else; nothing was linked.")
		}
		return ConnectionView{}, invalidState()
	}
	won, err := s.repo.ConsumeState(ctx, hash)
	if err != nil {
		return ConnectionView{}, err
	}
	if !won || !s.now().Before(st.ExpiresAt) {
		return ConnectionView{}, invalidState()
	}
	owner := authn.Subject{UserID: st.UserID}
	if in.Caller != nil {
		owner = *in.Caller
	}
	conn, err := s.repo.Get(ctx, st.ConnectionID)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return ConnectionView{}, invalidState()
		}
		return ConnectionView{}, err
	}
	p, ok := s.providers[conn.Provider].(provider.OAuth2)
	if !ok {
		return ConnectionView{}, invalidState()
	}
	if in.Error != "" {
		if in.Error != "access_denied" {
			code := in.Error
			if !oauthErrorCode.MatchString(code) {
				code = "an unreadable error"
			}
			return ConnectionView{}, apperr.New(domain.CodeInvalidGrant, "The bank did not complete the consent (%s); start the link again.", code)
		}
		c, err := s.change(ctx, &owner, conn.ID, authz.ActionWrite, func(_ context.Context, c *domain.Connection) error {
			return c.DenyConsent("", s.now())
		})
		if err != nil {
			return ConnectionView{}, err
		}
		return s.view(ctx, owner, c)
	}
	creds, err := p.Exchange(ctx, in.Code, s.redirectURI)
	if err != nil {
		if provider.CodeOf(err) == provider.CodeConsentDenied {
			c, err := s.change(ctx, &owner, conn.ID, authz.ActionWrite, func(_ context.Context, c *domain.Connection) error {
				return c.DenyConsent("", s.now())
			})
			if err != nil {
				return ConnectionView{}, err
			}
			return s.view(ctx, owner, c)
		}
		if provider.CodeOf(err) == provider.CodeProviderUnavailable || provider.CodeOf(err) == provider.CodeRateLimited {
			return ConnectionView{}, apperr.New(domain.CodeProviderFailed, "The bank could not be reached to finish the link; start it again later.")
		}
		return ConnectionView{}, apperr.New(domain.CodeInvalidGrant, "The bank did not accept the authorization; start the link again.")
	}
	sealed, err := s.seal(conn.ID, creds)
	if err != nil {
		return ConnectionView{}, err
	}
	message := "Linked through the bank's consent."
	if conn.Status != domain.StatusPending {
		message = "Reauthorized through the bank's consent."
	}
	c, err := s.change(ctx, &owner, conn.ID, authz.ActionWrite, func(_ context.Context, c *domain.Connection) error {
		return c.Activate(sealed, message, s.now())
	})
	if err != nil {
		return ConnectionView{}, err
	}
	if err := s.mirrorAccounts(ctx, owner, c.ID); err != nil {
		return ConnectionView{}, err
	}
	if c, err = s.repo.Get(ctx, c.ID); err != nil {
		return ConnectionView{}, err
	}
	return s.view(ctx, owner, c)
}

// ListInput filters and pages the subject's connections.
type ListInput struct {
	Provider string
	Status   domain.Status
	Limit    int
	Cursor   string
}

// ConnectionList is one page of connections.
type ConnectionList struct {
	Connections []ConnectionView
	NextCursor  string
	HasMore     bool
}

// ListConnections returns one page of the subject's connections in creation order.
func (s *Service) ListConnections(ctx context.Context, sub authn.Subject, in ListInput) (ConnectionList, error) {
	var errs apperr.Fields
	if in.Limit == 0 {
		in.Limit = DefaultLimit
	}
	if in.Limit < 1 || in.Limit > MaxLimit {
		errs.Add("limit", "must be a whole number between 1 and %d", MaxLimit)
	}
	if in.Status != "" && !in.Status.Valid() {
		errs.Add("status", "must be one of pending, active, needs_reauth, error, disconnected")
	}
	if err := errs.Err(); err != nil {
		return ConnectionList{}, err
	}
	var after uuid.NullUUID
	if in.Cursor != "" {
		id, err := decodeCursor(in.Cursor)
		if err != nil {
			return ConnectionList{}, err
		}
		after = uuid.NullUUID{UUID: id, Valid: true}
	}
	if err := s.authorizeOwn(ctx, sub, authz.ActionRead); err != nil {
		return ConnectionList{}, err
	}
	conns, more, err := s.repo.List(ctx, ListQuery{UserID: sub.UserID, Provider: in.Provider, Status: in.Status, After: after, Limit: in.Limit})
	if err != nil {
		return ConnectionList{}, err
	}
	ids := make([]uuid.UUID, len(conns))
	for i, c := range conns {
		ids[i] = c.ID
	}
	counts := map[uuid.UUID]int{}
	if len(ids) > 0 {
		if counts, err = s.accounts.CountAccounts(ctx, sub, ids); err != nil {
			return ConnectionList{}, err
		}
	}
	out := ConnectionList{Connections: make([]ConnectionView, len(conns)), HasMore: more}
	for i, c := range conns {
		out.Connections[i] = ConnectionView{Connection: c, AccountsCount: counts[c.ID]}
	}
	if more && len(conns) > 0 {
		out.NextCursor = encodeCursor(conns[len(conns)-1].ID)
	}
	return out, nil
}

const cursorPrefix = "c1."

func encodeCursor(id uuid.UUID) string { return cursorPrefix + id.String() }

func decodeCursor(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(strings.TrimPrefix(s, cursorPrefix))
	if err != nil || !strings.HasPrefix(s, cursorPrefix) {
		return uuid.Nil, apperr.New(apperr.InvalidCursor, "The cursor is not one this list handed out; start again without it.")
	}
	return id, nil
}

// GetConnection returns the subject's connection.
func (s *Service) GetConnection(ctx context.Context, sub authn.Subject, id uuid.UUID) (ConnectionView, error) {
	c, err := s.load(ctx, sub, id, authz.ActionRead)
	if err != nil {
		return ConnectionView{}, err
	}
	return s.view(ctx, sub, c)
}

// ConnectionPage is what the connection page shows: the connection and its
// latest status changes.
type ConnectionPage struct {
	ConnectionView
	History []domain.History
}

// ConnectionDetails returns the subject's connection with its latest status
// changes, newest first.
func (s *Service) ConnectionDetails(ctx context.Context, sub authn.Subject, id uuid.UUID) (ConnectionPage, error) {
	v, err := s.GetConnection(ctx, sub, id)
	if err != nil {
		return ConnectionPage{}, err
	}
	h, err := s.repo.History(ctx, id, 50)
	if err != nil {
		return ConnectionPage{}, err
	}
	return ConnectionPage{ConnectionView: v, History: h}, nil
}

// PatchInput changes a connection's settings. ExpectedVersion, when set, is the
// version the client last saw (from If-Match); a newer one is precondition_failed.
type PatchInput struct {
	ID              uuid.UUID
	ExpectedVersion *int64
	Settings        domain.Settings
}

// UpdateConnection changes the alias, auto-sync or the sync interval.
func (s *Service) UpdateConnection(ctx context.Context, sub authn.Subject, in PatchInput) (ConnectionView, error) {
	c, err := s.change(ctx, &sub, in.ID, authz.ActionWrite, func(_ context.Context, c *domain.Connection) error {
		if in.ExpectedVersion != nil && *in.ExpectedVersion != c.Version {
			return apperr.New(apperr.PreconditionFailed, "The connection has changed since you read it (it is now at %s); read it again and reapply your change.", ETag(c.Version))
		}
		if _, files := s.providers[c.Provider].(provider.File); files && in.Settings.AutoSync != nil && *in.Settings.AutoSync {
			return apperr.Validation(apperr.FieldError{Field: "auto_sync", Message: "cannot be on for a file connection, which has nothing to fetch; upload statements instead"})
		}
		return c.Apply(in.Settings, s.now())
	})
	if err != nil {
		return ConnectionView{}, err
	}
	return s.view(ctx, sub, c)
}

// Disconnect ends a connection: its credentials are destroyed, it becomes
// disconnected and its accounts inactive (they keep their history), all in one
// transaction. Disconnecting twice changes nothing more.
func (s *Service) Disconnect(ctx context.Context, sub authn.Subject, id uuid.UUID) (ConnectionView, error) {
	c, err := s.change(ctx, &sub, id, authz.ActionDelete, func(ctx context.Context, c *domain.Connection) error {
		if !c.Disconnect(s.now()) {
			return nil
		}
		_, err := s.accounts.DeactivateConnection(ctx, sub, c.ID)
		return err
	})
	if err != nil {
		return ConnectionView{}, err
	}
	return s.view(ctx, sub, c)
}

// Reauthorized is a connection and the URL where its owner consents again.
type Reauthorized struct {
	Connection       ConnectionView
	AuthorizationURL string
}

// Reauthorize starts a new consent for an OAuth connection that needs one; the
// callback completes it into the same connection and the same accounts.
func (s *Service) Reauthorize(ctx context.Context, sub authn.Subject, id uuid.UUID) (Reauthorized, error) {
	c, err := s.load(ctx, sub, id, authz.ActionWrite)
	if err != nil {
		return Reauthorized{}, err
	}
	p, oauth := s.providers[c.Provider].(provider.OAuth2)
	if err := c.CheckReauthorizable(oauth); err != nil {
		return Reauthorized{}, err
	}
	value, hash, err := s.newState()
	if err != nil {
		return Reauthorized{}, err
	}
	now := s.now()
	if err := s.repo.SaveState(ctx, OAuthState{Hash: hash, UserID: c.UserID, ConnectionID: c.ID, CreatedAt: now, ExpiresAt: now.Add(StateTTL)}); err != nil {
		return Reauthorized{}, err
	}
	v, err := s.view(ctx, sub, c)
	if err != nil {
		return Reauthorized{}, err
	}
	return Reauthorized{Connection: v, AuthorizationURL: p.AuthCodeURL(value, s.redirectURI)}, nil
}

// ConnectionAccounts lists the accounts of the subject's connection with the
// filters of GET /accounts, which the api and web layers decode.
func (s *Service) ConnectionAccounts(ctx context.Context, sub authn.Subject, id uuid.UUID, query accounts.AccountQuery) (accounts.AccountPage, error) {
	if _, err := s.load(ctx, sub, id, authz.ActionRead); err != nil {
		return accounts.AccountPage{}, err
	}
	return s.accounts.ConnectionAccounts(ctx, sub, id, query)
}

// ETag returns the weak entity tag of a connection version.
func ETag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }
