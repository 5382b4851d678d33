package httpserver

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/database"
)

// Problem is an RFC 9457 problem document with Kontor's extensions.
type Problem struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Detail   string              `json:"detail"`
	Instance string              `json:"instance"`
	TraceID  string              `json:"trace_id"`
	Code     apperr.Code         `json:"code"`
	Errors   []apperr.FieldError `json:"errors,omitempty"`
	Details  map[string]any      `json:"details,omitempty"`
}

// ProblemTypeBase prefixes every problem type URI; the path names the code.
const ProblemTypeBase = "https://kontor.dev/problems/"

// fiberCodes maps the router's own errors onto apperr codes.
var fiberCodes = map[int]apperr.Code{
	http.StatusNotFound:                    apperr.NotFound,
	http.StatusMethodNotAllowed:            apperr.MethodNotAllowed,
	http.StatusRequestEntityTooLarge:       apperr.PayloadTooLarge,
	http.StatusUnsupportedMediaType:        apperr.UnsupportedMediaType,
	http.StatusBadRequest:                  apperr.BadRequest,
	http.StatusForbidden:                   apperr.Forbidden,
	http.StatusUnauthorized:                apperr.Unauthenticated,
	http.StatusTooManyRequests:             apperr.RateLimited,
	http.StatusRequestTimeout:              apperr.BadRequest,
	http.StatusRequestHeaderFieldsTooLarge: apperr.HeaderFieldsTooLarge,
	http.StatusRequestURITooLong:           apperr.URITooLong,
}

// UnavailableRetryAfter is the Retry-After, in seconds, of a 503 answered because
// the database cannot be reached: long enough for a restart to be under way, short
// enough that a client retrying as told finds it back soon.
const UnavailableRetryAfter = 2

// unavailable is the problem a request gets while the database cannot serve it.
func unavailable() *apperr.Error {
	return apperr.New(apperr.ServiceUnavailable,
		"The service cannot reach its database for a moment. Retry after the time in Retry-After.").
		WithRetryAfter(UnavailableRetryAfter)
}

// toAppErr turns any error into an *apperr.Error; unknown errors become internal,
// except that an internal error caused by the database being unreachable becomes
// ServiceUnavailable, whichever layer wrapped it.
func toAppErr(err error) *apperr.Error {
	if e, ok := apperr.As(err); ok {
		if e.Code == apperr.Internal && database.IsUnavailable(err) {
			return unavailable()
		}
		return e
	}
	if database.IsUnavailable(err) {
		var fe *fiber.Error
		if !errors.As(err, &fe) {
			return unavailable()
		}
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code, ok := fiberCodes[fe.Code]
		if !ok {
			return apperr.Wrap(err, "unexpected router error")
		}
		msg := fe.Message
		switch code {
		case apperr.NotFound:
			msg = "No resource lives at this address."
		case apperr.MethodNotAllowed:
			msg = "This method is not allowed on this resource."
		case apperr.PayloadTooLarge:
			msg = "The request body is too large."
		case apperr.HeaderFieldsTooLarge:
			msg = "The request head (its URL and headers) is too large."
		case apperr.URITooLong:
			msg = "The request URL is too long."
		case apperr.BadRequest:
			msg = "The request could not be read."
		}
		return apperr.New(code, "%s", msg)
	}
	return apperr.Wrap(err, "unexpected error")
}

// NewErrorHandler returns the one error handler of the application: it renders
// problem+json under /api and an HTML error page elsewhere, and logs internal errors
// once with the request id, never showing their text to the client.
func NewErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return NewErrorHandlerWith(log, false, nil)
}

// NewErrorHandlerWith is NewErrorHandler for a server whose public URL is https
// (secure), which adds Strict-Transport-Security to the security headers, with the
// renderer of the HTML error page (nil: a minimal HTML document). Errors raised
// before routing (a head too large to read, a body over the limit) reach the handler
// without having passed any middleware, so it sets the security headers itself, and
// answers problem+json whenever the request's path could not be read.
func NewErrorHandlerWith(log *slog.Logger, secure bool, page ErrorPageRenderer) fiber.ErrorHandler {
	if page == nil {
		page = plainErrorPage{}
	}
	return func(c *fiber.Ctx, err error) error {
		setSecurityHeaders(c, secure)
		e := toAppErr(err)
		status := apperr.Status(e.Code)
		rid := RequestID(c)
		if rid == "" {
			// Errors raised before routing (e.g. an oversized body) skip the middleware.
			rid = uuid.Must(uuid.NewV7()).String()
			c.Locals(requestIDLocal, rid)
			c.Set(HeaderRequestID, rid)
		}
		message := e.Message
		if e.Code == apperr.ServiceUnavailable {
			log.WarnContext(c.UserContext(), "service unavailable", "request_id", rid, "method", c.Method(), "path", c.Path(), "error", err.Error())
		}
		if e.Code == apperr.Internal {
			log.ErrorContext(c.UserContext(), "internal error", "request_id", rid, "method", c.Method(), "path", c.Path(), "error", err.Error())
			message = "Something went wrong on our side. The problem has been logged; quote the trace id if you report it."
		}
		if e.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(e.RetryAfter))
		}
		if IsAPI(c) || c.Path() == "" || e.Code == apperr.HeaderFieldsTooLarge || e.Code == apperr.URITooLong {
			p := Problem{
				Type:     ProblemTypeBase + string(e.Code),
				Title:    http.StatusText(status),
				Status:   status,
				Detail:   message,
				Instance: c.OriginalURL(),
				TraceID:  rid,
				Code:     e.Code,
				Errors:   e.Fields,
				Details:  e.Details,
			}
			if i := strings.IndexByte(p.Instance, '?'); i >= 0 {
				p.Instance = p.Instance[:i]
			}
			c.Status(status)
			c.Set(fiber.HeaderContentType, "application/problem+json")
			body, merr := problemJSON(p)
			if merr != nil {
				return c.SendStatus(http.StatusInternalServerError)
			}
			return c.Send(body)
		}
		if status == http.StatusUnauthorized && c.Method() == fiber.MethodGet {
			return c.Redirect("/login?next="+urlQueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		return page.RenderErrorPage(c, status, http.StatusText(status), message)
	}
}

// IsAPI reports whether the request addresses the JSON API.
func IsAPI(c *fiber.Ctx) bool {
	p := c.Path()
	return p == "/api" || strings.HasPrefix(p, "/api/")
}
