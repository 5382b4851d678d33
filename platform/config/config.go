// Package config loads Kontor's settings from KONTOR_* environment variables and
// command-line flags (flags win), applies defaults, and validates them so that a bad
// setting stops the process with one line naming it.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Environments Kontor knows.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Config is every setting of a Kontor process.
type Config struct {
	// Addr is the listen address of the HTTP server, e.g. ":8080" or "127.0.0.1:0".
	Addr string
	// DatabaseURL selects the database: a postgres:// URL for PostgreSQL, otherwise an
	// SQLite file given as sqlite:PATH, file:PATH or a bare path.
	DatabaseURL string
	// RedisURL, when set, makes rate-limit buckets shared through Redis.
	RedisURL string
	// SecretKey signs tokens, sessions and CSRF tokens; at least 32 bytes.
	SecretKey string
	// Env is development or production.
	Env string
	// BaseURL is the public URL of this instance, used in links and redirects.
	BaseURL string
	// DataDir holds the SQLite database and the development secret key.
	DataDir string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// LogFormat is text or json.
	LogFormat string
	// ShutdownTimeout bounds how long in-flight requests may take to finish at shutdown.
	ShutdownTimeout time.Duration
	// RateLimit holds the bucket sizes of the rate-limit policies.
	RateLimit RateLimits
	// Sandbox serves the demo sandbox bank under /sandbox (default: true in
	// development, false in production).
	Sandbox bool
	// SandboxURL is where Kontor's sandbox adapter reaches the sandbox bank (default
	// BaseURL + "/sandbox").
	SandboxURL string
	// ProvidersAllowPrivateNetworks lets provider calls (SimpleFIN, a sandbox URL) use
	// plain http and reach loopback and private addresses; for tests and home labs.
	ProvidersAllowPrivateNetworks bool
	// TrustedProxies are the addresses (CIDRs or single IPs) of reverse proxies whose
	// X-Forwarded-For names the client; from anyone else the header is ignored
	// (KONTOR_TRUSTED_PROXIES, comma-separated, default none).
	TrustedProxies []string
	// IdempotencyLease is how long a running Idempotency-Key stays held without a
	// renewal; a retry after it lapsed takes the key over (KONTOR_IDEMPOTENCY_LEASE).
	IdempotencyLease time.Duration
	// Jobs configures the background job engine and the event stream.
	Jobs Jobs
	// PreviousSecretKeys are secret keys KONTOR_SECRET_KEY replaced, kept so that what
	// they sealed (provider credentials, stored idempotent answers) still opens after
	// a rotation; nothing new is sealed with them (KONTOR_PREVIOUS_SECRET_KEYS,
	// comma-separated, default none).
	PreviousSecretKeys []string
}

// Jobs configures River (platform/jobs) and the event stream (platform/events).
type Jobs struct {
	// Workers is how many jobs this process runs at once (KONTOR_JOB_WORKERS, 10).
	Workers int
	// JanitorInterval is the period of the janitor job (KONTOR_JOB_JANITOR_INTERVAL, 1h).
	JanitorInterval time.Duration
	// EventsHeartbeat is the longest silence on an event stream before a comment
	// line keeps proxies open (KONTOR_EVENTS_HEARTBEAT, 15s).
	EventsHeartbeat time.Duration
	// EventsPollInterval is how often the event log is read for events other
	// instances wrote (KONTOR_EVENTS_POLL_INTERVAL, 500ms).
	EventsPollInterval time.Duration
}

// RateLimits configures the token buckets of API.md: burst and refill per minute.
type RateLimits struct {
	Disabled    bool
	AuthBurst   int
	AuthPerMin  int
	ReadBurst   int
	ReadPerMin  int
	WriteBurst  int
	WritePerMin int
	SyncBurst   int
	SyncPerMin  int
	// AuthFailureBurst and AuthFailurePerMin shape the per-IP bucket that failed
	// bearer authentications drain (KONTOR_RATE_AUTH_FAILURE_BURST, _PER_MINUTE).
	AuthFailureBurst  int
	AuthFailurePerMin int
}

// Error is a configuration problem naming the setting.
type Error struct {
	Setting string
	Problem string
}

func (e *Error) Error() string { return fmt.Sprintf("config: %s %s", e.Setting, e.Problem) }

