// Package sandboxbank is Kontor's adapter to the sandbox bank of API.md. It speaks to
// the bank only over HTTP at a base URL (KONTOR_SANDBOX_URL), through
// golang.org/x/oauth2 for the authorization-code and refresh grants and plain
// net/http for the API, exactly as it would to a real bank: nothing here calls the
// bank's Go code. Every failure is a typed *provider.Error.
package sandboxbank

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/money"
)

// Slug is the provider's id in API.md's GET /providers.
const Slug = "sandbox"

// The sandbox bank's registered client, as the bank documents it.
const (
	DefaultClientID     = "kontor"
	DefaultClientSecret = "kontor-sandbox-secret"
)

// MaxPage is the largest page the bank's transactions/sync serves.
const MaxPage = 500

// maxBody bounds a response the adapter reads (API.md's provider response limit).
const maxBody = 64 << 20

// refreshSkew refreshes an access token this long before it expires.
const refreshSkew = time.Minute

// Config configures the adapter.
type Config struct {
	// BaseURL is the bank's base URL, e.g. https://kontor.example/sandbox.
	BaseURL string
	// ClientID and ClientSecret default to DefaultClientID and DefaultClientSecret.
	ClientID, ClientSecret string
	// HTTPClient makes every call (Kontor passes its outbound client); nil means
	// http.DefaultClient.
	HTTPClient *http.Client
	// Scopes asked for; default "accounts transactions".
	Scopes []string
	// Now is the adapter's clock (token expiry); nil means time.Now.
	Now func() time.Time
}

// Adapter is the sandbox bank as a provider.OAuth2 and provider.Remote.
type Adapter struct {
	base   string
	oauth  oauth2.Config
	client *http.Client
	now    func() time.Time
}

var (
	_ provider.OAuth2 = (*Adapter)(nil)
	_ provider.Remote = (*Adapter)(nil)
)

// New returns the adapter for cfg; the base URL must be an absolute http(s) URL.
func New(cfg Config) (*Adapter, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sandboxbank: base URL must be an absolute http(s) URL, got %q", cfg.BaseURL)
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = DefaultClientSecret
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"accounts", "transactions"}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Adapter{
		base: base,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Scopes:       cfg.Scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL:   base + "/oauth/authorize",
				TokenURL:  base + "/oauth/token",
				AuthStyle: oauth2.AuthStyleInHeader,
			},
		},
		client: cfg.HTTPClient,
		now:    cfg.Now,
	}, nil
}

// Info describes the provider.
func (a *Adapter) Info() provider.Info {
	return provider.Info{
		Slug:        Slug,
		Name:        "Sandbox Bank",
		AuthKind:    provider.AuthOAuth2,
		Description: "A demo bank built into Kontor, linked over OAuth 2.0 like a real one: personas standard, bulk and flaky.",
	}
}

func (a *Adapter) config(redirectURI string) *oauth2.Config {
	c := a.oauth
	c.RedirectURL = redirectURI
	return &c
}

func (a *Adapter) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, a.client)
}

// AuthCodeURL is the bank's consent page for state and Kontor's redirect URI.
func (a *Adapter) AuthCodeURL(state, redirectURI string) string {
	return a.config(redirectURI).AuthCodeURL(state)
}

// Exchange trades an authorization code for credentials.
func (a *Adapter) Exchange(ctx context.Context, code, redirectURI string) (provider.Credentials, error) {
	tok, err := a.config(redirectURI).Exchange(a.ctx(ctx), code)
	if err != nil {
		return provider.Credentials{}, tokenError(err, "exchange the authorization code")
	}
	return credentials(tok), nil
}

// Refresh renews credentials with their refresh token (which the bank rotates) and
// returns the new ones.
func (a *Adapter) Refresh(ctx context.Context, creds provider.Credentials) (provider.Credentials, error) {
	if creds.RefreshToken == "" {
		return provider.Credentials{}, provider.Errorf(provider.CodeAuthExpired, "the access has expired and there is no refresh token; reauthorize the connection")
	}
	// An expiry in the past makes the token source refresh at once.
	src := a.config("").TokenSource(a.ctx(ctx), &oauth2.Token{RefreshToken: creds.RefreshToken, Expiry: time.Unix(1, 0)})
	tok, err := src.Token()
	if err != nil {
		return provider.Credentials{}, tokenError(err, "refresh the access token")
	}
	return credentials(tok), nil
}

