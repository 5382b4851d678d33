// Package app holds the sandbox bank's use cases: consent, the OAuth 2.0 token
// grants, the accounts and change-feed reads, and the persona controls. It knows
// nothing of HTTP; the api package maps its errors onto RFC 6749 bodies.
package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kontor-app/kontor/modules/sandbox/internal/domain"
	"github.com/kontor-app/kontor/modules/sandbox/internal/store"
	"github.com/kontor-app/kontor/platform/database"
)

// Lifetimes of what the bank issues.
const (
	CodeTTL    = 10 * time.Minute
	AccessTTL  = time.Hour
	RefreshTTL = 30 * 24 * time.Hour
	ConsentTTL = 10 * time.Minute
)

// MaxSyncCount is the largest page the change feed serves.
const MaxSyncCount = 500

// DefaultSyncCount is the page size when the client names none.
const DefaultSyncCount = 100

// MaxAdvanceDays bounds one advance.
const MaxAdvanceDays = 366

// Settings configure the bank.
type Settings struct {
	// ClientID and ClientSecret are the one registered OAuth client.
	ClientID, ClientSecret string
	// RedirectURIs are the client's registered redirect URIs (exact match).
	RedirectURIs []string
	// SigningKey signs the consent form.
	SigningKey []byte
	// Now is the clock of token lifetimes and of a new world's first day.
	Now func() time.Time
}

// Error is a failure with an OAuth 2.0 style code; Status is the HTTP status the api
// layer answers with.
type Error struct {
	Status      int
	Code        string
	Description string
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

func fail(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Description: fmt.Sprintf(format, args...)}
}

// Service is the bank.
type Service struct {
	st     *store.Store
	set    Settings
	faults *faultState
}

// New returns the bank on st.
func New(st *store.Store, set Settings) *Service {
	if set.Now == nil {
		set.Now = time.Now
	}
	return &Service{st: st, set: set, faults: &faultState{m: map[string]*personaFaults{}}}
}

// CheckClient validates a client id and redirect URI from an authorization request.
func (s *Service) CheckClient(clientID, redirectURI string) error {
	if clientID != s.set.ClientID {
		return fail(400, "invalid_client", "unknown client_id %q", clientID)
	}
	if redirectURI == "" {
		return fail(400, "invalid_request", "redirect_uri is required")
	}
	if !slices.Contains(s.set.RedirectURIs, redirectURI) {
		return fail(400, "invalid_request", "redirect_uri %q is not registered for this client", redirectURI)
	}
	return nil
}

// AuthenticateClient checks HTTP Basic client credentials.
func (s *Service) AuthenticateClient(id, secret string) error {
	okID := subtle.ConstantTimeCompare([]byte(id), []byte(s.set.ClientID)) == 1
	okSecret := subtle.ConstantTimeCompare([]byte(secret), []byte(s.set.ClientSecret)) == 1
	if !okID || !okSecret {
		return fail(401, "invalid_client", "client authentication failed")
	}
	return nil
}

// Consent is an authorization request the consent form carries, signed.
type Consent struct {
	ClientID    string `json:"c"`
	RedirectURI string `json:"r"`
	State       string `json:"s"`
	Scope       string `json:"o"`
	Nonce       string `json:"n"`
	Expires     int64  `json:"e"`
}

// SignConsent returns the consent as a signed, tamper-proof form value that expires
// after ConsentTTL; Nonce binds it to the browser's cookie.
func (s *Service) SignConsent(c Consent) string {
	c.Expires = s.set.Now().Add(ConsentTTL).Unix()
	raw, _ := json.Marshal(c)
	body := base64.RawURLEncoding.EncodeToString(raw)
	return body + "." + s.mac(body)
}

