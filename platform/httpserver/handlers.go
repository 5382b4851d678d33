package httpserver

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"mime"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/platform/authn"
)

// SubjectHandler is a handler of an authenticated route: it receives the subject
// the route's authentication established.
type SubjectHandler func(c *fiber.Ctx, sub authn.Subject) error

// Authenticated adapts h to a fiber.Handler, so a module's handlers take the
// Subject as a parameter instead of each reading it from the context. A route
// registered through Router.APIRead, APIWrite or Page always has a subject; a
// request without one answers unauthenticated.
func Authenticated(h SubjectHandler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sub, err := authn.MustSubject(c.UserContext())
		if err != nil {
			return err
		}
		return h(c, sub)
	}
}

// QueryValues returns every query parameter of the request with all its values, in
// the order sent, for handlers that read repeatable parameters.
func QueryValues(c *fiber.Ctx) url.Values {
	v := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, val []byte) { v.Add(string(k), string(val)) })
	return v
}

// Download is a response body written while it is sent, such as a statement file.
type Download struct {
	// ContentType is the body's media type.
	ContentType string
	// FileName, when set, makes the body an attachment saved under this name
	// (Content-Disposition, the name quoted and encoded as RFC 6266 asks).
	FileName string
	// Write writes the body. It runs after the handler has returned, with a context
	// that outlives the request's cancellation but keeps its values.
	Write func(ctx context.Context, w io.Writer) error
	// LogAttrs are logged, beside the request id, when Write fails.
	LogAttrs []any
}

// StreamDownload answers 200 with d: its media type, "Cache-Control: private,
// no-store", Content-Disposition when it has a file name, and a body streamed as
// Write produces it. The status and headers are final before Write starts, so an
// error while writing can only cut the body short; it is logged with the request id.
func StreamDownload(c *fiber.Ctx, log *slog.Logger, d Download) {
	c.Set(fiber.HeaderContentType, d.ContentType)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	if d.FileName != "" {
		c.Set(fiber.HeaderContentDisposition, disposition(d.FileName))
	}
	ctx := context.WithoutCancel(c.UserContext())
	rid := RequestID(c)
	c.Status(fiber.StatusOK)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if err := d.Write(ctx, w); err != nil {
			log.ErrorContext(ctx, "download cut short", append([]any{"request_id", rid, "error", err.Error()}, d.LogAttrs...)...)
		}
		_ = w.Flush()
	})
}

// disposition is the Content-Disposition of an attachment named name: the name always
// quoted (attachment; filename="statement-2026-01.csv"), and encoded as RFC 6266
// asks when it holds more than letters, digits, '-', '_', '.' and spaces.
func disposition(name string) string {
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == ' ') {
			return mime.FormatMediaType("attachment", map[string]string{"filename": name})
		}
	}
	return `attachment; filename="` + name + `"`
}
