package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/platform/config"
)

// FlushInterval is how long a line logged to a file may wait in memory.
const FlushInterval = 50 * time.Millisecond

// flushSize is how much a buffered log holds before it writes at once.
const flushSize = 64 << 10

// NewBuffered is New for a server: when w is a file (standard error, a log file),
// lines are collected in memory and written every FlushInterval, so a request's
// access-log line costs no system call of its own while the handler's lock is held
// (at 50 concurrent requests that write, one line each, was the access log's
// whole cost). A line at warn level or above is written at once, with everything
// before it, and the rest when the application stops; a crash may lose at most the
// last FlushInterval of info lines. Any other writer (a test's buffer) gets every
// line as it is logged, as from New.
func NewBuffered(lc fx.Lifecycle, cfg config.Config, w io.Writer) *slog.Logger {
	if _, ok := w.(*os.File); !ok {
		return New(cfg, w)
	}
	b := newBufferedWriter(w, FlushInterval)
	lc.Append(fx.StopHook(b.Close))
	return slog.New(&flushingHandler{Handler: New(cfg, b).Handler(), out: b})
}

// flushingHandler writes out the buffer after each record at warn level or above.
type flushingHandler struct {
	slog.Handler
	out *bufferedWriter
}

func (h *flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.out.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h *flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &flushingHandler{Handler: h.Handler.WithAttrs(attrs), out: h.out}
}

func (h *flushingHandler) WithGroup(name string) slog.Handler {
	return &flushingHandler{Handler: h.Handler.WithGroup(name), out: h.out}
}

// bufferedWriter collects writes and hands them to w in batches: when flushSize is
// reached, every interval, on Flush and on Close; after Close it writes through.
type bufferedWriter struct {
	mu     sync.Mutex
	w      io.Writer
	buf    []byte
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

func newBufferedWriter(w io.Writer, interval time.Duration) *bufferedWriter {
	b := &bufferedWriter{w: w, buf: make([]byte, 0, flushSize), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = b.Flush()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

// Write keeps p for the next flush.
func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) >= flushSize {
		return len(p), b.flushLocked()
	}
	return len(p), nil
}

// Flush writes out what is buffered.
func (b *bufferedWriter) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *bufferedWriter) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// Close flushes, stops the timer and makes later writes go straight through.
func (b *bufferedWriter) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	err := b.flushLocked()
	b.mu.Unlock()
	close(b.stop)
	<-b.done
	return err
}
