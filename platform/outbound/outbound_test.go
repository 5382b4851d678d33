package outbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/kontor-app/kontor/platform/config"
)

// Every server in these tests listens on loopback (127.0.0.1 or 127.0.0.2), and no
// test dials anything else: a "public" bank is simulated by the lookup hook resolving
// a name under example.com (which httptest's certificate covers) to 127.0.0.2 and the
// permit hook treating 127.0.0.2, and only it, as public.

var fakePublic = netip.MustParseAddr("127.0.0.2")

func permitFakePublic(ip netip.Addr) bool { return ip == fakePublic }

// tlsServerOn starts an https test server listening on ip.
func tlsServerOn(t *testing.T, ip string, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	_ = srv.Listener.Close()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	srv.Listener = l
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func portOf(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	return u.Port()
}

// resolver maps names to addresses; unknown names fail like NXDOMAIN.
func resolver(m map[string]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		if a, ok := m[host]; ok {
			return []netip.Addr{netip.MustParseAddr(a)}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
}

func get(c *Client, u string) (int, string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func TestForbiddenClassifiesAddresses(t *testing.T) {
	forbidden := map[string]string{
		"127.0.0.1": "loopback", "127.8.9.10": "loopback", "::1": "loopback",
		"10.0.0.1": "private", "172.16.0.1": "private", "172.31.255.255": "private", "192.168.1.1": "private",
		"169.254.169.254": "link-local", "169.254.0.1": "link-local", "fe80::1": "link-local",
		"100.64.0.1": "carrier-grade NAT (shared)", "100.127.255.254": "carrier-grade NAT (shared)",
		"fc00::1": "private", "fd12:3456::1": "private",
		"224.0.0.1": "multicast", "ff02::1": "multicast", "239.255.255.250": "multicast",
		"0.0.0.0": "unspecified", "::": "unspecified", "0.1.2.3": "\"this network\"",
		"255.255.255.255": "broadcast", "240.0.0.1": "reserved",
		"::ffff:127.0.0.1": "loopback", "::ffff:169.254.169.254": "link-local", "::ffff:10.1.2.3": "private",
		"64:ff9b::7f00:1": "loopback (via NAT64)", "2002:a9fe:a9fe::1": "link-local (via 6to4)",
		"192.0.2.1": "documentation", "2001:db8::1": "documentation", "::127.0.0.1": "IPv4-compatible (deprecated)",
	}
	for s, want := range forbidden {
		if got := Forbidden(netip.MustParseAddr(s)); got != want {
			t.Errorf("Forbidden(%s) = %q, want %q", s, got, want)
		}
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"} {
		if got := Forbidden(netip.MustParseAddr(s)); got != "" {
			t.Errorf("Forbidden(%s) = %q, want public", s, got)
		}
	}
}

func TestRefusedWhenPrivateNetworksAreOff(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(plain.Close)
	port := portOf(t, srv)
	c := New(Options{RootCAs: certPool(srv), lookup: resolver(map[string]string{"inside.example.com": "127.0.0.1", "v6.example.com": "::1"})})

	cases := []struct {
		url  string
		want error
	}{
		{srv.URL, ErrForbiddenAddress},                                    // https://127.0.0.1:port
		{"https://[::1]:" + port + "/", ErrForbiddenAddress},              // IPv6 loopback
		{"https://[::ffff:127.0.0.1]:" + port + "/", ErrForbiddenAddress}, // IPv4-mapped loopback
		{"https://169.254.169.254/latest/meta-data/", ErrForbiddenAddress},
		{"https://localhost:" + port + "/", ErrForbiddenAddress},
		{"https://inside.example.com:" + port + "/", ErrForbiddenAddress}, // resolves to loopback: refused at dial
		{"https://v6.example.com:" + port + "/", ErrForbiddenAddress},
		{plain.URL, ErrForbiddenScheme},
		{"ftp://example.com/", ErrForbiddenScheme},
	}
	for _, tc := range cases {
		_, _, err := get(c, tc.url)
		if !errors.Is(err, tc.want) {
			t.Errorf("GET %s: %v, want %v", tc.url, err, tc.want)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("a refused request reached a server %d times", n)
	}
	var ae *AddressError
	if _, _, err := get(c, "https://169.254.169.254/"); !errors.As(err, &ae) || ae.Reason != "link-local" || !strings.Contains(err.Error(), "169.254.169.254") {
		t.Fatalf("address error: %v", err)
	}
}

func TestPublicAddressIsReached(t *testing.T) {
	srv := tlsServerOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.Host)
	}))
	c := New(Options{RootCAs: certPool(srv), permit: permitFakePublic, lookup: resolver(map[string]string{"bank.example.com": "127.0.0.2"})})
	u := "https://bank.example.com:" + portOf(t, srv) + "/"
	code, body, err := get(c, u)
	if err != nil || code != 200 || !strings.HasPrefix(body, "hello bank.example.com") {
		t.Fatalf("GET %s: %d %q %v", u, code, body, err)
	}
}

