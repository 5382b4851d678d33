package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
	"go.yaml.in/yaml/v3"

	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

// composeService is the part of a compose.yaml service the test uses.
type composeService struct {
	Image           string            `yaml:"image"`
	Environment     map[string]string `yaml:"environment"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
}

var composeVar = regexp.MustCompile(`\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}`)

// interpolate resolves ${NAME}, ${NAME:-default} and ${NAME:?message} as compose does.
func interpolate(t *testing.T, s string, vars map[string]string) string {
	t.Helper()
	return composeVar.ReplaceAllStringFunc(s, func(m string) string {
		p := composeVar.FindStringSubmatch(m)
		if v := vars[p[1]]; v != "" {
			return v
		}
		switch p[2] {
		case "-":
			return p[3]
		case "?":
			t.Fatalf("compose.yaml: %s is required: %s", p[1], p[3])
		}
		return ""
	})
}

// TestComposeTwoInstancesShareState starts what compose.yaml describes (without
// the Caddy proxy): PostgreSQL, Redis and the two Kontor services, from the image
// `task image` builds and with the compose file's own settings, on one network with
// the compose service names. Both instances start at once on the empty database (one
// applies the migrations), then behave as one deployment: a token from one works on
// the other, the login rate limit is one bucket in Redis, an Idempotency-Key replays
// across them, and ledger writes on one are read on the other. Stopping one (SIGTERM,
// within the file's stop_grace_period) exits cleanly while the other serves on.
func TestComposeTwoInstancesShareState(t *testing.T) {
	tag := kontorImage(t)
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	redisImage := os.Getenv("KONTOR_TEST_REDIS_IMAGE")
	vars := map[string]string{
		"KONTOR_DOMAIN":         "kontor.example.test",
		"KONTOR_SECRET_KEY":     "compose-test-secret-0123456789abcdef012345",
		"POSTGRES_PASSWORD":     "compose-test-password",
		"KONTOR_IMAGE":          tag,
		"KONTOR_POSTGRES_IMAGE": os.Getenv("KONTOR_TEST_POSTGRES_IMAGE"),
		"KONTOR_REDIS_IMAGE":    redisImage,
	}
	service := func(name string) composeService {
		t.Helper()
		s, ok := file.Services[name]
		if !ok {
			t.Fatalf("compose.yaml has no service %s", name)
		}
		s.Image = interpolate(t, s.Image, vars)
		env := map[string]string{}
		for k, v := range s.Environment {
			env[k] = interpolate(t, v, vars)
		}
		s.Environment = env
		return s
	}
	pg, rd, k1, k2 := service("postgres"), service("redis"), service("kontor-1"), service("kontor-2")
	// The test below counts the shared AUTH bucket's tokens down; at the default refill
	// (5 a minute, one every 12 s) a slow machine can refill one between two logins, so
	// the test refills one a minute.
	for _, s := range []composeService{k1, k2} {
		s.Environment["KONTOR_RATE_AUTH_PER_MINUTE"] = "1"
	}
	if k1.Image != tag || k2.Image != tag {
		t.Fatalf("the Kontor services' image is not overridable by KONTOR_IMAGE: %q %q", k1.Image, k2.Image)
	}
	if k1.Environment["KONTOR_ENV"] != "production" || k1.Environment["KONTOR_BASE_URL"] != "https://kontor.example.test" ||
		k1.Environment["KONTOR_TRUSTED_PROXIES"] == "" || k1.Environment["KONTOR_SECRET_KEY"] == "" {
		t.Fatalf("kontor-1 lacks production settings: %v", k1.Environment)
	}
	shutdown, err1 := time.ParseDuration(k1.Environment["KONTOR_SHUTDOWN_TIMEOUT"])
	grace, err2 := time.ParseDuration(k1.StopGracePeriod)
	if err1 != nil || err2 != nil || grace < shutdown+5*time.Second {
		t.Fatalf("stop_grace_period %q must exceed KONTOR_SHUTDOWN_TIMEOUT %q by the 5 s Kontor adds", k1.StopGracePeriod, k1.Environment["KONTOR_SHUTDOWN_TIMEOUT"])
	}
	if pg.Image == "" || rd.Image == "" || (redisImage != "" && rd.Image != redisImage) {
		t.Fatalf("images: postgres %q, redis %q", pg.Image, rd.Image)
	}

	nw, err := network.New(ctx)
	if err != nil {
		if dbtest.InCI() {
			t.Fatalf("create a Docker network: %v", err)
		}
		t.Skipf("no Docker network: %v", err)
	}
	t.Cleanup(func() { _ = nw.Remove(context.Background()) })
	start := func(name string, s composeService, req testcontainers.ContainerRequest) (testcontainers.Container, error) {
		req.Image = s.Image
		req.Env = s.Environment
		gr := testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true}
		if err := network.WithNetwork([]string{name}, nw).Customize(&gr); err != nil {
			return nil, err
		}
		ctr, err := testcontainers.GenericContainer(ctx, gr)
		if ctr != nil {
			t.Cleanup(func() { _ = ctr.Terminate(context.Background()) })
		}
		return ctr, err
	}
	if _, err := start("postgres", pg, testcontainers.ContainerRequest{
		ExposedPorts: []string{"5432/tcp"},
		WaitingFor: wait.ForAll(wait.ForLog("database system is ready to accept connections").WithOccurrence(2),
			wait.ForListeningPort("5432/tcp")).WithDeadline(2 * time.Minute),
	}); err != nil {
		t.Fatalf("postgres: %v", err)
	}
	if _, err := start("redis", rd, testcontainers.ContainerRequest{
		ExposedPorts: []string{"6379/tcp"},
		WaitingFor:   wait.ForListeningPort("6379/tcp").WithStartupTimeout(time.Minute),
	}); err != nil {
		t.Fatalf("redis: %v", err)
	}

	// Both Kontor services start together, as `docker compose up` starts them.
	names := []string{"kontor-1", "kontor-2"}
	ctrs := make([]testcontainers.Container, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, s := range []composeService{k1, k2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctrs[i], errs[i] = start(names[i], s, testcontainers.ContainerRequest{
				ExposedPorts: []string{"8080/tcp"},
				WaitingFor: wait.ForHTTP("/readyz").WithPort("8080/tcp").
					WithPollInterval(50 * time.Millisecond).WithStartupTimeout(2 * time.Minute),
			})
		}()
	}
	wg.Wait()
	insts := make([]*harness.Instance, 2)
	for i := range ctrs {
		if errs[i] != nil {
			t.Fatalf("%s: %v", names[i], errs[i])
		}
		endpoint, err := ctrs[i].PortEndpoint(ctx, "8080/tcp", "http")
		if err != nil {
			t.Fatal(err)
		}
		insts[i] = &harness.Instance{BaseURL: endpoint}
	}
	for i, inst := range insts {
		if body := inst.Client().Get(t, "/readyz").Expect(t, http.StatusOK).Map(t); body["database"] != "postgres" {
			t.Fatalf("%s /readyz: %v", names[i], body)
		}
	}

	ca, cb := insts[0].Client(), insts[1].Client()
	ca.Post(t, "/api/v1/auth/register", map[string]string{
		"email": "grace@example.com", "password": "a long enough password", "name": "Grace Hopper",
	}).Expect(t, http.StatusCreated)
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	cb.Post(t, "/api/v1/auth/login", map[string]string{"email": "grace@example.com", "password": "a long enough password"}).
		Expect(t, http.StatusOK).JSON(t, &tokens)
	ca.Token, cb.Token = tokens.AccessToken, tokens.AccessToken
	ca.Get(t, "/api/v1/me").Expect(t, http.StatusOK)

	// The AUTH bucket (5 per client address) is one bucket in Redis.
	for i := 0; i < 3; i++ {
		c := ca
		if i%2 == 1 {
			c = cb
		}
		res := c.Post(t, "/api/v1/auth/login", map[string]string{"email": "grace@example.com", "password": "a long enough password"})
		res.Expect(t, http.StatusOK)
		if got := res.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(2-i) {
			t.Fatalf("login %d: X-RateLimit-Remaining = %q, want %d (one shared bucket)", i, got, 2-i)
		}
	}
	cb.Post(t, "/api/v1/auth/login", map[string]string{"email": "grace@example.com", "password": "a long enough password"}).
		ExpectProblem(t, http.StatusTooManyRequests, "rate_limited")

	// One Idempotency-Key sent to both instances at once creates one API key.
	var iwg sync.WaitGroup
	results := make([]*harness.Response, 2)
	for i, c := range []*harness.Client{ca, cb} {
		iwg.Add(1)
		go func() {
			defer iwg.Done()
			results[i] = c.Post(t, "/api/v1/api-keys", map[string]string{"name": "deploy"}, "Idempotency-Key: compose-same-key")
		}()
	}
	iwg.Wait()
	created := 0
	for _, r := range results {
		switch r.Status {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
			r.ExpectProblem(t, http.StatusConflict, "idempotency_request_in_progress")
		default:
			t.Fatalf("unexpected status %d: %s", r.Status, r.Body)
		}
	}
	if created == 0 {
		t.Fatal("neither instance created the key")
	}
	replay := cb.Post(t, "/api/v1/api-keys", map[string]string{"name": "deploy"}, "Idempotency-Key: compose-same-key").Expect(t, http.StatusCreated)
	if replay.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("no Idempotent-Replayed header: %v", replay.Header)
	}

	// Ledger writes on one instance are read on the other.
	from := shAccount(t, ca, map[string]any{"name": "Checking", "account_type": "checking", "currency": "USD", "opening_balance": "100.00"})
	to := shAccount(t, cb, map[string]any{"name": "Savings", "account_type": "savings", "currency": "USD"})
	cb.Post(t, "/api/v1/transfers", map[string]any{"source_account_id": from, "destination_account_id": to, "amount": "40.01"}).Expect(t, http.StatusCreated)
	var acct struct {
		Balance string `json:"balance_amount"`
	}
	ca.Get(t, "/api/v1/accounts/"+to).Expect(t, http.StatusOK).JSON(t, &acct)
	if acct.Balance != "40.01" {
		t.Fatalf("balance read on kontor-1 after a transfer on kontor-2: %s", acct.Balance)
	}

	// SIGTERM within the grace period: kontor-1 exits 0, kontor-2 serves on.
	timeout := grace
	if err := ctrs[0].Stop(ctx, &timeout); err != nil {
		t.Fatalf("stop kontor-1: %v", err)
	}
	state, err := ctrs[0].State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if state.ExitCode != 0 {
		t.Fatalf("kontor-1 exited %d on SIGTERM, want 0 (graceful shutdown)", state.ExitCode)
	}
	cb.Get(t, "/api/v1/accounts/"+from).Expect(t, http.StatusOK)
	t.Log(fmt.Sprintf("two instances from compose.yaml (%s) shared PostgreSQL %s and Redis %s", tag, pg.Image, rd.Image))
}
