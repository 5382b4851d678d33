package events

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/httpserver"
)

// sseServer serves Stream.Handle on a real listener as user (no auth layer: the
// header X-Test-User names the caller).
type sseServer struct {
	url string
	app *fiber.App
	bus *Bus
	db  *database.DB
}

func newSSEServer(t *testing.T, heartbeat time.Duration) *sseServer {
	t.Helper()
	db := dbtest.NewSQLite(t)
	bus := NewBus(NewLog(db), quiet, 20*time.Millisecond)
	if err := bus.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	app := fiber.New(fiber.Config{ErrorHandler: httpserver.NewErrorHandler(quiet), DisableStartupMessage: true})
	stream := NewStream(bus, heartbeat, quiet)
	app.Get("/api/v1/events", func(c *fiber.Ctx) error {
		if id, err := uuid.Parse(c.Get("X-Test-User")); err == nil {
			c.SetUserContext(authn.WithSubject(c.UserContext(), authn.Subject{UserID: id}))
		}
		return c.Next()
	}, stream.Handle)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	return &sseServer{url: "http://" + ln.Addr().String() + "/api/v1/events", app: app, bus: bus, db: db}
}

// sseClient reads one stream.
type sseClient struct {
	t      *testing.T
	res    *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
}

type message struct {
	id, event, data string
	comment         string
}

func (s *sseServer) open(t *testing.T, user uuid.UUID, query string, header ...string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+query, nil)
	req.Header.Set("X-Test-User", user.String())
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	c := &sseClient{t: t, res: res, r: bufio.NewReader(res.Body), cancel: cancel}
	t.Cleanup(c.close)
	return c
}

func (c *sseClient) close() { c.cancel(); _ = c.res.Body.Close() }

// next returns the next message or comment block; io.EOF when the stream ended.
func (c *sseClient) next() (message, error) {
	var m message
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return m, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if m != (message{}) {
				return m, nil
			}
		case strings.HasPrefix(line, ":"):
			m.comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "id: "):
			m.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			m.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			m.data = line[6:]
		case strings.HasPrefix(line, "retry: "):
		default:
			c.t.Fatalf("unexpected stream line %q", line)
		}
	}
}

// nextEvent skips comments and returns the next event.
func (c *sseClient) nextEvent() message {
	c.t.Helper()
	for {
		m, err := c.next()
		if err != nil {
			c.t.Fatalf("stream ended: %v", err)
		}
		if m.event != "" {
			return m
		}
	}
}

func (c *sseClient) expectEvent(want Event) {
	c.t.Helper()
	m := c.nextEvent()
	if m.id != strconv.FormatInt(want.ID, 10) || m.event != string(want.Type) {
		c.t.Fatalf("got id %s event %s, want id %d event %s", m.id, m.event, want.ID, want.Type)
	}
	var data map[string]any
	if err := json.Unmarshal([]byte(m.data), &data); err != nil {
		c.t.Fatalf("data %q: %v", m.data, err)
	}
	if data["type"] != string(want.Type) || data["user_id"] != want.UserID.String() {
		c.t.Fatalf("data %s does not describe event %+v", m.data, want)
	}
}

// TestStreamServesLiveReplayAndHeartbeats drives GET /events over HTTP: headers,
// live events of the caller only, heartbeats, replay by Last-Event-ID (header and
// query), a bad Last-Event-ID, a client that goes away, and shutdown.
func TestStreamServesLiveReplayAndHeartbeats(t *testing.T) {
	srv := newSSEServer(t, 100*time.Millisecond)
	alice, bob := uuid.New(), uuid.New()

	live := srv.open(t, alice, "")
	if live.res.StatusCode != http.StatusOK || !strings.HasPrefix(live.res.Header.Get("Content-Type"), "text/event-stream") ||
		live.res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("status %d, headers %v", live.res.StatusCode, live.res.Header)
	}
	if m, err := live.next(); err != nil || m.comment != "connected" {
		t.Fatalf("first block = %+v, %v; want the connected comment", m, err)
	}
	waitSubs(t, srv.bus, 1)
	e1 := publishTx(t, srv.db, srv.bus, Event{Type: AccountSyncAttempted, UserID: alice, ConnectionID: uuid.New()})
	publishTx(t, srv.db, srv.bus, Event{Type: AccountSyncAttempted, UserID: bob})
	e3 := publishTx(t, srv.db, srv.bus, Event{Type: AccountSyncSucceeded, UserID: alice, Data: map[string]any{"created": 2}})
	live.expectEvent(e1)
	live.expectEvent(e3) // bob's event is not alice's
	heartbeats := 0
	for heartbeats < 2 {
		m, err := live.next()
		if err != nil {
			t.Fatal(err)
		}
		if m.event != "" {
			t.Fatalf("unexpected event %+v", m)
		}
		if m.comment == "heartbeat" {
			heartbeats++
		}
	}

	// Replay from the header, then live.
	replayed := srv.open(t, alice, "", "Last-Event-ID", strconv.FormatInt(e1.ID, 10))
	replayed.expectEvent(e3)
	waitSubs(t, srv.bus, 2)
	e4 := publishTx(t, srv.db, srv.bus, Event{Type: AccountBalanceUpdated, UserID: alice})
	replayed.expectEvent(e4)
	live.expectEvent(e4)
	// The query parameter does the same; 0 replays everything.
	fromZero := srv.open(t, alice, "?last_event_id=0")
	fromZero.expectEvent(e1)
	fromZero.expectEvent(e3)
	fromZero.expectEvent(e4)

	for _, bad := range []string{"?last_event_id=abc", "?last_event_id=-1"} {
		res := srv.open(t, alice, bad)
		body, _ := io.ReadAll(res.r)
		if res.res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"invalid_parameter"`) {
			t.Fatalf("%s: status %d body %s, want 400 invalid_parameter", bad, res.res.StatusCode, body)
		}
	}
	noUser := srv.open(t, uuid.Nil, "")
	if noUser.res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a subject: status %d, want 401", noUser.res.StatusCode)
	}

	// A client that leaves is noticed at the next write (a heartbeat at the latest)
	// and its subscription released.
	waitSubs(t, srv.bus, 3)
	fromZero.close()
	waitSubs(t, srv.bus, 2)

	// Closing the bus (the shutdown hook) ends the open streams, so the server's
	// graceful shutdown has nothing to wait for.
	if err := srv.bus.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*sseClient{live, replayed} {
		for {
			m, err := c.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("stream ended with %v, want a clean end", err)
			}
			if m.event != "" {
				t.Fatalf("event after close: %+v", m)
			}
		}
	}
	done := make(chan error, 1)
	go func() { done <- srv.app.ShutdownWithTimeout(20 * time.Second) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("shutdown waited on the event streams")
	}
}

func waitSubs(t *testing.T, b *Bus, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for b.subscribers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers, want %d", b.subscribers(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
