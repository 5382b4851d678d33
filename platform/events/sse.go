package events

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
)

// DefaultHeartbeat is the longest silence on a stream before a comment line.
const DefaultHeartbeat = 15 * time.Second

// replayBatch is how many events a replay reads from the log at a time.
const replayBatch = 500

// Stream serves GET /api/v1/events: the caller's events as text/event-stream.
type Stream struct {
	bus       *Bus
	heartbeat time.Duration
	log       *slog.Logger
}

// NewStream returns the handler of the event stream; heartbeat 0 means
// DefaultHeartbeat.
func NewStream(bus *Bus, heartbeat time.Duration, log *slog.Logger) *Stream {
	if heartbeat <= 0 {
		heartbeat = DefaultHeartbeat
	}
	return &Stream{bus: bus, heartbeat: heartbeat, log: log}
}

// Register adds the route under the API_READ policy (bearer authentication, the
// read rate limit, taken once per connection). The app has no ETag, compression or
// body-buffering middleware on this path, and the access log and metrics only read
// a streamed body's declared length.
func (s *Stream) Register(r *httpserver.Router) {
	r.APIRead("/events", s.Handle)
}

// Handle answers the request with a stream of the caller's events:
//
//	retry: 3000
//	: connected
//
//	id: 42
//	event: AccountSyncSucceeded
//	data: {"type":"AccountSyncSucceeded","occurred_at":"…","user_id":"…","connection_id":"…",…}
//
// With a Last-Event-ID header (or the last_event_id query parameter) it first
// replays every later event of the user from the log. A ": heartbeat" comment
// follows every heartbeat interval. A client that went away shows up only as a
// failed flush, so the stream ends at the first write error; it also ends when the
// Bus closes at shutdown.
func (s *Stream) Handle(c *fiber.Ctx) error {
	subject, ok := authn.FromContext(c.UserContext())
	if !ok || subject.UserID == uuid.Nil {
		return apperr.New(apperr.Unauthenticated, "Authentication is required.")
	}
	after, resume, err := lastEventID(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	c.Status(fiber.StatusOK)
	user := subject.UserID
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		s.serve(w, user, after, resume)
	})
	return nil
}

// lastEventID reads the resume point: the Last-Event-ID header, else the
// last_event_id query parameter.
func lastEventID(c *fiber.Ctx) (id int64, ok bool, err error) {
	raw, field := strings.TrimSpace(c.Get("Last-Event-ID")), "Last-Event-ID"
	if raw == "" {
		raw, field = strings.TrimSpace(c.Query("last_event_id")), "last_event_id"
	}
	if raw == "" {
		return 0, false, nil
	}
	id, perr := strconv.ParseInt(raw, 10, 64)
	if perr != nil || id < 0 {
		return 0, false, apperr.New(apperr.InvalidParameter, "%s must be the id of an event (a whole number of 0 or more), got %q.", field, raw).
			WithDetails(map[string]any{"parameter": field})
	}
	return id, true, nil
}

// serve writes the stream until the client leaves or the Bus closes.
func (s *Stream) serve(w *bufio.Writer, user uuid.UUID, after int64, resume bool) {
	sub := s.bus.Subscribe(user)
	defer func() { sub.Close() }()
	if _, err := w.WriteString("retry: 3000\n: connected\n\n"); err != nil || w.Flush() != nil {
		return
	}
	sent := after
	send := func(e Event) error {
		payload, err := e.Payload()
		if err != nil {
			s.log.Error("event payload", "event_id", e.ID, "error", err.Error())
			return nil
		}
		var b strings.Builder
		b.WriteString("id: ")
		b.WriteString(strconv.FormatInt(e.ID, 10))
		b.WriteString("\nevent: ")
		b.WriteString(string(e.Type))
		b.WriteString("\ndata: ")
		b.Write(payload)
		b.WriteString("\n\n")
		if _, err := w.WriteString(b.String()); err != nil {
			return err
		}
		sent = e.ID
		return w.Flush()
	}
	// replay writes the log's events after sent; the subscription, opened first,
	// holds what commits meanwhile, and its events up to sent are skipped.
	replay := func() error {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			evs, err := s.bus.Replay(ctx, user, sent, replayBatch)
			cancel()
			if err != nil {
				s.log.Warn("replay events", "error", err.Error())
				return err
			}
			for _, e := range evs {
				if err := send(e); err != nil {
					return err
				}
			}
			if len(evs) < replayBatch {
				return nil
			}
		}
	}
	if resume {
		if replay() != nil {
			return
		}
	}
	ticker := time.NewTicker(s.heartbeat)
	defer ticker.Stop()
	for {
		select {
		case e, ok := <-sub.C():
			if !ok {
				if !errors.Is(sub.Err(), ErrSlowSubscriber) {
					return
				}
				// Fell behind: resubscribe and catch up from the log.
				sub = s.bus.Subscribe(user)
				if replay() != nil {
					return
				}
				continue
			}
			if e.ID <= sent {
				continue
			}
			if send(e) != nil {
				return
			}
		case <-ticker.C:
			if _, err := w.WriteString(": heartbeat\n\n"); err != nil || w.Flush() != nil {
				return
			}
		}
	}
}
