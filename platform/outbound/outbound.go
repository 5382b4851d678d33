// Package outbound is the one HTTP client for calls to providers (SimpleFIN claim and
// access URLs, a sandbox bank's base URL), enforcing API.md's outbound rule:
//
//   - only https URLs, on redirects too (at most 5 redirects);
//   - only public addresses, checked when dialling against the address actually
//     dialled, so a name that resolves (or re-resolves: DNS rebinding) to loopback,
//     a private, link-local (169.254.169.254), CGNAT, unique-local, multicast or
//     unspecified address, in any IPv4-mapped IPv6 form, is refused;
//   - timeouts for the dial, the TLS handshake, the response header and the whole
//     exchange, and a response-size limit (64 MiB) that a body enforces while read;
//   - no proxy from the environment, since a proxy would dial in its place.
//
// Options.AllowPrivateNetworks (KONTOR_PROVIDERS_ALLOW_PRIVATE_NETWORKS) lifts the
// scheme and address rules for tests and home labs; the timeouts and the size limit
// stay. Options.Allow exempts URL prefixes (the built-in sandbox bank at its default
// URL) from the scheme and address rules.
//
// Refusals are typed: errors.Is(err, ErrForbiddenAddress), ErrForbiddenScheme,
// ErrTooManyRedirects and ErrResponseTooLarge see through the *url.Error that
// http.Client returns, so a caller can answer 422 with a precise message.
package outbound

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/platform/config"
)

// Defaults of Options.
const (
	DefaultDialTimeout           = 10 * time.Second
	DefaultTLSHandshakeTimeout   = 10 * time.Second
	DefaultResponseHeaderTimeout = 60 * time.Second
	DefaultTimeout               = 2 * time.Minute
	DefaultMaxResponseBytes      = 64 << 20
	DefaultMaxRedirects          = 5
)

var (
	// ErrForbiddenAddress: the host is, or resolves to, a non-public address.
	ErrForbiddenAddress = errors.New("outbound: provider calls go only to public addresses")
	// ErrForbiddenScheme: the URL (or a redirect) is not https.
	ErrForbiddenScheme = errors.New("outbound: provider calls use https only")
	// ErrTooManyRedirects: more redirects than Options.MaxRedirects.
	ErrTooManyRedirects = errors.New("outbound: too many redirects")
	// ErrResponseTooLarge: the response body is longer than Options.MaxResponseBytes.
	ErrResponseTooLarge = errors.New("outbound: the response is larger than the limit")
)

// AddressError is an ErrForbiddenAddress naming the host, the address and its kind.
type AddressError struct {
	Host   string
	Addr   netip.Addr
	Reason string // loopback, private, link-local, …
}

func (e *AddressError) Error() string {
	if e.Host != "" && e.Host != e.Addr.String() {
		return fmt.Sprintf("outbound: %s resolves to %s, a %s address; provider calls go only to public addresses", e.Host, e.Addr, e.Reason)
	}
	return fmt.Sprintf("outbound: %s is a %s address; provider calls go only to public addresses", e.Addr, e.Reason)
}

// Is makes errors.Is(err, ErrForbiddenAddress) true.
func (e *AddressError) Is(target error) bool { return target == ErrForbiddenAddress }

// Options configures a Client. Zero durations and limits take the defaults.
type Options struct {
	// AllowPrivateNetworks lifts the https and public-address rules.
	AllowPrivateNetworks bool
	// Allow lists URL prefixes exempt from the https and public-address rules, such
	// as "http://localhost:8080/sandbox" for the built-in sandbox bank. A prefix
	// matches the same scheme, host and port, and a path equal to or under its path.
	Allow []string
	// RootCAs replaces the system roots (tests with httptest TLS servers).
	RootCAs *x509.CertPool

	DialTimeout           time.Duration
	TLSHandshakeTimeout   time.Duration
	ResponseHeaderTimeout time.Duration
	// Timeout bounds a whole exchange including reading the body.
	Timeout          time.Duration
	MaxResponseBytes int64
	MaxRedirects     int

	// Test hooks, settable only inside this package: lookup replaces DNS, permit
	// overrides the address rule for the addresses it returns true for.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	permit func(netip.Addr) bool
}

// Client is the HTTP client for provider calls. Use it as an *http.Client (Do, Get,
// or its embedded Client for golang.org/x/oauth2 through the oauth2.HTTPClient
// context value).
type Client struct {
	*http.Client
	opts  Options
	allow []prefix
}

type prefix struct {
	scheme, host, path string
}