func (s *Service) mac(body string) string {
	m := hmac.New(sha256.New, s.set.SigningKey)
	m.Write([]byte("sandbox-consent:" + body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// VerifyConsent checks a signed consent and the browser nonce it must carry.
func (s *Service) VerifyConsent(signed, nonce string) (Consent, error) {
	body, sig, ok := strings.Cut(signed, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.mac(body))) {
		return Consent{}, fail(400, "invalid_request", "the consent form was not issued by this bank")
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	var c Consent
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return Consent{}, fail(400, "invalid_request", "the consent form is damaged")
	}
	if s.set.Now().Unix() > c.Expires {
		return Consent{}, fail(400, "invalid_request", "the consent form has expired; start again")
	}
	if nonce == "" || !hmac.Equal([]byte(nonce), []byte(c.Nonce)) {
		return Consent{}, fail(400, "invalid_request", "the consent form belongs to another browser session")
	}
	if err := s.CheckClient(c.ClientID, c.RedirectURI); err != nil {
		return Consent{}, err
	}
	return c, nil
}

// RandomToken returns a random URL-safe token with prefix.
func RandomToken(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func hash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// EnsureWorld creates persona's world on first use: accounts and history, generated
// deterministically and inserted in batches in one transaction.
func (s *Service) EnsureWorld(ctx context.Context, persona string) error {
	if !domain.Known(persona) {
		return fail(404, "unknown_persona", "no persona %q (try standard, bulk or flaky)", persona)
	}
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		p, err := s.st.Persona(ctx, persona, false)
		if err != nil || p != nil {
			return err
		}
		now := s.set.Now()
		today := domain.DateOf(now)
		p = &store.Persona{Persona: persona, Today: string(today), NextSeq: 1, NextTxn: 1, CreatedAt: now.Unix()}
		if err := s.st.InsertPersona(ctx, p); err != nil {
			return err
		}
		var accs []store.Account
		for _, a := range domain.Accounts(persona) {
			accs = append(accs, store.Account{ID: a.ID, Persona: persona, Position: a.Position, Name: a.Name, Type: a.Type,
				Currency: "USD", Mask: a.Mask, OpeningCents: a.OpeningCents, LimitCents: a.LimitCents})
		}
		if err := s.st.InsertAccounts(ctx, accs); err != nil {
			return err
		}
		batch := make([]store.Txn, 0, store.BatchSize)
		flush := func() error {
			err := s.st.InsertTxns(ctx, batch)
			batch = batch[:0]
			return err
		}
		var ferr error
		add := func(t domain.Txn) {
			if ferr != nil {
				return
			}
			batch = append(batch, newRow(persona, p, t, ""))
			if len(batch) == store.BatchSize {
				ferr = flush()
			}
		}
		if persona == domain.Bulk {
			if err := s.st.InsertBulk(ctx, persona, domain.BulkAccountID, domain.TxnID(persona, 0)[:len("txn_bulk_")],
				string(domain.BulkStart(today)), domain.BulkCount, domain.BulkPerDay, domain.BulkNames); err != nil {
				return err
			}
			p.NextSeq += domain.BulkCount
			p.NextTxn += domain.BulkCount
		} else {
			for _, t := range domain.History(persona, today) {
				add(t)
			}
		}
		if ferr != nil {
			return ferr
		}
		if err := flush(); err != nil {
			return err
		}
		if err := s.st.SavePersona(ctx, p); err != nil {
			return err
		}
		return s.st.Analyze(ctx)
	})
	if database.IsUniqueViolation(err) {
		// Another request created the world at the same moment.
		return nil
	}
	return err
}

// newRow makes the next transaction of p (taking the next id and change position).
func newRow(persona string, p *store.Persona, t domain.Txn, pendingID string) store.Txn {
	row := store.Txn{
		ID: domain.TxnID(persona, p.NextTxn), Persona: persona, AccountID: t.AccountID, AmountCents: t.Cents,
		Date: string(t.Date), Description: t.Description, Pending: t.Pending, Tag: t.Tag,
		AddedSeq: p.NextSeq, Seq: p.NextSeq,
	}
	if pendingID != "" {
		row.PendingTransactionID = &pendingID
	}
	p.NextTxn++
	p.NextSeq++
	return row
}

// Authorize records an allowed consent for persona and returns a single-use code.
func (s *Service) Authorize(ctx context.Context, c Consent, persona string) (string, error) {
	if err := s.EnsureWorld(ctx, persona); err != nil {
		return "", err
	}
	now := s.set.Now()
	code := RandomToken("sbx_code_")
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		g := &store.Grant{ID: RandomToken("grant_")[:30], Persona: persona, ClientID: c.ClientID, Scope: c.Scope, CreatedAt: now.Unix()}
		if err := s.st.InsertGrant(ctx, g); err != nil {
			return err
		}
		return s.st.InsertToken(ctx, &store.Token{Hash: hash(code), GrantID: g.ID, Kind: store.KindCode,
			RedirectURI: c.RedirectURI, ExpiresAt: now.Add(CodeTTL).Unix(), CreatedAt: now.Unix()})
	})
	return code, err
}

// TokenResponse is a successful token endpoint answer (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope,omitempty"`
}

