package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"

	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

// faultClients is how many well-behaved clients write during the outage.
const faultClients = 4

// restartablePostgres starts a PostgreSQL container of its own, bound to a fixed
// loopback port so that it keeps its address across a stop and a start. Outside CI,
// without Docker, the test is skipped.
func restartablePostgres(t *testing.T) (*tcpostgres.PostgresContainer, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	_ = ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := tcpostgres.Run(ctx, dbtest.PostgresImage(),
		tcpostgres.WithDatabase("kontor"),
		tcpostgres.WithUsername("kontor"),
		tcpostgres.WithPassword("kontor"),
		tcpostgres.BasicWaitStrategies(),
		testcontainers.WithCmdArgs("-c", "fsync=off", "-c", "max_connections=200"),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{
				network.MustParsePort("5432/tcp"): []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: port}},
			}
		}),
	)
	if c != nil {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_ = c.Terminate(ctx)
		})
	}
	if err != nil {
		if dbtest.InCI() {
			t.Fatalf("PostgreSQL container could not start (required when CI=true): %v", err)
		}
		t.Skipf("fault test skipped: no Docker engine here (%v); CI runs it", strings.SplitN(err.Error(), "\n", 2)[0])
	}
	return c, "postgres://kontor:kontor@127.0.0.1:" + port + "/kontor?sslmode=disable"
}

// faultAnswer is one HTTP answer a client got.
type faultAnswer struct {
	status     int
	code       string
	retryAfter string
	problem    bool
	body       string
}

func faultCall(hc *http.Client, method, url, token string, body []byte, headers ...string) (faultAnswer, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return faultAnswer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := hc.Do(req)
	if err != nil {
		return faultAnswer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return faultAnswer{}, err
	}
	a := faultAnswer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After"), body: string(b)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		var p struct {
			Code string `json:"code"`
		}
		a.problem = json.Unmarshal(b, &p) == nil
		a.code = p.Code
	}
	return a, nil
}