// New returns a Client for opts.
func New(opts Options) *Client {
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.TLSHandshakeTimeout <= 0 {
		opts.TLSHandshakeTimeout = DefaultTLSHandshakeTimeout
	}
	if opts.ResponseHeaderTimeout <= 0 {
		opts.ResponseHeaderTimeout = DefaultResponseHeaderTimeout
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.lookup == nil {
		opts.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	c := &Client{opts: opts}
	for _, a := range opts.Allow {
		if u, err := url.Parse(a); err == nil && u.Host != "" {
			c.allow = append(c.allow, prefix{scheme: u.Scheme, host: hostPort(u), path: strings.TrimSuffix(u.EscapedPath(), "/")})
		}
	}

	open := c.transport(func(ctx context.Context, network, addr string) (net.Conn, error) {
		return c.dial(ctx, network, addr, false)
	})
	guarded := c.transport(func(ctx context.Context, network, addr string) (net.Conn, error) {
		return c.dial(ctx, network, addr, true)
	})
	rt := &roundTripper{c: c, open: open, guarded: guarded}
	c.Client = &http.Client{
		Transport: rt,
		Timeout:   opts.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > opts.MaxRedirects {
				return fmt.Errorf("%w (more than %d)", ErrTooManyRedirects, opts.MaxRedirects)
			}
			return c.CheckURL(req.URL)
		},
	}
	return c
}

// NewFromConfig returns the application's Client: private networks as
// cfg.ProvidersAllowPrivateNetworks says, and, when this server serves the sandbox
// bank (cfg.Sandbox), that bank at its default URL (cfg.BaseURL + "/sandbox") exempt.
// A KONTOR_SANDBOX_URL pointing elsewhere gets no exemption (API.md).
func NewFromConfig(cfg config.Config) *Client {
	opts := Options{AllowPrivateNetworks: cfg.ProvidersAllowPrivateNetworks}
	if cfg.Sandbox && cfg.BaseURL != "" {
		opts.Allow = []string{strings.TrimSuffix(cfg.BaseURL, "/") + "/sandbox"}
	}
	return New(opts)
}

// Module provides *Client to the application.
var Module = fx.Module("outbound", fx.Provide(NewFromConfig))

// AllowsPrivateNetworks reports whether the address and https rules are lifted.
func (c *Client) AllowsPrivateNetworks() bool { return c.opts.AllowPrivateNetworks }

// MaxResponseBytes is the response-size limit.
func (c *Client) MaxResponseBytes() int64 { return c.opts.MaxResponseBytes }

// CheckURL checks what can be checked of u without DNS: an https (or, when allowed,
// http) URL with a host that is not a literal non-public address or a localhost
// name. The address a name resolves to is checked again when dialling.
func (c *Client) CheckURL(u *url.URL) error {
	if c.exempt(u) {
		return nil
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && c.opts.AllowPrivateNetworks:
	default:
		return fmt.Errorf("%w, not %q", ErrForbiddenScheme, u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("%w: the URL names no host", ErrForbiddenAddress)
	}
	if c.opts.AllowPrivateNetworks {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return c.checkAddr(host, ip)
	}
	lower := strings.ToLower(strings.TrimSuffix(host, "."))
	if lower == "localhost" || strings.HasSuffix(lower, ".localhost") {
		return &AddressError{Host: host, Addr: netip.MustParseAddr("127.0.0.1"), Reason: "loopback"}
	}
	return nil
}

func (c *Client) checkAddr(host string, ip netip.Addr) error {
	if c.opts.permit != nil && c.opts.permit(ip) {
		return nil
	}
	if r := Forbidden(ip); r != "" {
		return &AddressError{Host: host, Addr: ip.Unmap(), Reason: r}
	}
	return nil
}

func (c *Client) exempt(u *url.URL) bool {
	for _, p := range c.allow {
		if u.Scheme == p.scheme && hostPort(u) == p.host {
			path := u.EscapedPath()
			if p.path == "" || path == p.path || strings.HasPrefix(path, p.path+"/") {
				return true
			}
		}
	}
	return false
}

// hostPort returns u's host with its default port made explicit, lower-cased.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(net.JoinHostPort(u.Hostname(), port))
}

func (c *Client) transport(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           dial,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: c.opts.RootCAs},
		TLSHandshakeTimeout:   c.opts.TLSHandshakeTimeout,
		ResponseHeaderTimeout: c.opts.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     true,
	}
}

// dial resolves the host and dials its addresses in turn. With check, it refuses the
// host when any of its addresses is not public, and a Control hook checks once more
// the address each socket is about to connect to.
func (c *Client) dial(ctx context.Context, network, addr string, check bool) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		if ips, err = c.opts.lookup(ctx, host); err != nil {
			return nil, err
		}
		if len(ips) == 0 {
			return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
	}
	d := &net.Dialer{Timeout: c.opts.DialTimeout, KeepAlive: 30 * time.Second}
	if check {
		for _, ip := range ips {
			if err := c.checkAddr(host, ip); err != nil {
				return nil, err
			}
		}
		d.Control = func(network, address string, _ syscall.RawConn) error {
			if !strings.HasPrefix(network, "tcp") {
				return fmt.Errorf("%w: network %s", ErrForbiddenAddress, network)
			}
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrForbiddenAddress, err)
			}
			return c.checkAddr(host, ap.Addr())
		}
	}
	var first error
	for _, ip := range ips {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// roundTripper checks each request (the first and every redirect), picks the
// guarded or the open transport, and limits the response body.
type roundTripper struct {
	c             *Client
	open, guarded *http.Transport
}

func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	t := rt.guarded
	if rt.c.opts.AllowPrivateNetworks || rt.c.exempt(req.URL) {
		t = rt.open
	}
	if err := rt.c.CheckURL(req.URL); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	max := rt.c.opts.MaxResponseBytes
	if resp.ContentLength > max {
		_ = resp.Body.Close()
		return nil, fmt.Errorf("%w: %d bytes announced, the limit is %d", ErrResponseTooLarge, resp.ContentLength, max)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: max, max: max}
	return resp, nil
}

// CloseIdleConnections closes both transports' idle connections, so
// http.Client.CloseIdleConnections reaches them.
func (rt *roundTripper) CloseIdleConnections() {
	rt.open.CloseIdleConnections()
	rt.guarded.CloseIdleConnections()
}

// limitedBody reads at most max bytes and fails with ErrResponseTooLarge when the
// body holds more.
type limitedBody struct {
	rc        io.ReadCloser
	left, max int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.left <= 0 {
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w of %d bytes", ErrResponseTooLarge, b.max)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