// IsProduction reports whether Env is production.
func (c Config) IsProduction() bool { return c.Env == EnvProduction }

// IsPostgres reports whether DatabaseURL selects PostgreSQL.
func (c Config) IsPostgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

// SQLitePath returns the file path of an SQLite DatabaseURL.
func (c Config) SQLitePath() string {
	p := c.DatabaseURL
	for _, prefix := range []string{"sqlite://", "sqlite:", "file:"} {
		if strings.HasPrefix(p, prefix) {
			p = strings.TrimPrefix(p, prefix)
			break
		}
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// Load reads settings from getenv and args (args exclude the program name), applies
// defaults and validates. It does not touch the file system; see EnsureSecretKey.
func Load(args []string, getenv func(string) string) (Config, error) {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	envInt := func(name string, def int) (int, error) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, &Error{Setting: name, Problem: fmt.Sprintf("must be a positive whole number, got %q", v)}
		}
		return n, nil
	}

	var c Config
	fs := flag.NewFlagSet("kontor", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.Addr, "addr", env("KONTOR_ADDR", ":8080"), "listen address (KONTOR_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", env("KONTOR_DATA_DIR", "data"), "data folder (KONTOR_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("KONTOR_DATABASE_URL", ""), "database URL (KONTOR_DATABASE_URL)")
	fs.StringVar(&c.RedisURL, "redis-url", env("KONTOR_REDIS_URL", ""), "Redis URL (KONTOR_REDIS_URL)")
	fs.StringVar(&c.SecretKey, "secret-key", env("KONTOR_SECRET_KEY", ""), "secret key (KONTOR_SECRET_KEY)")
	fs.StringVar(&c.Env, "env", env("KONTOR_ENV", EnvDevelopment), "development or production (KONTOR_ENV)")
	fs.StringVar(&c.BaseURL, "base-url", env("KONTOR_BASE_URL", ""), "public base URL (KONTOR_BASE_URL)")
	fs.StringVar(&c.LogLevel, "log-level", env("KONTOR_LOG_LEVEL", "info"), "debug, info, warn or error (KONTOR_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("KONTOR_LOG_FORMAT", ""), "text or json (KONTOR_LOG_FORMAT; default json in production, text otherwise)")
	shutdown := fs.String("shutdown-timeout", env("KONTOR_SHUTDOWN_TIMEOUT", "15s"), "graceful shutdown limit (KONTOR_SHUTDOWN_TIMEOUT)")
	sandbox := fs.String("sandbox", env("KONTOR_SANDBOX", ""), "serve the sandbox bank under /sandbox (KONTOR_SANDBOX)")
	fs.StringVar(&c.SandboxURL, "sandbox-url", env("KONTOR_SANDBOX_URL", ""), "sandbox bank base URL (KONTOR_SANDBOX_URL)")
	proxies := fs.String("trusted-proxies", env("KONTOR_TRUSTED_PROXIES", ""), "comma-separated CIDRs of trusted reverse proxies (KONTOR_TRUSTED_PROXIES)")
	lease := fs.String("idempotency-lease", env("KONTOR_IDEMPOTENCY_LEASE", "30s"), "lease of a running idempotency key (KONTOR_IDEMPOTENCY_LEASE)")
	rateLimitOff := fs.Bool("rate-limit-disabled", env("KONTOR_RATE_LIMIT_DISABLED", "false") == "true", "turn rate limiting off (KONTOR_RATE_LIMIT_DISABLED)")
	if err := fs.Parse(args); err != nil {
		return Config{}, &Error{Setting: "flags", Problem: err.Error()}
	}
	if fs.NArg() > 0 {
		return Config{}, &Error{Setting: "flags", Problem: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	d, err := time.ParseDuration(*shutdown)
	if err != nil || d <= 0 {
		return Config{}, &Error{Setting: "KONTOR_SHUTDOWN_TIMEOUT", Problem: fmt.Sprintf("must be a positive duration such as 15s, got %q", *shutdown)}
	}
	c.ShutdownTimeout = d
	for _, p := range strings.Split(*proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return Config{}, &Error{Setting: "KONTOR_TRUSTED_PROXIES", Problem: fmt.Sprintf("must be comma-separated CIDRs or IP addresses, got %q", p)}
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	for _, k := range strings.Split(env("KONTOR_PREVIOUS_SECRET_KEYS", ""), ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		if len(k) < 32 {
			return Config{}, &Error{Setting: "KONTOR_PREVIOUS_SECRET_KEYS", Problem: "every key must be at least 32 characters, as KONTOR_SECRET_KEY was"}
		}
		c.PreviousSecretKeys = append(c.PreviousSecretKeys, k)
	}
	if c.LogFormat == "" {
		// Production logs are read by machines (a log shipper, journald), development
		// logs by people.
		c.LogFormat = "text"
		if c.IsProduction() {
			c.LogFormat = "json"
		}
	}
	if v := env("KONTOR_PROVIDERS_ALLOW_PRIVATE_NETWORKS", "false"); v != "" {
		if c.ProvidersAllowPrivateNetworks, err = strconv.ParseBool(v); err != nil {
			return Config{}, &Error{Setting: "KONTOR_PROVIDERS_ALLOW_PRIVATE_NETWORKS", Problem: fmt.Sprintf("must be true or false, got %q", v)}
		}
	}
	if c.IdempotencyLease, err = time.ParseDuration(*lease); err != nil || c.IdempotencyLease < time.Second {
		return Config{}, &Error{Setting: "KONTOR_IDEMPOTENCY_LEASE", Problem: fmt.Sprintf("must be a duration of at least 1s such as 30s, got %q", *lease)}
	}
	c.RateLimit.Disabled = *rateLimitOff
	if err := loadJobs(&c.Jobs, getenv, envInt); err != nil {
		return Config{}, err
	}
	for _, f := range []struct {
		name string
		dst  *int
		def  int
	}{
		{"KONTOR_RATE_AUTH_BURST", &c.RateLimit.AuthBurst, 5},
		{"KONTOR_RATE_AUTH_PER_MINUTE", &c.RateLimit.AuthPerMin, 5},
		{"KONTOR_RATE_READ_BURST", &c.RateLimit.ReadBurst, 100},
		{"KONTOR_RATE_READ_PER_MINUTE", &c.RateLimit.ReadPerMin, 100},
		{"KONTOR_RATE_WRITE_BURST", &c.RateLimit.WriteBurst, 50},
		{"KONTOR_RATE_WRITE_PER_MINUTE", &c.RateLimit.WritePerMin, 50},
		{"KONTOR_RATE_SYNC_BURST", &c.RateLimit.SyncBurst, 10},
		{"KONTOR_RATE_SYNC_PER_MINUTE", &c.RateLimit.SyncPerMin, 5},
		{"KONTOR_RATE_AUTH_FAILURE_BURST", &c.RateLimit.AuthFailureBurst, 20},
		{"KONTOR_RATE_AUTH_FAILURE_PER_MINUTE", &c.RateLimit.AuthFailurePerMin, 20},
	} {
		if *f.dst, err = envInt(f.name, f.def); err != nil {
			return Config{}, err
		}
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "kontor.db")
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://localhost" + portOf(c.Addr)
	}
	switch strings.ToLower(*sandbox) {
	case "":
		c.Sandbox = c.Env == EnvDevelopment
	case "true", "1", "yes":
		c.Sandbox = true
	case "false", "0", "no":
		c.Sandbox = false
	default:
		return Config{}, &Error{Setting: "KONTOR_SANDBOX", Problem: fmt.Sprintf("must be true or false, got %q", *sandbox)}
	}
	if c.SandboxURL == "" {
		c.SandboxURL = strings.TrimRight(c.BaseURL, "/") + "/sandbox"
	}
	return c, c.Validate()
}

func portOf(addr string) string {
	if _, port, err := net.SplitHostPort(addr); err == nil && port != "" && port != "0" {
		return ":" + port
	}
	return ""
}

// Validate checks every setting and returns the first problem.
func (c Config) Validate() error {
	switch c.Env {
	case EnvDevelopment, EnvProduction:
	default:
		return &Error{Setting: "KONTOR_ENV", Problem: fmt.Sprintf("must be development or production, got %q", c.Env)}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return &Error{Setting: "KONTOR_ADDR", Problem: fmt.Sprintf("must be host:port or :port, got %q", c.Addr)}
	}
	if c.IsPostgres() {
		if u, err := url.Parse(c.DatabaseURL); err != nil || u.Host == "" {
			return &Error{Setting: "KONTOR_DATABASE_URL", Problem: "must be a postgres://user:pass@host:port/db URL or an SQLite path"}
		}
	} else if strings.Contains(c.DatabaseURL, "://") && !strings.HasPrefix(c.DatabaseURL, "sqlite://") {
		return &Error{Setting: "KONTOR_DATABASE_URL", Problem: fmt.Sprintf("must be a postgres:// URL or an SQLite path (sqlite:PATH), got scheme %q", strings.SplitN(c.DatabaseURL, "://", 2)[0])}
	} else if c.SQLitePath() == "" {
		return &Error{Setting: "KONTOR_DATABASE_URL", Problem: "names no SQLite file"}
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return &Error{Setting: "KONTOR_REDIS_URL", Problem: "must be a redis://host:port URL"}
		}
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &Error{Setting: "KONTOR_BASE_URL", Problem: fmt.Sprintf("must be an http(s):// URL, got %q", c.BaseURL)}
	}
	if u, err := url.Parse(c.SandboxURL); c.SandboxURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return &Error{Setting: "KONTOR_SANDBOX_URL", Problem: fmt.Sprintf("must be an http(s):// URL, got %q", c.SandboxURL)}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &Error{Setting: "KONTOR_LOG_LEVEL", Problem: fmt.Sprintf("must be debug, info, warn or error, got %q", c.LogLevel)}
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return &Error{Setting: "KONTOR_LOG_FORMAT", Problem: fmt.Sprintf("must be text or json, got %q", c.LogFormat)}
	}
	if c.SecretKey != "" && len(c.SecretKey) < 32 {
		return &Error{Setting: "KONTOR_SECRET_KEY", Problem: "must be at least 32 characters (try: openssl rand -hex 32)"}
	}
	if c.IsProduction() && c.SecretKey == "" {
		return &Error{Setting: "KONTOR_SECRET_KEY", Problem: "is required in production (try: openssl rand -hex 32)"}
	}
	return nil
}

// EnsureSecretKey fills an empty SecretKey in development from DataDir/secret.key,
// creating that file with a random key on first run.
func (c *Config) EnsureSecretKey() error {
	if c.SecretKey != "" {
		return nil
	}
	if c.IsProduction() {
		return &Error{Setting: "KONTOR_SECRET_KEY", Problem: "is required in production"}
	}
	path := filepath.Join(c.DataDir, "secret.key")
	if b, err := os.ReadFile(path); err == nil {
		key := strings.TrimSpace(string(b))
		if len(key) < 32 {
			return &Error{Setting: "KONTOR_SECRET_KEY", Problem: fmt.Sprintf("file %s holds fewer than 32 characters", path)}
		}
		c.SecretKey = key
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return &Error{Setting: "KONTOR_SECRET_KEY", Problem: fmt.Sprintf("file %s cannot be read: %v", path, err)}
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	key := hex.EncodeToString(raw)
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return &Error{Setting: "KONTOR_DATA_DIR", Problem: fmt.Sprintf("cannot be created: %v", err)}
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return &Error{Setting: "KONTOR_DATA_DIR", Problem: fmt.Sprintf("cannot be written: %v", err)}
	}
	c.SecretKey = key
	return nil
}

// loadJobs reads the Jobs settings.
func loadJobs(j *Jobs, getenv func(string) string, envInt func(string, int) (int, error)) error {
	var err error
	if j.Workers, err = envInt("KONTOR_JOB_WORKERS", 10); err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
		def  time.Duration
	}{
		{"KONTOR_JOB_JANITOR_INTERVAL", &j.JanitorInterval, time.Hour},
		{"KONTOR_EVENTS_HEARTBEAT", &j.EventsHeartbeat, 15 * time.Second},
		{"KONTOR_EVENTS_POLL_INTERVAL", &j.EventsPollInterval, 500 * time.Millisecond},
	} {
		*d.dst = d.def
		if v := strings.TrimSpace(getenv(d.name)); v != "" {
			p, perr := time.ParseDuration(v)
			if perr != nil || p <= 0 {
				return &Error{Setting: d.name, Problem: fmt.Sprintf("must be a positive duration such as 30s, got %q", v)}
			}
			*d.dst = p
		}
	}
	return nil
}
