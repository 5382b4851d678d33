package logging

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx/fxtest"

	"github.com/kontor-app/kontor/platform/config"
)

// syncBuffer is a bytes.Buffer safe for the flusher goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestBufferedWriterHoldsLinesUntilFlushOrClose(t *testing.T) {
	var out syncBuffer
	b := newBufferedWriter(&out, time.Hour)
	_, _ = b.Write([]byte("one\n"))
	if out.String() != "" {
		t.Fatalf("written before a flush: %q", out.String())
	}
	if err := b.Flush(); err != nil || out.String() != "one\n" {
		t.Fatalf("after Flush: %q, %v", out.String(), err)
	}
	_, _ = b.Write([]byte(strings.Repeat("x", flushSize)))
	if len(out.String()) != 4+flushSize {
		t.Fatalf("a full buffer was not written: %d bytes", len(out.String()))
	}
	_, _ = b.Write([]byte("two\n"))
	if err := b.Close(); err != nil || !strings.HasSuffix(out.String(), "two\n") {
		t.Fatalf("after Close: %v", err)
	}
	_, _ = b.Write([]byte("three\n"))
	if !strings.HasSuffix(out.String(), "three\n") {
		t.Fatal("a write after Close was not written through")
	}
}

func TestBufferedWriterFlushesOnItsOwn(t *testing.T) {
	var out syncBuffer
	b := newBufferedWriter(&out, time.Millisecond)
	defer b.Close()
	_, _ = b.Write([]byte("line\n"))
	deadline := time.Now().Add(10 * time.Second)
	for out.String() != "line\n" {
		if time.Now().After(deadline) {
			t.Fatal("the ticker never flushed")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestNewBufferedWritesWarningsAtOnceAndTheRestOnStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lc := fxtest.NewLifecycle(t)
	log := NewBuffered(lc, config.Config{LogLevel: "info", LogFormat: "json"}, f)
	read := func() string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	log.Info("request", "path", "/a")
	if got := read(); got != "" && !strings.Contains(got, `"path":"/a"`) {
		t.Fatalf("unexpected output %q", got)
	}
	log.With("component", "x").Warn("careful")
	if got := read(); !strings.Contains(got, `"path":"/a"`) || !strings.Contains(got, `"careful"`) {
		t.Fatalf("a warning did not flush the buffer: %q", got)
	}
	log.Info("last")
	lc.RequireStart()
	lc.RequireStop()
	if got := read(); !strings.Contains(got, `"last"`) {
		t.Fatalf("stopping did not flush: %q", got)
	}

	// Any writer other than a file gets each line at once.
	var buf syncBuffer
	NewBuffered(fxtest.NewLifecycle(t), config.Config{LogLevel: "info"}, &buf).Info("now")
	if !strings.Contains(buf.String(), "now") {
		t.Fatalf("a buffer got %q", buf.String())
	}
}