// TestPostgresRestartUnderIdempotentWrites holds issue 10 items 17 to 19. Four
// clients record deposits, each retrying its request with the same Idempotency-Key
// until it is accepted, while PostgreSQL is stopped and started again. The outage must
// be answered with 503 service_unavailable problems carrying Retry-After (never a
// 500), readiness must report it, the service must recover by itself, every accepted
// write must be in the ledger exactly once, and no key may be left running.
func TestPostgresRestartUnderIdempotentWrites(t *testing.T) {
	pg, url := restartablePostgres(t)
	inst := harness.Start(t, harness.Options{Env: map[string]string{
		"KONTOR_DATABASE_URL":      url,
		"KONTOR_IDEMPOTENCY_LEASE": "3s",
	}})
	t.Logf("kontor at %s on its own restartable PostgreSQL", inst.BaseURL)
	a := newAPI(inst, loadContract(t, inst), false)
	email := newEmail("fault")
	register(t, a, "Fault Tolerant", email)
	token := login(t, a, email).AccessToken
	var acct struct {
		ID string `json:"id"`
	}
	a.with(token).post(t, "/api/v1/accounts", map[string]any{"name": "Ledger", "account_type": "checking", "currency": "USD"}).
		Expect(t, http.StatusCreated).JSON(t, &acct)

	hc := &http.Client{Timeout: 60 * time.Second}
	var (
		mu       sync.Mutex
		statuses = map[int]int{} // every answer to a write, by status
		outage   = map[int]int{} // answers while the database was down or restarting
		accepted = map[string]string{}
		failures []string
	)
	var down atomic.Bool
	stop := make(chan struct{})
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	var wg sync.WaitGroup
	for client := range faultClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("fault-%d-%d", client, i)
				body, _ := json.Marshal(map[string]any{"type": "deposit", "amount": "1.00", "description": key})
				deadline := time.Now().Add(90 * time.Second)
				for {
					if time.Now().After(deadline) {
						fail("%s: never accepted within 90 s", key)
						return
					}
					ans, err := faultCall(hc, http.MethodPost, inst.BaseURL+"/api/v1/accounts/"+acct.ID+"/transactions", token, body, "Idempotency-Key", key)
					if err != nil {
						fail("%s: transport error: %v", key, err)
						return
					}
					mu.Lock()
					statuses[ans.status]++
					if down.Load() {
						outage[ans.status]++
					}
					mu.Unlock()
					switch {
					case ans.status == http.StatusCreated:
						var tx struct {
							ID          string `json:"id"`
							Description string `json:"description"`
						}
						if err := json.Unmarshal([]byte(ans.body), &tx); err != nil || tx.Description != key {
							fail("%s: accepted with body %s", key, ans.body)
							return
						}
						mu.Lock()
						accepted[key] = tx.ID
						mu.Unlock()
					case ans.status == http.StatusServiceUnavailable:
						if !ans.problem || ans.code != "service_unavailable" || ans.retryAfter == "" {
							fail("%s: 503 without a service_unavailable problem and Retry-After: %q %s", key, ans.retryAfter, ans.body)
							return
						}
						time.Sleep(100 * time.Millisecond) // a hurried client; Retry-After says 2 s
						continue
					case ans.status == http.StatusConflict && ans.code == "idempotency_request_in_progress":
						time.Sleep(200 * time.Millisecond)
						continue
					default:
						fail("%s: unexpected answer %d %s", key, ans.status, ans.body)
						return
					}
					break
				}
			}
		}()
	}

	ready := func() int {
		res, err := hc.Get(inst.BaseURL + "/readyz")
		if err != nil {
			t.Fatalf("readyz: %v", err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	waitFor := func(what string, status int) {
		deadline := time.Now().Add(2 * time.Minute)
		for ready() != status {
			if time.Now().After(deadline) {
				t.Fatalf("readyz never answered %d %s", status, what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	acceptedNow := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(accepted)
	}
	// Writes flow before the outage.
	for acceptedNow() < 40 {
		time.Sleep(50 * time.Millisecond)
	}

	ctx := context.Background()
	down.Store(true)
	// Sessions in flight are ended as an administrator would ("terminating connection
	// due to administrator command"), then the server stops.
	if admin, err := database.OpenPostgres(url); err == nil {
		_, _ = admin.ExecContext(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = 'kontor'")
		_ = admin.Close()
	}
	stopTimeout := 5 * time.Second
	if err := pg.Stop(ctx, &stopTimeout); err != nil {
		t.Fatalf("stop PostgreSQL: %v", err)
	}
	waitFor("while PostgreSQL is stopped", http.StatusServiceUnavailable)
	time.Sleep(2 * time.Second) // the clients keep trying against a stopped database
	if err := pg.Start(ctx); err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	waitFor("after PostgreSQL is back", http.StatusOK)
	down.Store(false)
	// Recovery: writes flow again without anyone restarting Kontor.
	after := acceptedNow()
	for acceptedNow() < after+40 {
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if len(failures) > 0 {
		t.Fatalf("clients failed:\n%s", strings.Join(failures, "\n"))
	}
	t.Logf("writes accepted: %d; answers to writes by status: %v; during the outage: %v", len(accepted), statuses, outage)
	if statuses[http.StatusInternalServerError] > 0 {
		t.Fatalf("%d answers were 500", statuses[http.StatusInternalServerError])
	}
	if outage[http.StatusServiceUnavailable] == 0 {
		t.Fatalf("no write met the outage (answers during it: %v); the test proves nothing", outage)
	}

	// Every accepted write is in the ledger exactly once, and nothing else is.
	seen := map[string]int{}
	cursor := ""
	for {
		path := "/api/v1/accounts/" + acct.ID + "/transactions?limit=200"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		var page struct {
			Transactions []struct {
				ID          string `json:"id"`
				Description string `json:"description"`
			} `json:"transactions"`
			NextCursor *string `json:"next_cursor"`
			HasMore    bool    `json:"has_more"`
		}
		a.with(token).get(t, path).Expect(t, http.StatusOK).JSON(t, &page)
		for _, tx := range page.Transactions {
			seen[tx.Description]++
			if id, ok := accepted[tx.Description]; ok && id != tx.ID {
				t.Errorf("%s: ledger row %s, but the client was given %s", tx.Description, tx.ID, id)
			}
		}
		if !page.HasMore || page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	var dup, missing, extra []string
	for key := range accepted {
		switch seen[key] {
		case 1:
		case 0:
			missing = append(missing, key)
		default:
			dup = append(dup, key)
		}
	}
	for key := range seen {
		if _, ok := accepted[key]; !ok {
			extra = append(extra, key)
		}
	}
	sort.Strings(dup)
	sort.Strings(missing)
	sort.Strings(extra)
	if len(dup)+len(missing)+len(extra) > 0 {
		t.Fatalf("ledger disagrees with the accepted writes: duplicated %v, missing %v, never accepted %v", dup, missing, extra)
	}
	var account struct {
		Balance string `json:"balance_amount"`
	}
	a.with(token).get(t, "/api/v1/accounts/"+acct.ID).Expect(t, http.StatusOK).JSON(t, &account)
	if want := fmt.Sprintf("%d.00", len(accepted)); account.Balance != want {
		t.Fatalf("balance %s, want %s", account.Balance, want)
	}

	// No key is stuck: none is left running.
	var stuck int
	if err := inst.DB.QueryRowContext(ctx, "SELECT count(*) FROM idempotency_keys WHERE state = 'running'").Scan(&stuck); err != nil {
		t.Fatal(err)
	}
	t.Logf("keys stuck running: %d", stuck)
	if stuck != 0 {
		t.Fatalf("%d idempotency keys are stuck running", stuck)
	}
}
