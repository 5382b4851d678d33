package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.uber.org/fx"

	"github.com/kontor-app/kontor/cmd/kontor/bootstrap"
	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/events"
)

// startWithBus boots the whole application, as the harness does, on databaseURL and
// hands back its event Bus and database, so that a test can publish on it as a
// module of that instance would.
func startWithBus(t *testing.T, databaseURL string) (*events.Bus, *database.DB) {
	t.Helper()
	env := map[string]string{
		"KONTOR_ADDR":                "127.0.0.1:0",
		"KONTOR_SECRET_KEY":          "test-secret-key-0123456789abcdef0123456789abcdef",
		"KONTOR_DATA_DIR":            t.TempDir(),
		"KONTOR_LOG_LEVEL":           "warn",
		"KONTOR_RATE_LIMIT_DISABLED": "true",
		"KONTOR_DATABASE_URL":        databaseURL,
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var (
		bus *events.Bus
		db  *database.DB
	)
	app := fx.New(bootstrap.Options(cfg, io.Discard), fx.NopLogger, fx.Populate(&bus, &db))
	if err := app.Err(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := app.Stop(ctx); err != nil {
			t.Errorf("stop second instance: %v", err)
		}
	})
	return bus, db
}

// eventStream is an open GET /api/v1/events.
type eventStream struct {
	t   *testing.T
	res *http.Response
	r   *bufio.Reader
}

func openEvents(t *testing.T, baseURL, token string, header ...string) *eventStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = res.Body.Close() })
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("GET /api/v1/events: %d %s", res.StatusCode, b)
	}
	return &eventStream{t: t, res: res, r: bufio.NewReader(res.Body)}
}

type sseEvent struct {
	ID   int64
	Type string
	Data map[string]any
}

// next returns the next event (comments are collected, not returned); it fails the
// test if none comes within limit.
func (s *eventStream) next(limit time.Duration) sseEvent {
	s.t.Helper()
	type result struct {
		ev  sseEvent
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var ev sseEvent
		for {
			line, err := s.r.ReadString('\n')
			if err != nil {
				ch <- result{err: err}
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "" && ev.Type != "":
				ch <- result{ev: ev}
				return
			case strings.HasPrefix(line, "id: "):
				ev.ID, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "event: "):
				ev.Type = line[7:]
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(line[6:]), &ev.Data); err != nil {
					ch <- result{err: err}
					return
				}
			}
		}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			s.t.Fatalf("event stream: %v", r.err)
		}
		return r.ev
	case <-time.After(limit):
		s.t.Fatalf("no event within %s", limit)
	}
	return sseEvent{}
}

// waitHeartbeat reads until a heartbeat comment; it fails the test on an event or
// when none comes within limit.
func (s *eventStream) waitHeartbeat(limit time.Duration) {
	s.t.Helper()
	found := make(chan error, 1)
	go func() {
		for {
			line, err := s.r.ReadString('\n')
			if err != nil {
				found <- err
				return
			}
			if strings.HasPrefix(line, "event: ") {
				found <- fmt.Errorf("unexpected %q while waiting for a heartbeat", strings.TrimSpace(line))
				return
			}
			if line == ": heartbeat\n" {
				found <- nil
				return
			}
		}
	}()
	select {
	case err := <-found:
		if err != nil {
			s.t.Fatal(err)
		}
	case <-time.After(limit):
		s.t.Fatalf("no heartbeat within %s", limit)
	}
}

// TestEventReachesAnotherInstancesStream runs two Kontor instances on one PostgreSQL
// database. A user opens the event stream on instance A; instance B publishes an
// event for that user (in a transaction, as a module does) and one for someone
// else. A's stream delivers the user's event, by reading the shared log, and not the
// other; reconnecting to A with Last-Event-ID replays from the log; heartbeats keep
// the stream alive.
func TestEventReachesAnotherInstancesStream(t *testing.T) {
	env := map[string]string{"KONTOR_EVENTS_HEARTBEAT": "500ms"}
	a := harness.Start(t, harness.Options{Engine: harness.Postgres, Env: env})
	busB, dbB := startWithBus(t, a.Config.DatabaseURL)

	ada := a.Register(t, "Ada")
	userID := ada.ID

	stream := openEvents(t, a.BaseURL, ada.AccessToken)
	publish := func(e events.Event) events.Event {
		t.Helper()
		var out events.Event
		err := dbB.RunInTx(context.Background(), func(ctx context.Context, tx bun.IDB) error {
			var err error
			out, err = busB.Publish(ctx, tx, e)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	conn, syncID := uuid.New(), uuid.New()
	// The stream subscribes when its first bytes are written; wait for the
	// "connected" comment that precedes everything else by reading the first
	// heartbeat-or-event, publishing only once the stream is up.
	line, err := stream.r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "retry:") {
		t.Fatalf("stream starts with %q, %v", line, err)
	}
	other := publish(events.Event{Type: events.AccountSyncAttempted, UserID: uuid.New()})
	sent := publish(events.Event{Type: events.AccountSyncSucceeded, UserID: userID, ConnectionID: conn, SyncID: syncID,
		Data: map[string]any{"created": 3, "message": "3 accounts"}})

	got := stream.next(30 * time.Second)
	if got.ID != sent.ID || got.Type != string(events.AccountSyncSucceeded) {
		t.Fatalf("A's stream got %+v, want event %d (%s); another user's event was %d", got, sent.ID, events.AccountSyncSucceeded, other.ID)
	}
	if got.Data["user_id"] != userID.String() || got.Data["connection_id"] != conn.String() || got.Data["sync_id"] != syncID.String() ||
		got.Data["message"] != "3 accounts" || got.Data["occurred_at"] == nil {
		t.Fatalf("event data %v", got.Data)
	}

	// While nothing happens, heartbeats keep the stream open; then the next event.
	stream.waitHeartbeat(30 * time.Second)
	later := publish(events.Event{Type: events.ConnectionStatusChanged, UserID: userID, ConnectionID: conn, Data: map[string]any{"status": "needs_reauth"}})
	if got := stream.next(30 * time.Second); got.ID != later.ID {
		t.Fatalf("got event %d, want %d", got.ID, later.ID)
	}

	// Reconnect to A as an EventSource would, with the first event's id.
	resumed := openEvents(t, a.BaseURL, ada.AccessToken, "Last-Event-ID", strconv.FormatInt(sent.ID, 10))
	if got := resumed.next(30 * time.Second); got.ID != later.ID {
		t.Fatalf("replay after %d gave %d, want %d", sent.ID, got.ID, later.ID)
	}
}