func TestDNSRebindingIsCaughtAtDial(t *testing.T) {
	srv := tlsServerOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	var calls atomic.Int32
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		if calls.Add(1) == 1 {
			return []netip.Addr{fakePublic}, nil // first answer: public
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil // then: rebound to loopback
	}
	c := New(Options{RootCAs: certPool(srv), permit: permitFakePublic, lookup: lookup})
	u := "https://rebind.example.com:" + portOf(t, srv) + "/"
	if _, body, err := get(c, u); err != nil || body != "ok" {
		t.Fatalf("first request: %q %v", body, err)
	}
	c.CloseIdleConnections()
	if _, _, err := get(c, u); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("after rebinding: %v", err)
	}
	// A name answering with a public and a private address is refused outright.
	c2 := New(Options{RootCAs: certPool(srv), permit: permitFakePublic, lookup: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{fakePublic, netip.MustParseAddr("10.0.0.1")}, nil
	}})
	if _, _, err := get(c2, u); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("mixed answer: %v", err)
	}
}

func TestRedirects(t *testing.T) {
	var insideHits atomic.Int32
	inside := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { insideHits.Add(1) }))
	t.Cleanup(inside.Close)
	insidePort := portOf(t, inside)
	var bankURL string
	bank := tlsServerOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/to-loopback":
			http.Redirect(w, r, "https://127.0.0.1:"+insidePort+"/", http.StatusFound)
		case r.URL.Path == "/to-loopback-name":
			http.Redirect(w, r, "https://inside.example.com:"+insidePort+"/", http.StatusFound)
		case r.URL.Path == "/to-metadata":
			http.Redirect(w, r, "https://169.254.169.254/latest/meta-data/", http.StatusFound)
		case r.URL.Path == "/to-http":
			http.Redirect(w, r, strings.Replace(bankURL, "https:", "http:", 1)+"/done", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/hop/"):
			var n int
			fmt.Sscanf(r.URL.Path, "/hop/%d", &n)
			if n == 0 {
				io.WriteString(w, "arrived")
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
		default:
			io.WriteString(w, "done")
		}
	}))
	bankURL = "https://bank.example.com:" + portOf(t, bank)
	names := map[string]string{"bank.example.com": "127.0.0.2", "inside.example.com": "127.0.0.1"}
	pool := certPool(bank)
	pool.AddCert(inside.Certificate())
	c := New(Options{RootCAs: pool, permit: permitFakePublic, lookup: resolver(names)})

	for path, want := range map[string]error{
		"/to-loopback":      ErrForbiddenAddress,
		"/to-loopback-name": ErrForbiddenAddress,
		"/to-metadata":      ErrForbiddenAddress,
		"/to-http":          ErrForbiddenScheme,
		"/hop/6":            ErrTooManyRedirects,
	} {
		if _, _, err := get(c, bankURL+path); !errors.Is(err, want) {
			t.Errorf("GET %s: %v, want %v", path, err, want)
		}
	}
	if n := insideHits.Load(); n != 0 {
		t.Fatalf("a redirect reached the loopback server %d times", n)
	}
	if _, body, err := get(c, bankURL+"/hop/5"); err != nil || body != "arrived" {
		t.Fatalf("five redirects: %q %v", body, err)
	}

	// With private networks allowed, the same redirect to loopback goes through.
	on := New(Options{AllowPrivateNetworks: true, RootCAs: pool, lookup: resolver(names)})
	if code, _, err := get(on, bankURL+"/to-loopback"); err != nil || code != 200 || insideHits.Load() != 1 {
		t.Fatalf("allowed redirect: %d %v (hits %d)", code, err, insideHits.Load())
	}
}

func TestAllowedWhenPrivateNetworksAreOn(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "plain") }))
	t.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secure") }))
	t.Cleanup(secure.Close)
	c := New(Options{AllowPrivateNetworks: true, RootCAs: certPool(secure)})
	if !c.AllowsPrivateNetworks() {
		t.Fatal("AllowsPrivateNetworks")
	}
	for u, want := range map[string]string{
		plain.URL: "plain", secure.URL: "secure",
		"http://localhost:" + portOf(t, plain) + "/": "plain",
	} {
		if _, body, err := get(c, u); err != nil || body != want {
			t.Errorf("GET %s: %q %v", u, body, err)
		}
	}
	if _, _, err := get(c, "ftp://127.0.0.1/"); !errors.Is(err, ErrForbiddenScheme) {
		t.Fatalf("ftp with private networks on: %v", err)
	}
}