func credentials(t *oauth2.Token) provider.Credentials {
	return provider.Credentials{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.Type(), Expiry: t.Expiry}
}

// tokenError maps a failure of the token endpoint onto a provider error.
func tokenError(err error, doing string) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.Response != nil {
			switch st := re.Response.StatusCode; {
			case st == http.StatusTooManyRequests:
				return &provider.Error{Code: provider.CodeRateLimited, Message: "the bank asks Kontor to slow down", RetryAfter: retryAfter(re.Response.Header, time.Now()), Err: err}
			case st >= 500:
				return &provider.Error{Code: provider.CodeProviderUnavailable, Message: fmt.Sprintf("the bank is unavailable (HTTP %d)", st), Err: err}
			}
		}
		switch re.ErrorCode {
		case "invalid_grant":
			return &provider.Error{Code: authCode(re.ErrorDescription), Message: "the bank no longer accepts this consent (" + clip(re.ErrorDescription) + "); reauthorize the connection", Err: err}
		case "access_denied":
			return &provider.Error{Code: provider.CodeConsentDenied, Message: "the account holder denied access", Err: err}
		case "invalid_client", "unauthorized_client":
			return &provider.Error{Code: provider.CodeAuthRevoked, Message: "the bank refused Kontor's client credentials", Err: err}
		}
		if re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized {
			return &provider.Error{Code: provider.CodeAuthRevoked, Message: "the bank refused the token request (" + clip(re.ErrorDescription) + "); reauthorize the connection", Err: err}
		}
		return &provider.Error{Code: provider.CodeBadData, Message: "the bank's token endpoint answered in a way Kontor cannot use", Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The caller gave up: not the bank's fault.
		return err
	}
	return &provider.Error{Code: provider.CodeProviderUnavailable, Message: "the bank could not be reached to " + doing, Err: err}
}

// authCode tells a revoked consent from an expired one by the bank's description.
func authCode(description string) provider.Code {
	d := strings.ToLower(description)
	if strings.Contains(d, "revoked") || strings.Contains(d, "already used") {
		return provider.CodeAuthRevoked
	}
	return provider.CodeAuthExpired
}

func clip(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	if s == "" {
		return "no reason given"
	}
	return s
}

// retryAfter reads Retry-After (seconds or an HTTP date); one minute when absent.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return 0
	}
	return time.Minute
}

// call performs an authenticated GET of path and decodes the JSON answer into out.
// An access token that is about to expire, or that the bank calls expired, is
// refreshed once; the refreshed credentials are returned (zero when unchanged).
func (a *Adapter) call(ctx context.Context, creds provider.Credentials, path string, query url.Values, out any) (provider.Credentials, error) {
	var fresh provider.Credentials
	if creds.AccessToken == "" || (!creds.Expiry.IsZero() && creds.Expiry.Before(a.now().Add(refreshSkew))) {
		c, err := a.Refresh(ctx, creds)
		if err != nil {
			return provider.Credentials{}, err
		}
		creds, fresh = c, c
	}
	for attempt := 0; ; attempt++ {
		err := a.get(ctx, creds.AccessToken, path, query, out)
		var pe *provider.Error
		if attempt == 0 && fresh.IsZero() && creds.RefreshToken != "" && errors.As(err, &pe) && pe.Code == provider.CodeAuthExpired {
			c, rerr := a.Refresh(ctx, creds)
			if rerr != nil {
				return provider.Credentials{}, rerr
			}
			creds, fresh = c, c
			continue
		}
		return fresh, err
	}
}

