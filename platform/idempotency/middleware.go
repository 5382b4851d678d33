package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/database"
)

// The headers of the contract.
const (
	// HeaderKey carries the client's idempotency key.
	HeaderKey = "Idempotency-Key"
	// HeaderReplayed marks a response that was replayed rather than produced afresh.
	HeaderReplayed = "Idempotent-Replayed"
)

// MaxKeyLength is the longest key accepted.
const MaxKeyLength = 255

// storedHeaders are the response headers that matter to a client and so are
// replayed; the rest (request id, rate-limit state, dates) belong to each response.
var storedHeaders = []string{
	fiber.HeaderContentType,
	fiber.HeaderLocation,
	fiber.HeaderETag,
	fiber.HeaderContentDisposition,
}

// storeTimeout bounds the writes that settle a key after the handler ran; they run
// even when the client has gone, or the key would stay running until it expires.
const storeTimeout = 10 * time.Second

// ResponseUnavailable answers a retry whose first request was carried out but whose
// stored answer no longer opens: the server's secret key was rotated without keeping
// the old one in KONTOR_PREVIOUS_SECRET_KEYS. The request is not run again.
var ResponseUnavailable = apperr.Register("idempotency_response_unavailable", http.StatusConflict, "Stored answer unavailable")

// Middleware honours Idempotency-Key on POST, PATCH and DELETE. The first request
// with a key runs and its final response, error responses included, is stored; a
// retry with the same key and the same method, path and body gets it replayed with
// Idempotent-Replayed: true. The same key on a different request is refused with
// IdempotencyKeyReused, and a retry while the first still runs with
// IdempotencyInProgress. Responses with a 5xx status are not stored, so that the
// client may retry them. The running request renews its lease on the key; if it dies
// without settling the key (the database dropped under it, say), a retry takes the
// key over once the lease has lapsed, and the dead request's answer is never stored. Keys are scoped to the authenticated user, or to the client
// IP when there is none. Requests without the header pass through untouched.
func Middleware(s *Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		switch c.Method() {
		case fiber.MethodPost, fiber.MethodPatch, fiber.MethodDelete:
		default:
			return c.Next()
		}
		key, present := keyOf(c)
		if !present {
			return c.Next()
		}
		if !validKey(key) {
			return apperr.New(apperr.BadRequest,
				"The %s header must be 1 to %d printable ASCII characters.", HeaderKey, MaxKeyLength)
		}
		req := requestOf(c, key)
		rec, started, err := s.Begin(c.UserContext(), req, s.now())
		if err != nil {
			// Fail closed: running a payment twice is worse than refusing it once.
			return apperr.Wrap(err, "idempotency key could not be claimed")
		}
		if !started {
			return replay(c, rec, req)
		}
		return run(c, s, req, rec.Owner)
	}
}

// keyOf returns the Idempotency-Key header and whether the request carries one at
// all, so that an empty header is refused rather than ignored.
func keyOf(c *fiber.Ctx) (string, bool) {
	var (
		value   []byte
		present bool
	)
	c.Request().Header.VisitAll(func(k, v []byte) {
		if !present && bytes.EqualFold(k, []byte(HeaderKey)) {
			value, present = v, true
		}
	})
	return string(value), present
}

// validKey reports whether key is 1 to MaxKeyLength printable ASCII characters.
func validKey(key string) bool {
	if len(key) < 1 || len(key) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// requestOf describes the request: its scope, and a hash of method, path with query,
// and body. The NUL separators cannot occur in a method or a request URI, so no two
// different requests share the hashed bytes.
func requestOf(c *fiber.Ctx, key string) Request {
	scope := "ip:" + c.IP()
	if sub, ok := authn.FromContext(c.UserContext()); ok {
		scope = "user:" + sub.UserID.String()
	}
	method := strings.Clone(c.Method())
	path := string(c.Request().RequestURI())
	h := sha256.New()
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write(c.Body())
	return Request{
		Scope:       scope,
		Key:         key,
		Method:      method,
		Path:        path,
		RequestHash: hex.EncodeToString(h.Sum(nil)),
	}
}

// replay answers a request whose key is already taken.
func replay(c *fiber.Ctx, rec Record, req Request) error {
	if !rec.Matches(req) {
		return apperr.New(apperr.IdempotencyKeyReused,
			"This %s was already used for a different request; use a new key for a new request.", HeaderKey)
	}
	if rec.State != StateCompleted {
		return apperr.New(apperr.IdempotencyInProgress,
			"A request with this %s is still being processed; retry once it has finished.", HeaderKey)
	}
	if rec.Unreadable {
		return apperr.New(ResponseUnavailable,
			"The request with this %s was carried out, but its answer was stored under a secret key this server no longer holds, so it cannot be replayed. Do not send it again: read the resource to see its state.", HeaderKey)
	}
	c.Status(rec.Response.Status)
	for name, value := range rec.Response.Headers {
		c.Set(name, value)
	}
	c.Set(HeaderReplayed, "true")
	return c.Send(rec.Response.Body)
}

// run serves the request that holds the key under owner and settles the key with its
// outcome. While the handler runs, the lease is renewed every third of its length, so
// that only a request whose holder died loses its key to a retry.
//
// On PostgreSQL the handler runs inside one transaction that also stores its answer,
// so the request's writes and its settled key commit together or not at all: a
// connection that drops around the commit can neither leave a write whose key a retry
// would run again, nor a stored answer for a write that was lost. The store's fence
// (the owner token) is checked in that transaction too, so a request whose key was
// taken over rolls its writes back. SQLite runs in-process, where a commit is never
// lost in transit, and keeps one writer at a time, so there the handler runs as is.
func run(c *fiber.Ctx, s *Store, req Request, owner string) error {
	settle, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), storeTimeout)
	defer cancel()
	stopRenewing := renew(c.UserContext(), s, req, owner)
	// Whatever path the request takes (a transaction that never began included),
	// the renewals end with it, or a dead request would hold its key for ever.
	defer stopRenewing()
	settled := false
	defer func() {
		// Reached unsettled only when the handler panicked: release the key so the
		// retry runs, and let the panic go on to the recover middleware.
		if !settled {
			stopRenewing()
			forget(settle, s, req, owner)
		}
	}()

	// serve runs the handler, renders its error as the application would, and returns
	// the response to store, or nil when it is a server error that must not be.
	serve := func() (*Response, error) {
		err := c.Next()
		stopRenewing()
		if err != nil {
			// The stored response must be the one the client sees, so the error is
			// rendered here rather than by the application after us.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				return nil, herr
			}
		}
		status := c.Response().StatusCode()
		if status >= fiber.StatusInternalServerError {
			return nil, nil
		}
		resp := &Response{Status: status, Headers: map[string]string{}, Body: bytes.Clone(c.Response().Body())}
		for _, name := range storedHeaders {
			if v := c.GetRespHeader(name); v != "" {
				resp.Headers[name] = v
			}
		}
		return resp, nil
	}

	if s.db.Dialect == database.Postgres {
		err := runInTx(c, s, req, owner, settle, serve)
		settled = true
		return err
	}

	resp, herr := serve()
	settled = true
	if herr != nil || resp == nil {
		forget(settle, s, req, owner)
		return herr
	}
	if err := s.Complete(settle, req.Scope, req.Key, owner, *resp); err != nil {
		if errors.Is(err, ErrNotHolder) {
			// Our lease lapsed and a retry took the key over: its answer stands.
			slog.WarnContext(settle, "idempotency: the key changed hands while its first request ran; its answer was not stored",
				"key", req.Key)
			return nil
		}
		// The client has its response; a retry will run again rather than be stuck
		// behind a key that stays running.
		slog.ErrorContext(settle, "idempotency: response could not be stored; the key is released",
			"key", req.Key, "error", err.Error())
		forget(settle, s, req, owner)
	}
	return nil
}

