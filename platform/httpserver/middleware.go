package httpserver

import (
	"log/slog"
	"regexp"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
)

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-Id"

// requestIDLocal is where the request id lives in fiber's locals; web.Meta reads it.
const requestIDLocal = "requestid"

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:\-]{1,128}$`)

// RequestID returns the id of the request being served.
func RequestID(c *fiber.Ctx) string {
	if s, ok := c.Locals(requestIDLocal).(string); ok {
		return s
	}
	return ""
}

// requestIDMiddleware echoes a well-formed client id or generates a UUIDv7.
func requestIDMiddleware(c *fiber.Ctx) error {
	id := c.Get(HeaderRequestID)
	if !validRequestID.MatchString(id) {
		id = uuid.Must(uuid.NewV7()).String()
	}
	c.Locals(requestIDLocal, id)
	c.Set(HeaderRequestID, id)
	return c.Next()
}

// accessLog writes one structured line per request after the error handler ran.
func accessLog(log *slog.Logger, handle fiber.ErrorHandler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			if herr := handle(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		attrs := []any{
			"method", c.Method(),
			"path", c.Path(),
			"status", status,
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
			"bytes", responseSize(c),
			"request_id", RequestID(c),
			"ip", c.IP(),
		}
		if s, ok := authn.FromContext(c.UserContext()); ok {
			attrs = append(attrs, "user_id", s.UserID.String())
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		log.Log(c.UserContext(), level, "request", attrs...)
		return nil
	}
}

// securityHeaders sets the headers every response carries. The CSP allows no inline
// script or style, so templates may not use them.
func securityHeaders(secure bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		setSecurityHeaders(c, secure)
		return c.Next()
	}
}

// MaxURILength bounds the request target (path and query); longer ones get 414.
const MaxURILength = 8 << 10

// ReadBufferSize is the buffer a request head (request line and headers) must fit
// in; a larger head gets 431.
const ReadBufferSize = 16 << 10

// uriLimit answers 414 for a request target over MaxURILength.
func uriLimit(c *fiber.Ctx) error {
	if len(c.Request().RequestURI()) > MaxURILength {
		return apperr.New(apperr.URITooLong, "The request URL is longer than %d bytes.", MaxURILength)
	}
	return c.Next()
}

// setSecurityHeaders sets the headers every response carries.
func setSecurityHeaders(c *fiber.Ctx, secure bool) {
	{
		h := &c.Response().Header
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
	}
}

// secureCookies marks every cookie of the response Secure, whichever package set
// it, for a server whose public URL is https.
func secureCookies(c *fiber.Ctx) error {
	err := c.Next()
	h := &c.Response().Header
	var insecure []*fasthttp.Cookie
	h.VisitAllCookie(func(_, value []byte) {
		ck := fasthttp.AcquireCookie()
		if ck.ParseBytes(value) == nil && !ck.Secure() {
			insecure = append(insecure, ck)
			return
		}
		fasthttp.ReleaseCookie(ck)
	})
	for _, ck := range insecure {
		ck.SetSecure(true)
		h.SetCookie(ck)
		fasthttp.ReleaseCookie(ck)
	}
	return err
}

// Metrics are the HTTP server's Prometheus collectors.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
}

// NewMetrics registers the HTTP collectors on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kontor_http_requests_total", Help: "HTTP requests served, by method, route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kontor_http_request_duration_seconds", Help: "HTTP request latency by method and route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kontor_http_requests_in_flight", Help: "HTTP requests being served now.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.inflight)
	return m
}

func (m *Metrics) handler(c *fiber.Ctx) error {
	start := time.Now()
	m.inflight.Inc()
	defer m.inflight.Dec()
	err := c.Next()
	// The route pattern (not the raw path) keeps label cardinality bounded.
	route := c.Route().Path
	if c.Response().StatusCode() == fiber.StatusNotFound {
		route = "unmatched"
	}
	m.requests.WithLabelValues(c.Method(), route, strconv.Itoa(c.Response().StatusCode())).Inc()
	m.duration.WithLabelValues(c.Method(), route).Observe(time.Since(start).Seconds())
	return err
}

// responseSize reports the body size without touching a streamed body: reading
// Body() of a stream would buffer a whole statement download in memory.
func responseSize(c *fiber.Ctx) int {
	if c.Response().IsBodyStream() {
		return c.Response().Header.ContentLength() // -1 when chunked
	}
	return len(c.Response().Body())
}
