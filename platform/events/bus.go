package events

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/platform/database"
)

// SubscriptionBuffer is how many events a subscriber may fall behind before the Bus
// drops it (ErrSlowSubscriber); it can resume from the log with Replay.
const SubscriptionBuffer = 256

// pollBatch is how many rows one read of the log takes at most.
const pollBatch = 500

// Why a subscription's channel was closed.
var (
	// ErrClosed: the Bus stopped (the application is shutting down).
	ErrClosed = errors.New("event bus closed")
	// ErrSlowSubscriber: the subscriber fell SubscriptionBuffer events behind.
	ErrSlowSubscriber = errors.New("event subscriber too slow")
)

// Bus publishes events into the log and delivers committed ones, in id order, to
// this process's subscribers, whichever instance published them (see the package
// documentation).
type Bus struct {
	log      *Log
	logger   *slog.Logger
	interval time.Duration

	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	last   int64
	closed bool

	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	started bool
}

// NewBus returns a Bus over log that reads it every pollInterval (500 ms when 0)
// once started.
func NewBus(log *Log, logger *slog.Logger, pollInterval time.Duration) *Bus {
	if pollInterval <= 0 {
		pollInterval = 500 * time.Millisecond
	}
	return &Bus{
		log:      log,
		logger:   logger,
		interval: pollInterval,
		subs:     map[*Subscription]struct{}{},
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// Log returns the bus's event log.
func (b *Bus) Log() *Log { return b.log }

// Publish appends e to the log in db, the transaction of the change it reports (see
// Log.Append), and has the Bus read the log as soon as that transaction commits
// (when it comes from database.RunInTx; otherwise at the next poll). It returns e
// with its ID and OccurredAt. A rolled-back transaction publishes nothing.
func (b *Bus) Publish(ctx context.Context, db bun.IDB, e Event) (Event, error) {
	e, err := b.log.Append(ctx, db, e)
	if err != nil {
		return Event{}, err
	}
	database.AfterCommit(ctx, b.Wake)
	return e, nil
}

// Replay returns up to limit of user's events after afterID from the log, oldest
// first (everyone's when user is uuid.Nil).
func (b *Bus) Replay(ctx context.Context, user uuid.UUID, afterID int64, limit int) ([]Event, error) {
	return b.log.After(ctx, user, afterID, limit)
}

// Wake asks the Bus to read the log now rather than at the next poll.
func (b *Bus) Wake() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Start remembers the log's last id and starts reading it: subscribers receive the
// events committed from now on.
func (b *Bus) Start(ctx context.Context) error {
	last, err := b.log.LastID(ctx)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.last = last
	b.started = true
	b.mu.Unlock()
	go b.run()
	return nil
}

// Close stops reading the log and closes every subscription with ErrClosed, which
// ends the open event streams. It waits for a read in progress.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	started := b.started
	for s := range b.subs {
		s.closeLocked(ErrClosed)
	}
	b.mu.Unlock()
	close(b.stop)
	if started {
		<-b.done
	}
	return nil
}

func (b *Bus) run() {
	defer close(b.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-b.stop
		cancel()
	}()
	ticker := time.NewTicker(b.interval)
	defer ticker.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-ticker.C:
		case <-b.wake:
		}
		if err := b.poll(ctx); err != nil && ctx.Err() == nil {
			b.logger.WarnContext(ctx, "read event log", "error", err.Error())
		}
	}
}

// poll delivers every event after the last one delivered.
func (b *Bus) poll(ctx context.Context) error {
	for {
		b.mu.Lock()
		last := b.last
		b.mu.Unlock()
		evs, err := b.log.After(ctx, uuid.Nil, last, pollBatch)
		if err != nil {
			return err
		}
		b.mu.Lock()
		for _, e := range evs {
			if e.ID <= b.last {
				continue
			}
			b.last = e.ID
			for s := range b.subs {
				s.offer(e)
			}
		}
		b.mu.Unlock()
		if len(evs) < pollBatch {
			return nil
		}
	}
}

// Subscribe returns a subscription to the events of user (of every user when user is
// uuid.Nil) committed from now on, delivered in id order. Close it when done.
func (b *Bus) Subscribe(user uuid.UUID) *Subscription {
	s := &Subscription{bus: b, user: user, ch: make(chan Event, SubscriptionBuffer)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		s.closeLocked(ErrClosed)
		return s
	}
	b.subs[s] = struct{}{}
	return s
}

// Subscription receives events from a Bus.
type Subscription struct {
	bus    *Bus
	user   uuid.UUID
	ch     chan Event
	err    error
	closed bool
}

// C delivers the events. It is closed when the subscription ends: Err says why.
func (s *Subscription) C() <-chan Event { return s.ch }

// Err returns why C was closed (ErrClosed, ErrSlowSubscriber), or nil while open or
// after Close.
func (s *Subscription) Err() error {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	return s.err
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	s.closeLocked(nil)
}

func (s *Subscription) closeLocked(err error) {
	if s.closed {
		return
	}
	s.closed = true
	s.err = err
	delete(s.bus.subs, s)
	close(s.ch)
}

// offer hands e to the subscriber, dropping a subscriber whose buffer is full.
func (s *Subscription) offer(e Event) {
	if s.user != uuid.Nil && s.user != e.UserID {
		return
	}
	select {
	case s.ch <- e:
	default:
		s.closeLocked(ErrSlowSubscriber)
	}
}
