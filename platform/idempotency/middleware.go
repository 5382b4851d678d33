package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
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
func run(c *fiber.Ctx, s *Store, req Request, owner string) error {
	settle, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), storeTimeout)
	defer cancel()
	stopRenewing := renew(c.UserContext(), s, req, owner)
	settled := false
	defer func() {
		// Reached unsettled only when the handler panicked: release the key so the
		// retry runs, and let the panic go on to the recover middleware.
		if !settled {
			stopRenewing()
			forget(settle, s, req, owner)
		}
	}()

	err := c.Next()
	stopRenewing()
	if err != nil {
		// The stored response must be the one the client sees, so the error is
		// rendered here rather than by the application after us.
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			settled = true
			forget(settle, s, req, owner)
			return herr
		}
	}
	settled = true
	status := c.Response().StatusCode()
	if status >= fiber.StatusInternalServerError {
		forget(settle, s, req, owner)
		return nil
	}
	resp := Response{Status: status, Headers: map[string]string{}, Body: bytes.Clone(c.Response().Body())}
	for _, name := range storedHeaders {
		if v := c.GetRespHeader(name); v != "" {
			resp.Headers[name] = v
		}
	}
	if err := s.Complete(settle, req.Scope, req.Key, owner, resp); err != nil {
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