func (s *Service) issue(ctx context.Context, grantID string) (TokenResponse, error) {
	now := s.set.Now()
	access, refresh := RandomToken("sbx_at_"), RandomToken("sbx_rt_")
	if err := s.st.InsertToken(ctx, &store.Token{Hash: hash(access), GrantID: grantID, Kind: store.KindAccess,
		ExpiresAt: now.Add(AccessTTL).Unix(), CreatedAt: now.Unix()}); err != nil {
		return TokenResponse{}, err
	}
	if err := s.st.InsertToken(ctx, &store.Token{Hash: hash(refresh), GrantID: grantID, Kind: store.KindRefresh,
		ExpiresAt: now.Add(RefreshTTL).Unix(), CreatedAt: now.Unix()}); err != nil {
		return TokenResponse{}, err
	}
	return TokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(AccessTTL / time.Second),
		RefreshToken: refresh, Scope: "accounts transactions"}, nil
}

// ExchangeCode trades an authorization code for tokens. A code is single-use: using
// it twice revokes the grant (RFC 6749 §4.1.2).
func (s *Service) ExchangeCode(ctx context.Context, code, redirectURI string) (TokenResponse, error) {
	if code == "" {
		return TokenResponse{}, fail(400, "invalid_request", "code is required")
	}
	var out TokenResponse
	var revoke string
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		now := s.set.Now().Unix()
		t, err := s.st.Token(ctx, hash(code), store.KindCode)
		if err != nil {
			return err
		}
		switch {
		case t == nil:
			return fail(400, "invalid_grant", "the authorization code is unknown")
		case t.UsedAt != nil:
			revoke = t.GrantID
			return fail(400, "invalid_grant", "the authorization code was already used; its grant is revoked")
		case t.RevokedAt != nil:
			return fail(400, "invalid_grant", "the grant was revoked")
		case now >= t.ExpiresAt:
			return fail(400, "invalid_grant", "the authorization code has expired")
		case t.RedirectURI != redirectURI:
			return fail(400, "invalid_grant", "redirect_uri does not match the authorization request")
		}
		if ok, err := s.st.UseToken(ctx, t.Hash, now); err != nil || !ok {
			if err == nil {
				err = fail(400, "invalid_grant", "the authorization code was already used")
			}
			return err
		}
		out, err = s.issue(ctx, t.GrantID)
		return err
	})
	if revoke != "" {
		if rerr := s.st.RevokeGrant(ctx, revoke, s.set.Now().Unix()); rerr != nil {
			return TokenResponse{}, rerr
		}
	}
	return out, err
}

// Refresh rotates a refresh token: the old one is spent and a new pair issued. A
// spent refresh token presented again revokes its whole grant (reuse detection).
func (s *Service) Refresh(ctx context.Context, refresh string) (TokenResponse, error) {
	if refresh == "" {
		return TokenResponse{}, fail(400, "invalid_request", "refresh_token is required")
	}
	var out TokenResponse
	var revoke string
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		now := s.set.Now().Unix()
		t, err := s.st.Token(ctx, hash(refresh), store.KindRefresh)
		if err != nil {
			return err
		}
		switch {
		case t == nil:
			return fail(400, "invalid_grant", "the refresh token is unknown")
		case t.RevokedAt != nil:
			return fail(400, "invalid_grant", "the refresh token was revoked")
		case t.UsedAt != nil:
			revoke = t.GrantID
			return fail(400, "invalid_grant", "the refresh token was already used; its grant is revoked")
		case now >= t.ExpiresAt:
			return fail(400, "invalid_grant", "the refresh token has expired")
		}
		if ok, err := s.st.UseToken(ctx, t.Hash, now); err != nil || !ok {
			if err == nil {
				err = fail(400, "invalid_grant", "the refresh token was already used")
			}
			return err
		}
		out, err = s.issue(ctx, t.GrantID)
		return err
	})
	if revoke != "" {
		if rerr := s.st.RevokeGrant(ctx, revoke, s.set.Now().Unix()); rerr != nil {
			return TokenResponse{}, rerr
		}
	}
	return out, err
}

// Authenticate returns the persona an access token reaches.
func (s *Service) Authenticate(ctx context.Context, access string) (string, error) {
	if access == "" {
		return "", fail(401, "invalid_token", "a bearer access token is required")
	}
	t, err := s.st.Token(ctx, hash(access), store.KindAccess)
	if err != nil {
		return "", err
	}
	switch {
	case t == nil:
		return "", fail(401, "invalid_token", "the access token is unknown")
	case t.RevokedAt != nil:
		return "", fail(401, "invalid_token", "the access token was revoked")
	case s.set.Now().Unix() >= t.ExpiresAt:
		return "", fail(401, "invalid_token", "the access token has expired")
	}
	return t.Persona, nil
}