func TestAllowListExemptsThePrefixOnly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sandbox/escape" {
			http.Redirect(w, r, "/admin", http.StatusFound)
			return
		}
		io.WriteString(w, "sandbox")
	}))
	t.Cleanup(srv.Close)
	c := New(Options{Allow: []string{srv.URL + "/sandbox"}})
	for _, p := range []string{"/sandbox", "/sandbox/", "/sandbox/api/accounts"} {
		if _, body, err := get(c, srv.URL+p); err != nil || body != "sandbox" {
			t.Errorf("GET %s: %q %v", p, body, err)
		}
	}
	for _, p := range []string{"/", "/sandboxed", "/admin", "/sandbox/escape"} {
		if _, _, err := get(c, srv.URL+p); !errors.Is(err, ErrForbiddenScheme) {
			t.Errorf("GET %s: %v, want refused", p, err)
		}
	}
	// The same path on another port of loopback is not exempt.
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(other.Close)
	c2 := New(Options{Allow: []string{srv.URL + "/sandbox"}, RootCAs: certPool(other)})
	if _, _, err := get(c2, other.URL+"/sandbox/x"); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("other server: %v", err)
	}
}

func TestResponseSizeLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Query().Get("n"), "%d", &n)
		if r.URL.Query().Get("chunked") != "" {
			w.WriteHeader(200)
			w.(http.Flusher).Flush() // no Content-Length: the body is chunked
		}
		w.Write([]byte(strings.Repeat("x", n)))
	}))
	t.Cleanup(srv.Close)
	c := New(Options{AllowPrivateNetworks: true, MaxResponseBytes: 1024})
	for _, q := range []string{"n=1024", "n=1024&chunked=1", "n=0"} {
		if _, body, err := get(c, srv.URL+"/?"+q); err != nil || len(body) != len(strings.Repeat("x", atoi(q))) {
			t.Errorf("%s: %d bytes, %v", q, len(body), err)
		}
	}
	for _, q := range []string{"n=1025", "n=1025&chunked=1", "n=100000&chunked=1"} {
		if _, _, err := get(c, srv.URL+"/?"+q); !errors.Is(err, ErrResponseTooLarge) {
			t.Errorf("%s: %v, want ErrResponseTooLarge", q, err)
		}
	}
	if New(Options{}).MaxResponseBytes() != 64<<20 {
		t.Fatal("the default limit is not 64 MiB")
	}
}

func atoi(q string) int {
	var n int
	fmt.Sscanf(q, "n=%d", &n)
	return n
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow-body" {
			w.WriteHeader(200)
			w.Write([]byte("partial"))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	c := New(Options{AllowPrivateNetworks: true, ResponseHeaderTimeout: 50 * time.Millisecond})
	if _, _, err := get(c, srv.URL+"/no-header"); !isTimeout(err) {
		t.Errorf("response header timeout: %v", err)
	}
	c = New(Options{AllowPrivateNetworks: true, Timeout: 200 * time.Millisecond})
	if _, _, err := get(c, srv.URL+"/slow-body"); !isTimeout(err) {
		t.Errorf("overall timeout while reading the body: %v", err)
	}

	// A TLS peer that accepts and never speaks: the handshake times out.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() { <-release; conn.Close() }()
		}
	}()
	c = New(Options{AllowPrivateNetworks: true, TLSHandshakeTimeout: 50 * time.Millisecond})
	if _, _, err := get(c, "https://"+l.Addr().String()+"/"); err == nil || !strings.Contains(err.Error(), "TLS handshake timeout") {
		t.Errorf("TLS handshake timeout: %v", err)
	}
}

func TestNewFromConfigAndModule(t *testing.T) {
	cfg := config.Config{BaseURL: "http://localhost:8080", Sandbox: false}
	if err := NewFromConfig(cfg).CheckURL(mustURL("http://localhost:8080/sandbox/oauth/token")); !errors.Is(err, ErrForbiddenScheme) {
		t.Fatalf("the sandbox is exempt while this server does not serve it: %v", err)
	}
	cfg.Sandbox = true
	c := NewFromConfig(cfg)
	if c.AllowsPrivateNetworks() {
		t.Fatal("private networks on by default")
	}
	if err := c.CheckURL(mustURL("http://localhost:8080/sandbox/oauth/token")); err != nil {
		t.Fatalf("the built-in sandbox is not exempt: %v", err)
	}
	if err := c.CheckURL(mustURL("http://localhost:8080/api/v1/users")); !errors.Is(err, ErrForbiddenScheme) {
		t.Fatalf("the rest of this server is exempt: %v", err)
	}
	if err := c.CheckURL(mustURL("https://localhost:8080/api/v1/users")); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("https to this server: %v", err)
	}
	cfg.ProvidersAllowPrivateNetworks = true
	var got *Client
	app := fxtest.New(t, Module, fx.Supply(cfg), fx.Populate(&got))
	app.RequireStart().RequireStop()
	if !got.AllowsPrivateNetworks() {
		t.Fatal("the module ignores ProvidersAllowPrivateNetworks")
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