type bankError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func (a *Adapter) get(ctx context.Context, access, path string, query url.Values, out any) error {
	u := a.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+access)
	req.Header.Set("Accept", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &provider.Error{Code: provider.CodeProviderUnavailable, Message: "the bank could not be reached", Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return &provider.Error{Code: provider.CodeProviderUnavailable, Message: "the bank's answer broke off", Err: err}
	}
	if len(body) > maxBody {
		return provider.Errorf(provider.CodeBadData, "the bank's answer is larger than 64 MiB")
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, out); err != nil {
			return &provider.Error{Code: provider.CodeBadData, Message: "the bank's answer is not the JSON Kontor expects", Err: err}
		}
		return nil
	}
	var be bankError
	_ = json.Unmarshal(body, &be)
	switch st := resp.StatusCode; {
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		return &provider.Error{Code: authCode(be.Description), Message: "the bank refused the access token (" + clip(be.Description) + "); reauthorize the connection"}
	case st == http.StatusTooManyRequests:
		return &provider.Error{Code: provider.CodeRateLimited, Message: "the bank asks Kontor to slow down", RetryAfter: retryAfter(resp.Header, a.now())}
	case st >= 500:
		return &provider.Error{Code: provider.CodeProviderUnavailable, Message: fmt.Sprintf("the bank is unavailable (HTTP %d)", st)}
	case be.Error == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION":
		return &provider.Error{Code: provider.CodeMutationDuringPagination, Message: "the bank's transactions changed while Kontor paged through them"}
	default:
		return &provider.Error{Code: provider.CodeBadData, Message: fmt.Sprintf("the bank refused the request (HTTP %d %s: %s)", st, clip(be.Error), clip(be.Description))}
	}
}

type accountJSON struct {
	ID               string  `json:"id"`
	Name             string  `json:"name"`
	Type             string  `json:"type"`
	Currency         string  `json:"currency"`
	Mask             string  `json:"mask"`
	Balance          string  `json:"balance"`
	AvailableBalance *string `json:"available_balance"`
	BalanceDate      string  `json:"balance_date"`
}

// accountTypes are the bank's types Kontor knows; anything else is "other".
var accountTypes = map[string]bool{
	"checking": true, "savings": true, "money_market": true, "cd": true, "brokerage": true, "ira": true,
	"roth_ira": true, "sep_ira": true, "simple_ira": true, "401k": true, "403b": true, "hsa": true,
	"education": true, "trust": true, "credit_card": true, "line_of_credit": true, "loan": true,
	"mortgage": true, "ewallet": true, "crypto": true, "cash": true, "other": true,
}

// Accounts returns the accounts the consent reaches.
func (a *Adapter) Accounts(ctx context.Context, creds provider.Credentials) ([]provider.Account, provider.Credentials, error) {
	var body struct {
		Accounts *[]accountJSON `json:"accounts"`
	}
	fresh, err := a.call(ctx, creds, "/api/accounts", nil, &body)
	if err != nil {
		return nil, fresh, err
	}
	if body.Accounts == nil {
		return nil, fresh, provider.Errorf(provider.CodeBadData, "the bank's accounts answer has no accounts list")
	}
	out := make([]provider.Account, 0, len(*body.Accounts))
	for i, j := range *body.Accounts {
		acc, err := a.account(j)
		if err != nil {
			return nil, fresh, &provider.Error{Code: provider.CodeBadData, Message: fmt.Sprintf("the bank's account %d is unusable: %v", i+1, err)}
		}
		out = append(out, acc)
	}
	return out, fresh, nil
}

func (a *Adapter) account(j accountJSON) (provider.Account, error) {
	if j.ID == "" {
		return provider.Account{}, errors.New("it has no id")
	}
	bal, err := money.Parse(j.Balance)
	if err != nil {
		return provider.Account{}, fmt.Errorf("balance %w", err)
	}
	typ := j.Type
	if !accountTypes[typ] {
		typ = "other"
	}
	cur := strings.ToUpper(strings.TrimSpace(j.Currency))
	if cur == "" {
		return provider.Account{}, errors.New("it has no currency")
	}
	acc := provider.Account{ID: j.ID, Name: j.Name, Type: typ, Currency: cur, Mask: j.Mask, Institution: "Sandbox Bank", Balance: bal}
	if j.AvailableBalance != nil {
		av, err := money.Parse(*j.AvailableBalance)
		if err != nil {
			return provider.Account{}, fmt.Errorf("available_balance %w", err)
		}
		acc.AvailableBalance = money.NullAmount{Amount: av, Valid: true}
	}
	acc.BalanceDate = a.now().UTC().Truncate(24 * time.Hour)
	if j.BalanceDate != "" {
		d, err := time.Parse(time.DateOnly, j.BalanceDate)
		if err != nil {
			return provider.Account{}, fmt.Errorf("balance_date must be YYYY-MM-DD, got %q", j.BalanceDate)
		}
		acc.BalanceDate = d
	}
	return acc, nil
}