// Flaky decides whether the flaky persona's next API call fails: every third call
// is unavailable, and the second of every five is rate limited (Retry-After 1 s).
func (s *Service) Flaky(ctx context.Context, persona string) (*Error, time.Duration, error) {
	if persona != domain.Flaky {
		return nil, 0, nil
	}
	n, err := s.st.CountCall(ctx, persona)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case n%3 == 0:
		return fail(503, "temporarily_unavailable", "the bank is temporarily unavailable; try again later"), 0, nil
	case n%5 == 2:
		return fail(429, "rate_limited", "too many requests; retry after the time given"), time.Second, nil
	}
	return nil, 0, nil
}

// AccountView is an account as the API reports it.
type AccountView struct {
	ID               string  `json:"id"`
	Name             string  `json:"name"`
	Type             string  `json:"type"`
	Currency         string  `json:"currency"`
	Mask             string  `json:"mask"`
	Balance          string  `json:"balance"`
	AvailableBalance *string `json:"available_balance"`
	// BalanceDate is the persona's current day, which advance moves on.
	BalanceDate string `json:"balance_date"`
}

// Accounts returns persona's accounts with balances consistent with its
// transactions: the opening balance plus every posted transaction; the available
// balance also counts pending ones (and a card's credit limit).
func (s *Service) Accounts(ctx context.Context, persona string) ([]AccountView, error) {
	accs, err := s.st.Accounts(ctx, persona)
	if err != nil {
		return nil, err
	}
	sums, err := s.st.Sums(ctx, persona)
	if err != nil {
		return nil, err
	}
	p, err := s.st.Persona(ctx, persona, false)
	if err != nil || p == nil {
		return nil, fmt.Errorf("persona %q has no world: %w", persona, err)
	}
	out := make([]AccountView, 0, len(accs))
	for _, a := range accs {
		sum := sums[a.ID]
		bal := a.OpeningCents + sum.Posted
		v := AccountView{ID: a.ID, Name: a.Name, Type: a.Type, Currency: a.Currency, Mask: a.Mask, Balance: domain.FormatCents(bal), BalanceDate: p.Today}
		switch a.Type {
		case "checking", "savings":
			av := domain.FormatCents(bal + sum.Pending)
			v.AvailableBalance = &av
		case "credit_card":
			limit := int64(0)
			if a.LimitCents != nil {
				limit = *a.LimitCents
			}
			av := domain.FormatCents(limit + bal + sum.Pending)
			v.AvailableBalance = &av
		}
		out = append(out, v)
	}
	return out, nil
}

// TxnView is a transaction as the API reports it.
type TxnView struct {
	ID                   string  `json:"id"`
	AccountID            string  `json:"account_id"`
	Amount               string  `json:"amount"`
	Date                 string  `json:"date"`
	Description          string  `json:"description"`
	Pending              bool    `json:"pending"`
	PendingTransactionID *string `json:"pending_transaction_id"`
}

// RemovedView names a withdrawn transaction.
type RemovedView struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
}

// SyncPage is one page of the change feed.
type SyncPage struct {
	Added      []TxnView     `json:"added"`
	Modified   []TxnView     `json:"modified"`
	Removed    []RemovedView `json:"removed"`
	NextCursor string        `json:"next_cursor"`
	HasMore    bool          `json:"has_more"`
}

func encodeCursor(persona string, seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + persona + ":" + strconv.FormatInt(seq, 10)))
}

func decodeCursor(persona, cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	bad := fail(400, "invalid_cursor", "the cursor was not issued by this bank for this consent")
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, bad
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != "v1" || parts[1] != persona {
		return 0, bad
	}
	seq, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || seq < 0 {
		return 0, bad
	}
	return seq, nil
}

// Sync returns the changes of persona's transactions after cursor, at most count.
// The cursor is opaque and never expires; an empty one starts from the beginning.
func (s *Service) Sync(ctx context.Context, persona, cursor string, count int) (SyncPage, error) {
	after, err := decodeCursor(persona, cursor)
	if err != nil {
		return SyncPage{}, err
	}
	if count, err = s.beforePage(persona, count); err != nil {
		return SyncPage{}, err
	}
	rows, err := s.st.Feed(ctx, persona, after, count+1)
	if err != nil {
		return SyncPage{}, err
	}
	page := SyncPage{Added: []TxnView{}, Modified: []TxnView{}, Removed: []RemovedView{}}
	if len(rows) > count {
		page.HasMore = true
		rows = rows[:count]
	}
	last := after
	for _, r := range rows {
		last = r.Seq
		switch {
		case r.Removed && r.AddedSeq > after:
			// Added and withdrawn since the cursor: the client never saw it.
		case r.Removed:
			page.Removed = append(page.Removed, RemovedView{ID: r.ID, AccountID: r.AccountID})
		case r.AddedSeq > after:
			page.Added = append(page.Added, view(r))
		default:
			page.Modified = append(page.Modified, view(r))
		}
	}
	page.NextCursor = encodeCursor(persona, last)
	s.afterPage(persona, page.HasMore)
	return page, nil
}

