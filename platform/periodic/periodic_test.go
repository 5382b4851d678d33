package periodic_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/fx/fxtest"

	"github.com/kontor-app/kontor/platform/periodic"
)

func TestEveryRunsAtStartRepeatsAndStops(t *testing.T) {
	lc := fxtest.NewLifecycle(t)
	var runs atomic.Int32
	ticked := make(chan struct{}, 10)
	periodic.Every(lc, slog.New(slog.NewTextHandler(io.Discard, nil)), "probe", 5*time.Millisecond, func(ctx context.Context) error {
		runs.Add(1)
		ticked <- struct{}{}
		return errors.New("failures are logged, not fatal")
	})
	lc.RequireStart()
	for i := 0; i < 3; i++ {
		select {
		case <-ticked:
		case <-time.After(5 * time.Second):
			t.Fatalf("run %d did not happen", i+1)
		}
	}
	lc.RequireStop()
	after := runs.Load()
	time.Sleep(30 * time.Millisecond)
	if runs.Load() != after {
		t.Fatalf("job ran after stop (%d then %d runs)", after, runs.Load())
	}
}