type txnJSON struct {
	ID                   string  `json:"id"`
	AccountID            string  `json:"account_id"`
	Amount               string  `json:"amount"`
	Date                 string  `json:"date"`
	Description          string  `json:"description"`
	Pending              bool    `json:"pending"`
	PendingTransactionID *string `json:"pending_transaction_id"`
}

type syncJSON struct {
	Added    []txnJSON `json:"added"`
	Modified []txnJSON `json:"modified"`
	Removed  []struct {
		ID        string `json:"id"`
		AccountID string `json:"account_id"`
	} `json:"removed"`
	NextCursor *string `json:"next_cursor"`
	HasMore    *bool   `json:"has_more"`
}

// Transactions returns one page of the bank's change feed after req.Cursor (Count
// defaults to, and is capped at, MaxPage).
func (a *Adapter) Transactions(ctx context.Context, creds provider.Credentials, req provider.TransactionsRequest) (provider.Changes, provider.Credentials, error) {
	count := req.Count
	if count <= 0 || count > MaxPage {
		count = MaxPage
	}
	q := url.Values{"count": {strconv.Itoa(count)}}
	if req.Cursor != "" {
		q.Set("cursor", req.Cursor)
	}
	var body syncJSON
	fresh, err := a.call(ctx, creds, "/api/transactions/sync", q, &body)
	if err != nil {
		return provider.Changes{}, fresh, err
	}
	if body.NextCursor == nil || body.HasMore == nil {
		return provider.Changes{}, fresh, provider.Errorf(provider.CodeBadData, "the bank's transactions page has no next_cursor or has_more")
	}
	ch := provider.Changes{NextCursor: *body.NextCursor, HasMore: *body.HasMore}
	if ch.Added, err = txns(body.Added); err != nil {
		return provider.Changes{}, fresh, err
	}
	if ch.Modified, err = txns(body.Modified); err != nil {
		return provider.Changes{}, fresh, err
	}
	for _, r := range body.Removed {
		if r.ID == "" {
			return provider.Changes{}, fresh, provider.Errorf(provider.CodeBadData, "the bank removed a transaction without an id")
		}
		ch.Removed = append(ch.Removed, provider.Removed{ID: r.ID, AccountID: r.AccountID})
	}
	return ch, fresh, nil
}

func txns(in []txnJSON) ([]provider.Transaction, error) {
	out := make([]provider.Transaction, 0, len(in))
	for _, j := range in {
		bad := func(format string, args ...any) error {
			return &provider.Error{Code: provider.CodeBadData, Message: fmt.Sprintf("the bank's transaction %q is unusable: ", clip(j.ID)) + fmt.Sprintf(format, args...)}
		}
		if j.ID == "" || j.AccountID == "" {
			return nil, bad("it has no id or account_id")
		}
		amt, err := money.Parse(j.Amount)
		if err != nil {
			return nil, bad("amount %v", err)
		}
		d, err := time.Parse(time.DateOnly, j.Date)
		if err != nil {
			return nil, bad("date must be YYYY-MM-DD, got %q", clip(j.Date))
		}
		t := provider.Transaction{ID: j.ID, AccountID: j.AccountID, Amount: amt, Date: d, Description: j.Description,
			Counterparty: j.Description, Pending: j.Pending}
		if j.PendingTransactionID != nil {
			t.PendingTransactionID = *j.PendingTransactionID
		}
		out = append(out, t)
	}
	return out, nil
}
