// Package simplefin is Kontor's SimpleFIN Bridge adapter (../shared/design/SIMPLEFIN.md):
// it claims a setup token for an access URL, then reads GET {access URL}/accounts with
// version=2, start-date, end-date and pending=1, and turns the Account Set (version 1
// or 2) into the provider port's accounts and changes.
//
// Every call goes through the outbound client, so the https and public-address rule
// holds for the claim URL, the access URL and custom-currency URLs alike. The access
// URL's user name and password are sent as HTTP Basic authentication from a URL with
// the userinfo removed; they never appear in a log, an error or a message.
//
// Errors are typed as the port wants:
//
//   - a setup token that is not Base64, not an absolute URL, not https, or that points at a
//     non-public address: *TokenError (422 on the field setup_token);
//   - claim answered 403: provider.Error CodeTokenCompromised, in the words SimpleFIN asks for;
//   - /accounts answered 401 or 403 (an HTML page from the Bridge): CodeAuthRevoked;
//   - errlist gen.auth: CodeAuthRevoked; con.auth: CodeAuthExpired (both needs_reauth);
//     gen.api: CodeBadData; other gen.* and con.* codes and the version 1 errors strings:
//     messages for the connection (provider.AccountError with an empty AccountID, or one
//     per account of the connection for con.*) with every account concerned marked
//     incomplete;
//   - act.*: a provider.AccountError for that account, and the account marked incomplete in
//     Changes.Window, so a pending transaction absent from the answer is not removed;
//   - 402: CodeBadData with the Bridge's words (the subscription needs paying);
//   - 429: CodeRateLimited with Retry-After (an hour when the Bridge gives none);
//   - 5xx, timeouts, unreachable: CodeProviderUnavailable;
//   - a body Kontor cannot read, amounts that are not exact decimals, a custom currency
//     that cannot be named: CodeBadData.
//
// Messages taken from the Bridge are plain text (control characters dropped, at most 500
// characters); callers escape them wherever they show them.
//
// Account types are guessed from the name, since SimpleFIN reports none; see AccountType.
package simplefin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/money"
	"github.com/kontor-app/kontor/platform/outbound"
)

// Slug is the provider's id in API.md.
const Slug = "simplefin"

// DefaultMaxWindow is the longest date range asked for in one request. The Bridge
// limits it without documenting the number (third parties report 60 and 90 days), so
// a longer range is split into windows of at most this length.
const DefaultMaxWindow = 60 * 24 * time.Hour

// DefaultHistory is how far back Transactions reads when the request gives no From
// (API.md: 90 days on the first sync).
const DefaultHistory = 90 * 24 * time.Hour

// DefaultRetryAfter is the wait given with a 429 that names none: the Bridge's quota
// (24 requests a day) replenishes through the day.
const DefaultRetryAfter = time.Hour