func view(r store.Txn) TxnView {
	return TxnView{ID: r.ID, AccountID: r.AccountID, Amount: domain.FormatCents(r.AmountCents), Date: r.Date,
		Description: r.Description, Pending: r.Pending, PendingTransactionID: r.PendingTransactionID}
}

// AdvanceResult says what an advance did.
type AdvanceResult struct {
	Persona   string `json:"persona"`
	Today     string `json:"today"`
	Added     int    `json:"added"`
	Posted    int    `json:"posted"`
	Cancelled int    `json:"cancelled"`
	Modified  int    `json:"modified"`
}

// correctedSuffix marks a posted transaction whose merchant name the bank corrected.
const correctedSuffix = " (name corrected)"

// Advance moves persona's world days on: each new day's transactions appear, every
// pending transaction older than a day posts under a new id naming it (a restaurant
// bill with a tip), one pending purchase is cancelled, and the latest posted
// transaction has its merchant name corrected (a modification, as Plaid reports).
func (s *Service) Advance(ctx context.Context, persona string, days int) (AdvanceResult, error) {
	if days < 1 || days > MaxAdvanceDays {
		return AdvanceResult{}, fail(400, "invalid_request", "days must be a whole number from 1 to %d", MaxAdvanceDays)
	}
	if err := s.EnsureWorld(ctx, persona); err != nil {
		return AdvanceResult{}, err
	}
	res := AdvanceResult{Persona: persona}
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		res = AdvanceResult{Persona: persona}
		p, err := s.st.Persona(ctx, persona, true)
		if err != nil {
			return err
		}
		sums, err := s.st.Sums(ctx, persona)
		if err != nil {
			return err
		}
		pending, err := s.st.Pending(ctx, persona)
		if err != nil {
			return err
		}
		balances := map[string]int64{}
		for _, a := range domain.Accounts(persona) {
			balances[a.ID] = a.OpeningCents + sums[a.ID].Posted
		}
		today := domain.Date(p.Today)
		newToday := today.AddDays(days)
		var rows []store.Txn
		// What was pending settles first, so its changes precede the new days'.
		if old, err := s.st.LatestPosted(ctx, persona, correctedSuffix); err != nil {
			return err
		} else if old != nil {
			if err := s.st.Describe(ctx, old.ID, old.Description+correctedSuffix, p.NextSeq); err != nil {
				return err
			}
			p.NextSeq++
			res.Modified++
		}
		in := make([]domain.PendingTxn, len(pending))
		for i, t := range pending {
			in[i] = domain.PendingTxn{ID: t.ID, Cents: t.AmountCents, Date: domain.Date(t.Date), Tag: t.Tag}
		}
		for i, st := range domain.Settle(in, newToday) {
			if st == nil {
				continue
			}
			old := pending[i]
			if err := s.st.Remove(ctx, old.ID, p.NextSeq); err != nil {
				return err
			}
			p.NextSeq++
			if st.Cancelled {
				res.Cancelled++
				continue
			}
			rows = append(rows, newRow(persona, p, domain.Txn{AccountID: old.AccountID, Cents: st.PostedCents,
				Date: st.PostedDate, Description: old.Description}, old.ID))
			balances[old.AccountID] += st.PostedCents
			res.Posted++
		}
		for d := today.AddDays(1); !newToday.Before(d); d = d.AddDays(1) {
			for _, t := range domain.Day(persona, d, newToday.AddDays(-1), balances) {
				rows = append(rows, newRow(persona, p, t, ""))
				res.Added++
			}
		}
		if err := s.st.InsertTxns(ctx, rows); err != nil {
			return err
		}
		p.Today = string(newToday)
		res.Today = p.Today
		return s.st.SavePersona(ctx, p)
	})
	return res, err
}

// Revoke withdraws every consent given for persona: all its tokens stop working.
func (s *Service) Revoke(ctx context.Context, persona string) (int64, error) {
	if !domain.Known(persona) {
		return 0, fail(404, "unknown_persona", "no persona %q (try standard, bulk or flaky)", persona)
	}
	return s.st.RevokePersona(ctx, persona, s.set.Now().Unix())
}

// IsError reports whether err is an *Error and returns it.
func IsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
