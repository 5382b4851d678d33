package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/platform/config"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := config.Load(nil, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.Env != "development" || c.IsPostgres() || c.SQLitePath() != filepath.Join("data", "kontor.db") {
		t.Fatalf("defaults: %+v", c)
	}
	if c.BaseURL != "http://localhost:8080" || c.RateLimit.AuthBurst != 5 || c.RateLimit.SyncPerMin != 5 || c.ShutdownTimeout.String() != "15s" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	c, err := config.Load([]string{"--addr", "127.0.0.1:9999", "--database-url", "postgres://u:p@db:5432/k"}, envOf(map[string]string{
		"KONTOR_ADDR": ":7000", "KONTOR_REDIS_URL": "redis://cache:6379/0",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || !c.IsPostgres() || c.RedisURL != "redis://cache:6379/0" || c.BaseURL != "http://localhost:9999" {
		t.Fatalf("%+v", c)
	}
}

func TestBadSettingsNameTheSetting(t *testing.T) {
	cases := []struct {
		env     map[string]string
		args    []string
		setting string
	}{
		{env: map[string]string{"KONTOR_ENV": "staging"}, setting: "KONTOR_ENV"},
		{env: map[string]string{"KONTOR_ADDR": "8080"}, setting: "KONTOR_ADDR"},
		{env: map[string]string{"KONTOR_DATABASE_URL": "mysql://x/y"}, setting: "KONTOR_DATABASE_URL"},
		{env: map[string]string{"KONTOR_DATABASE_URL": "postgres://"}, setting: "KONTOR_DATABASE_URL"},
		{env: map[string]string{"KONTOR_REDIS_URL": "localhost:6379"}, setting: "KONTOR_REDIS_URL"},
		{env: map[string]string{"KONTOR_SECRET_KEY": "short"}, setting: "KONTOR_SECRET_KEY"},
		{env: map[string]string{"KONTOR_ENV": "production"}, setting: "KONTOR_SECRET_KEY"},
		{env: map[string]string{"KONTOR_BASE_URL": "ftp://x"}, setting: "KONTOR_BASE_URL"},
		{env: map[string]string{"KONTOR_LOG_LEVEL": "loud"}, setting: "KONTOR_LOG_LEVEL"},
		{env: map[string]string{"KONTOR_LOG_FORMAT": "xml"}, setting: "KONTOR_LOG_FORMAT"},
		{env: map[string]string{"KONTOR_SHUTDOWN_TIMEOUT": "soon"}, setting: "KONTOR_SHUTDOWN_TIMEOUT"},
		{env: map[string]string{"KONTOR_RATE_READ_BURST": "-1"}, setting: "KONTOR_RATE_READ_BURST"},
		{args: []string{"--nope"}, setting: "flags"},
	}
	for _, tc := range cases {
		_, err := config.Load(tc.args, envOf(tc.env))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Setting != tc.setting {
			t.Errorf("%v %v: err = %v, want one naming %s", tc.env, tc.args, err, tc.setting)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("error spans lines: %q", err)
		}
	}
}

func TestEnsureSecretKeyIsGeneratedOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	c, err := config.Load(nil, envOf(map[string]string{"KONTOR_DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureSecretKey(); err != nil {
		t.Fatal(err)
	}
	if len(c.SecretKey) < 32 {
		t.Fatalf("key %q", c.SecretKey)
	}
	info, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", info, err)
	}
	again, _ := config.Load(nil, envOf(map[string]string{"KONTOR_DATA_DIR": dir}))
	if err := again.EnsureSecretKey(); err != nil || again.SecretKey != c.SecretKey {
		t.Fatalf("second run got a different key (%v)", err)
	}
}

func TestProvidersAllowPrivateNetworks(t *testing.T) {
	c, err := config.Load(nil, envOf(nil))
	if err != nil || c.ProvidersAllowPrivateNetworks {
		t.Fatalf("default must be false: %v %+v", err, c.ProvidersAllowPrivateNetworks)
	}
	c, err = config.Load(nil, envOf(map[string]string{"KONTOR_PROVIDERS_ALLOW_PRIVATE_NETWORKS": "true"}))
	if err != nil || !c.ProvidersAllowPrivateNetworks {
		t.Fatalf("true: %v %+v", err, c.ProvidersAllowPrivateNetworks)
	}
	_, err = config.Load(nil, envOf(map[string]string{"KONTOR_PROVIDERS_ALLOW_PRIVATE_NETWORKS": "maybe"}))
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Setting != "KONTOR_PROVIDERS_ALLOW_PRIVATE_NETWORKS" {
		t.Fatalf("bad value: %v", err)
	}
}

func TestTrustedProxiesAndLease(t *testing.T) {
	load := func(env map[string]string) (config.Config, error) {
		return config.Load(nil, func(k string) string { return env[k] })
	}
	c, err := load(map[string]string{})
	if err != nil || len(c.TrustedProxies) != 0 || c.IdempotencyLease != 30*time.Second {
		t.Fatalf("defaults: %v %v %v", c.TrustedProxies, c.IdempotencyLease, err)
	}
	c, err = load(map[string]string{"KONTOR_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7", "KONTOR_IDEMPOTENCY_LEASE": "5s"})
	if err != nil || len(c.TrustedProxies) != 2 || c.TrustedProxies[1] != "192.168.1.7" || c.IdempotencyLease != 5*time.Second {
		t.Fatalf("set: %v %v %v", c.TrustedProxies, c.IdempotencyLease, err)
	}
	for name, env := range map[string]map[string]string{
		"KONTOR_TRUSTED_PROXIES":   {"KONTOR_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"},
		"KONTOR_IDEMPOTENCY_LEASE": {"KONTOR_IDEMPOTENCY_LEASE": "10ms"},
	} {
		var ce *config.Error
		if _, err := load(env); !errors.As(err, &ce) || ce.Setting != name {
			t.Errorf("%s: %v, want an error naming it", name, err)
		}
	}
}
