package identity

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"go.uber.org/fx"

	"github.com/kontor-app/kontor/modules/identity/internal/app"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/events"
)

// AccessTokensRevoked is the event that tells every instance a user's access
// tokens issued up to its occurred_at are refused (app.Service.RevokeAccessTokens):
// access tokens are checked without reading a row, so each instance keeps the
// refusals in memory and learns of another's through the event log.
const AccessTokensRevoked events.Type = "AccessTokensRevoked"

func init() { events.Register(AccessTokensRevoked) }

// revocationAnnouncer writes AccessTokensRevoked to the event log.
type revocationAnnouncer struct {
	bus *events.Bus
	db  *database.DB
	log *slog.Logger
}

var _ app.RevocationAnnouncer = revocationAnnouncer{}

// AnnounceRevocation appends the event in a transaction of its own: the change
// that asked for it is committed already (a deleted user's events are erased with
// it, so the announcement must come after).
func (r revocationAnnouncer) AnnounceRevocation(ctx context.Context, userID uuid.UUID, at time.Time) {
	_, err := r.bus.Publish(context.WithoutCancel(ctx), r.db.DB, events.Event{Type: AccessTokensRevoked, UserID: userID, OccurredAt: at})
	if err != nil {
		r.log.ErrorContext(ctx, "announce access-token revocation; other instances accept the user's tokens until they expire",
			"user_id", userID.String(), "error", err.Error())
		return
	}
	r.bus.Wake()
}

// revocationCatchUp is how long after start an instance reads the log for
// revocations a second time, to cover the moment between its first read and the
// event bus starting to deliver.
const revocationCatchUp = 5 * time.Second

// followRevocations applies every instance's AccessTokensRevoked to this one's
// service: those of the last AccessTokenTTL from the log when it starts (a token
// revoked while this instance was down is still refused), then each as the event
// bus delivers it.
func followRevocations(lc fx.Lifecycle, bus *events.Bus, svc *app.Service, log *slog.Logger) {
	stop := make(chan struct{})
	done := make(chan struct{})
	catchUp := func(ctx context.Context) {
		list, err := bus.Log().OfType(ctx, AccessTokensRevoked, time.Now().Add(-app.AccessTokenTTL), 100000)
		if err != nil {
			log.WarnContext(ctx, "read access-token revocations", "error", err.Error())
			return
		}
		for _, e := range list {
			svc.ApplyRevocation(e.UserID, e.OccurredAt)
		}
	}
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			sub := bus.Subscribe(uuid.Nil)
			// Before the server takes its first request.
			catchUp(ctx)
			go func() {
				defer close(done)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				go func() {
					<-stop
					cancel()
				}()
				again := time.NewTimer(revocationCatchUp)
				defer again.Stop()
				for {
					select {
					case <-stop:
						sub.Close()
						return
					case <-again.C:
						catchUp(ctx)
					case e, ok := <-sub.C():
						if !ok {
							if sub.Err() == events.ErrClosed {
								return
							}
							// Dropped as a slow subscriber: subscribe again and
							// read what may have been missed from the log.
							sub = bus.Subscribe(uuid.Nil)
							catchUp(ctx)
							continue
						}
						if e.Type == AccessTokensRevoked {
							svc.ApplyRevocation(e.UserID, e.OccurredAt)
						}
					}
				}
			}()
			return nil
		},
		OnStop: func(context.Context) error {
			close(stop)
			<-done
			return nil
		},
	})
}