// Options configures an Adapter.
type Options struct {
	// Client makes every call; required.
	Client *outbound.Client
	// MaxWindow bounds the date range of one request (DefaultMaxWindow when zero).
	MaxWindow time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Adapter is the SimpleFIN provider; it implements provider.SetupToken and
// provider.Remote and is safe for concurrent use.
type Adapter struct {
	client     *outbound.Client
	maxWindow  time.Duration
	now        func() time.Time
	currencies sync.Map // custom currency URL -> ticker
}

var (
	_ provider.SetupToken = (*Adapter)(nil)
	_ provider.Remote     = (*Adapter)(nil)
)

// New returns an Adapter for opts.
func New(opts Options) *Adapter {
	if opts.Client == nil {
		panic("simplefin: Options.Client is required")
	}
	if opts.MaxWindow <= 0 {
		opts.MaxWindow = DefaultMaxWindow
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Adapter{client: opts.Client, maxWindow: opts.MaxWindow, now: opts.Now}
}

// Info describes the provider for GET /providers.
func (a *Adapter) Info() provider.Info {
	return provider.Info{
		Slug:        Slug,
		Name:        "SimpleFIN Bridge",
		AuthKind:    provider.AuthSetupToken,
		Description: "Read-only balances and transactions through SimpleFIN Bridge: paste a setup token from your Bridge account. The Bridge allows about 24 updates a day.",
	}
}

// CompromisedMessage is what a person reads when a claim is refused (SIMPLEFIN.md §3:
// tell the user the token may be compromised so they can disable it).
const CompromisedMessage = "SimpleFIN refused this setup token: it does not exist or has already been claimed by someone else. " +
	"This could mean your financial data has been compromised: disable this token in your SimpleFIN Bridge account and create a new one."

// Claim exchanges a setup token for the access URL (POST to the claim URL, no body).
func (a *Adapter) Claim(ctx context.Context, setupToken string) (provider.Credentials, error) {
	claimURL, err := a.ParseSetupToken(setupToken)
	if err != nil {
		return provider.Credentials{}, err
	}
	// The claim URL's path holds the one-time code: keep it out of any error text.
	secrets := []string{claimURL.Path, claimURL.EscapedPath(), claimURL.String()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, claimURL.String(), http.NoBody)
	if err != nil {
		return provider.Credentials{}, tokenErr(ReasonNotURL, nil, "The setup token's claim URL cannot be requested.")
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := a.client.Do(req)
	if err != nil {
		if te := refusedTarget(err, claimURL.Hostname()); te != nil {
			te.Err = scrub(err, secrets...)
			return provider.Credentials{}, te
		}
		return provider.Credentials{}, a.transportError(ctx, err, secrets...)
	}
	defer drain(resp.Body)
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusForbidden:
		return provider.Credentials{}, &provider.Error{Code: provider.CodeTokenCompromised, Message: CompromisedMessage}
	default:
		if err := a.statusError(resp, "claim"); err != nil {
			return provider.Credentials{}, err
		}
		return provider.Credentials{}, tokenErr(ReasonNotClaimable, nil,
			"The setup token's claim URL answered HTTP %d instead of an access URL: check that you pasted a SimpleFIN setup token.", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<10+1))
	if err != nil {
		return provider.Credentials{}, a.transportError(ctx, err, secrets...)
	}
	if len(body) > 8<<10 {
		return provider.Credentials{}, provider.Errorf(provider.CodeBadData, "The SimpleFIN server answered the claim with something that is not an access URL.")
	}
	access := strings.TrimSpace(string(body))
	if _, _, _, err := a.parseAccessURL(access); err != nil {
		return provider.Credentials{}, provider.Errorf(provider.CodeBadData, "The SimpleFIN server answered the claim with something that is not an access URL.")
	}
	return provider.Credentials{AccessURL: access}, nil
}

// parseAccessURL splits an access URL into the URL without userinfo and the Basic
// credentials. Its errors never quote the URL.
func (a *Adapter) parseAccessURL(s string) (base *url.URL, user, pass string, err error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || u.User == nil {
		return nil, "", "", errors.New("simplefin: the access URL is not an absolute URL with a user name and password")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "https" && (u.Scheme != "http" || !a.client.AllowsPrivateNetworks()) {
		return nil, "", "", errors.New("simplefin: the access URL is not https")
	}
	user = u.User.Username()
	pass, ok := u.User.Password()
	if user == "" || !ok {
		return nil, "", "", errors.New("simplefin: the access URL has no user name and password")
	}
	base = &url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return base, user, pass, nil
}

// Refresh has nothing to do: a SimpleFIN access URL does not expire.
func (a *Adapter) Refresh(ctx context.Context, creds provider.Credentials) (provider.Credentials, error) {
	return provider.Credentials{}, nil
}

// Accounts returns the accounts with their balances (one request, balances-only=1).
// Account-level errors are not reported here; Transactions reports them.
func (a *Adapter) Accounts(ctx context.Context, creds provider.Credentials) ([]provider.Account, provider.Credentials, error) {
	set, err := a.fetch(ctx, creds, url.Values{"balances-only": {"1"}})
	if err != nil {
		return nil, provider.Credentials{}, err
	}
	res, err := a.convert(ctx, set)
	if err != nil {
		return nil, provider.Credentials{}, err
	}
	return res.accounts, provider.Credentials{}, nil
}

// Transactions returns every transaction of req.From..req.To (From inclusive, To
// exclusive; From defaults to DefaultHistory before To, To to now), pending ones
// included, with the accounts and their balances. A range longer than the maximum
// window is read in several requests, oldest first, and merged: a transaction seen in
// two answers is kept once, as the later answer has it. Changes.Window says which
// accounts the Bridge reported as incomplete. Cursor and Count are ignored.
func (a *Adapter) Transactions(ctx context.Context, creds provider.Credentials, req provider.TransactionsRequest) (provider.Changes, provider.Credentials, error) {
	to := req.To
	if to.IsZero() {
		to = a.now()
	}
	from := req.From
	if from.IsZero() {
		from = to.Add(-DefaultHistory)
	}
	if !from.Before(to) {
		return provider.Changes{}, provider.Credentials{}, fmt.Errorf("simplefin: empty window %s..%s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	start := from.Unix()
	end := to.Unix()
	if to.After(time.Unix(end, 0)) {
		end++ // end-date is exclusive: round up so the last fraction of a second is not lost
	}
	step := int64(a.maxWindow / time.Second)
	if step < 1 {
		step = 1
	}

	m := newMerger()
	for cur := start; cur < end; cur += step {
		stop := min(cur+step, end)
		set, err := a.fetch(ctx, creds, url.Values{
			"start-date": {strconv.FormatInt(cur, 10)},
			"end-date":   {strconv.FormatInt(stop, 10)},
			"pending":    {"1"},
		})
		if err != nil {
			return provider.Changes{}, provider.Credentials{}, err
		}
		res, err := a.convert(ctx, set)
		if err != nil {
			return provider.Changes{}, provider.Credentials{}, err
		}
		m.add(res)
	}
	ch := m.changes()
	ch.Window = &provider.Window{From: time.Unix(start, 0).UTC(), To: time.Unix(end, 0).UTC(), Incomplete: m.incomplete}
	return ch, provider.Credentials{}, nil
}

// fetch performs GET {access}/accounts?version=2&… and decodes the Account Set.
func (a *Adapter) fetch(ctx context.Context, creds provider.Credentials, q url.Values) (*wireSet, error) {
	base, user, pass, err := a.parseAccessURL(creds.AccessURL)
	if err != nil {
		return nil, &provider.Error{Code: provider.CodeAuthRevoked, Message: "The stored SimpleFIN access URL is unusable: connect again with a new setup token."}
	}
	secrets := []string{user, pass}
	u := *base
	u.Path = path.Join("/", base.Path, "accounts")
	u.RawPath = ""
	q.Set("version", "2")
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &provider.Error{Code: provider.CodeAuthRevoked, Message: "The stored SimpleFIN access URL is unusable: connect again with a new setup token."}
	}
	req.SetBasicAuth(user, pass)
	req.Header.Set("Accept", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, a.transportError(ctx, err, secrets...)
	}
	defer drain(resp.Body)
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized, http.StatusForbidden:
		// The Bridge answers an HTML page here; nothing of it is shown.
		return nil, &provider.Error{Code: provider.CodeAuthRevoked, Message: fmt.Sprintf(
			"SimpleFIN Bridge refused access (HTTP %d): the access was revoked or the credentials are wrong. Create a new setup token in your SimpleFIN Bridge account and connect again.", resp.StatusCode)}
	case http.StatusPaymentRequired:
		words := "Payment required."
		var body wireSet
		if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) == nil && len(body.Errors) > 0 {
			words = cleanMessage(strings.Join(body.Errors, " "), secrets...)
		}
		return nil, &provider.Error{Code: provider.CodeBadData, Message: "SimpleFIN Bridge: " + words +
			" Your SimpleFIN Bridge subscription needs paying; pay it in your Bridge account, then retry."}
	default:
		if err := a.statusError(resp, "accounts"); err != nil {
			return nil, err
		}
		return nil, provider.Errorf(provider.CodeBadData, "SimpleFIN Bridge answered HTTP %d, which Kontor does not expect.", resp.StatusCode)
	}
	var set wireSet
	dec := json.NewDecoder(resp.Body)
	if err := dec.Decode(&set); err != nil {
		if isTransport(err) {
			return nil, a.transportError(ctx, err, secrets...)
		}
		return nil, &provider.Error{Code: provider.CodeBadData, Message: "SimpleFIN Bridge sent a response that is not a SimpleFIN account set.", Err: scrub(err, secrets...)}
	}
	if set.Accounts == nil {
		return nil, provider.Errorf(provider.CodeBadData, "SimpleFIN Bridge sent a response without accounts.")
	}
	return &set, nil
}

// statusError maps 429 and 5xx, or returns nil for the caller to decide.
func (a *Adapter) statusError(resp *http.Response, what string) error {
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		wait := a.retryAfter(resp.Header.Get("Retry-After"))
		if wait <= 0 {
			wait = DefaultRetryAfter
		}
		return &provider.Error{Code: provider.CodeRateLimited, RetryAfter: wait,
			Message: fmt.Sprintf("SimpleFIN Bridge is rate limiting Kontor (it allows about 24 requests a day); retry in %s.", wait.Round(time.Second))}
	case resp.StatusCode >= 500:
		return &provider.Error{Code: provider.CodeProviderUnavailable, RetryAfter: max(a.retryAfter(resp.Header.Get("Retry-After")), 0),
			Message: fmt.Sprintf("SimpleFIN Bridge is unavailable (HTTP %d on %s); Kontor will retry.", resp.StatusCode, what)}
	}
	return nil
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); 0 when absent.
func (a *Adapter) retryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil && n >= 0 {
		return time.Duration(min(n, 7*24*3600)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(a.now()); d > 0 {
			return min(d, 7*24*time.Hour)
		}
	}
	return 0
}

// transportError maps a failed exchange: the caller's own cancellation stays itself,
// an outbound refusal or an oversized answer is bad data, the rest is unavailability.
func (a *Adapter) transportError(ctx context.Context, err error, secrets ...string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	clean := scrub(err, secrets...)
	switch {
	case errors.Is(err, outbound.ErrForbiddenAddress):
		return &provider.Error{Code: provider.CodeBadData, Err: clean, Message: "The SimpleFIN server is at a loopback, private or link-local address, which Kontor does not call (KONTOR_PROVIDERS_ALLOW_PRIVATE_NETWORKS)."}
	case errors.Is(err, outbound.ErrForbiddenScheme):
		return &provider.Error{Code: provider.CodeBadData, Err: clean, Message: "The SimpleFIN server redirected Kontor to a URL that is not https."}
	case errors.Is(err, outbound.ErrTooManyRedirects):
		return &provider.Error{Code: provider.CodeBadData, Err: clean, Message: "The SimpleFIN server redirected Kontor too many times."}
	case errors.Is(err, outbound.ErrResponseTooLarge):
		return &provider.Error{Code: provider.CodeBadData, Err: clean, Message: "The SimpleFIN server sent a response larger than Kontor accepts."}
	}
	return &provider.Error{Code: provider.CodeProviderUnavailable, Err: clean, Message: "Kontor could not reach the SimpleFIN server; it will retry."}
}

// isTransport tells a failure to read the body from a body that is not JSON.
func isTransport(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return false
	}
	if errors.Is(err, outbound.ErrResponseTooLarge) {
		return true
	}
	var ue *url.Error
	var ne interface{ Timeout() bool }
	return errors.As(err, &ue) || errors.As(err, &ne)
}

func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}

// scrubbed is an error whose text has the secrets taken out; Unwrap still gives the
// cause to errors.Is.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	return &scrubbed{msg: redact(err.Error(), secrets...), err: err}
}

func redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) < 2 {
			continue
		}
		for _, form := range []string{sec, url.PathEscape(sec), url.QueryEscape(sec), url.User(sec).String()} {
			s = strings.ReplaceAll(s, form, "[redacted]")
		}
	}
	return s
}

// money helpers

func parseAmount(t numText) (money.Amount, error) {
	if !t.set {
		return money.Zero, errors.New("is missing")
	}
	a, err := money.Parse(strings.TrimSpace(t.s))
	if err != nil {
		return money.Zero, fmt.Errorf("%q %w", abbreviate(t.s), err)
	}
	return a, nil
}