// errServerError rolls back the transaction of a request that answered 5xx.
var errServerError = errors.New("idempotency: the request failed on the server's side")

// runInTx serves the request in a transaction that stores its answer before it
// commits; see run.
func runInTx(c *fiber.Ctx, s *Store, req Request, owner string, settle context.Context, serve func() (*Response, error)) error {
	orig := c.UserContext()
	var (
		resp      *Response
		renderErr error
	)
	txErr := s.db.RunInTx(orig, func(ctx context.Context, _ bun.IDB) error {
		c.SetUserContext(ctx)
		resp, renderErr = serve()
		if renderErr != nil {
			return renderErr
		}
		if resp == nil {
			return errServerError
		}
		return s.Complete(ctx, req.Scope, req.Key, owner, *resp)
	})
	c.SetUserContext(orig)
	switch {
	case txErr == nil:
		return nil
	case renderErr != nil:
		forget(settle, s, req, owner)
		return renderErr
	case errors.Is(txErr, errServerError):
		forget(settle, s, req, owner)
		return nil
	case resp == nil:
		// The transaction could not even begin: the handler never ran.
		forget(settle, s, req, owner)
		return apperr.Wrap(txErr, "begin the request's transaction")
	case errors.Is(txErr, ErrNotHolder):
		// A retry took the key over while we ran: our writes are rolled back, and the
		// client learns that the retry is the one that counts.
		slog.WarnContext(settle, "idempotency: the key changed hands while its first request ran; its writes were rolled back",
			"key", req.Key)
		return rerender(c, apperr.New(apperr.IdempotencyInProgress,
			"A later request with this %s took it over; retry to get its answer.", HeaderKey))
	case resp.Status >= fiber.StatusMultipleChoices:
		// A refusal whose transaction could not commit (a failed statement aborted
		// it, say): the refusal stands, and is stored outside the transaction.
		if err := s.Complete(settle, req.Scope, req.Key, owner, *resp); err != nil && !errors.Is(err, ErrNotHolder) {
			forget(settle, s, req, owner)
		}
		return nil
	default:
		// The writes did not commit, or their commit was not confirmed; in the latter
		// case the key committed with them and a retry replays the answer. Either
		// way the client must retry rather than be told of a success.
		forget(settle, s, req, owner)
		return rerender(c, apperr.Wrap(txErr, "commit the request"))
	}
}

// rerender replaces a response rendered inside a transaction that then failed.
func rerender(c *fiber.Ctx, err error) error {
	c.Response().ResetBody()
	for _, name := range storedHeaders {
		c.Response().Header.Del(name)
	}
	return c.App().ErrorHandler(c, err)
}

// renew keeps owner's lease on the key fresh until the returned stop is called.
func renew(ctx context.Context, s *Store, req Request, owner string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(max(s.lease/3, time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
				err := s.Renew(rctx, req.Scope, req.Key, owner, s.now())
				cancel()
				if errors.Is(err, ErrNotHolder) {
					return
				}
				if err != nil {
					slog.WarnContext(ctx, "idempotency: lease could not be renewed", "key", req.Key, "error", err.Error())
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-finished
		})
	}
}

func forget(ctx context.Context, s *Store, req Request, owner string) {
	if err := s.Forget(ctx, req.Scope, req.Key, owner); err != nil {
		slog.ErrorContext(ctx, "idempotency: key could not be released; a retry takes it over once its lease lapses",
			"key", req.Key, "error", err.Error())
	}
}
