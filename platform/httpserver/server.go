// Package httpserver runs Kontor's Fiber application under the fx lifecycle: the
// middleware every request passes, the single error handler, route registration
// with the house policies, and graceful shutdown.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/fx"

	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/idempotency"
	"github.com/kontor-app/kontor/platform/ratelimit"
)

// MaxUploadFile is the largest file an upload may carry (10 MiB). The rule is
// about the file: the handler that takes a file checks the file's own size against
// it (413 above it), so a file of exactly MaxUploadFile is accepted.
const MaxUploadFile = 10 << 20

// MultipartOverhead is the room a request body has beyond MaxUploadFile for the
// multipart framing around that file: boundaries, part headers, the CSRF field.
const MultipartOverhead = 64 << 10

// BodyLimit bounds every request body: an upload of MaxUploadFile with its
// multipart framing fits; JSON bodies are held to MaxJSONBody on top.
const BodyLimit = MaxUploadFile + MultipartOverhead

// Server is the running HTTP server.
type Server struct {
	App  *fiber.App
	cfg  config.Config
	log  *slog.Logger
	addr net.Addr
}

// Addr returns the address the server listens on once started (useful with ":0").
func (s *Server) Addr() string {
	if s.addr == nil {
		return ""
	}
	return s.addr.String()
}

// Params are the server's dependencies.
type Params struct {
	fx.In
	Config config.Config
	Log    *slog.Logger
	// DB is pinged by /readyz; a server without one (handler tests) is never ready.
	DB      *database.DB
	Auth    authn.Authenticator
	Limiter *ratelimit.Limiter
	// Idem stores idempotent replays; without one (handler tests) a request with an
	// Idempotency-Key fails.
	Idem   *idempotency.Store
	Routes []Routes `group:"routes"`
	Mounts []Mount  `group:"mounts"`
	Lc     fx.Lifecycle
	// ErrorPage renders HTML error pages; without one a minimal page is written.
	ErrorPage ErrorPageRenderer `optional:"true"`
	// Statics are the static file trees, served before sessions are loaded.
	Statics []StaticMount `group:"static"`
	// Home answers "/" when no module registered it.
	Home Home `optional:"true"`
}

// New builds the Fiber application with its middleware and every module's routes,
// and ties listening and graceful shutdown to the fx lifecycle.
func New(p Params) (*Server, error) {
	s := &Server{cfg: p.Config, log: p.Log}
	secure := strings.HasPrefix(p.Config.BaseURL, "https://")
	handleErr := NewErrorHandlerWith(p.Log, secure, p.ErrorPage)
	app := fiber.New(fiber.Config{
		AppName:               "Kontor",
		ErrorHandler:          handleErr,
		BodyLimit:             BodyLimit,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          5 * time.Minute,
		IdleTimeout:           2 * time.Minute,
		DisableStartupMessage: true,
		// Values from the request are copied, so handlers may keep them safely.
		Immutable: true,
		// A head larger than this is answered 431 by the one error handler.
		ReadBufferSize: ReadBufferSize,
		// Multipart bodies are parsed by the handlers that take them, after routing,
		// so that a JSON route answers a multipart body with 415 like any other.
		DisablePreParseMultipartForm: true,
		// Routes match case-sensitively, like IsAPI, so /API/V1/... is no API route
		// that is then served with the rules of a page.
		CaseSensitive: true,
		// The client IP (rate limits, login throttles, logs) comes from
		// X-Forwarded-For only when the connection comes from a trusted proxy.
		EnableTrustedProxyCheck: len(p.Config.TrustedProxies) > 0,
		TrustedProxies:          p.Config.TrustedProxies,
		ProxyHeader:             proxyHeader(p.Config),
		EnableIPValidation:      true,
		// Fiber's own methods and a stand-in for every other one (see anyMethod).
		RequestMethods: append(append([]string{}, fiber.DefaultMethods...), unknownMethod),
	})
	anyMethod(app)
	s.App = app

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := NewMetrics(reg)

	app.Use(requestIDMiddleware)
	if secure {
		// Outside the error handler, so that every cookie of every answer is Secure.
		app.Use(secureCookies)
	}
	// Metrics sit outside the access log, which runs the error handler, so they see
	// the final status of failed requests too.
	app.Use(metrics.handler)
	// Outside the access log, which runs the error handler, so error pages are
	// compressed too.
	app.Use(compressPages())
	app.Use(accessLog(p.Log, handleErr))
	app.Use(recover.New(recover.Config{
		EnableStackTrace: true,
		StackTraceHandler: func(c *fiber.Ctx, e any) {
			p.Log.Error("panic", "request_id", RequestID(c), "path", c.Path(), "panic", fmt.Sprint(e))
		},
	}))
	app.Use(securityHeaders(secure))
	app.Use(uriLimit)
	app.Use(textInputs)

	app.Get("/healthz", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	app.Get("/readyz", func(c *fiber.Ctx) error {
		if p.DB == nil {
			// A server built without a database (handler tests) is never ready.
			c.Status(fiber.StatusServiceUnavailable)
			return c.JSON(fiber.Map{"status": "unavailable", "database": "none"})
		}
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		if err := p.DB.PingContext(ctx); err != nil {
			c.Status(fiber.StatusServiceUnavailable)
			return c.JSON(fiber.Map{"status": "unavailable", "database": "unreachable"})
		}
		return c.JSON(fiber.Map{"status": "ok", "database": string(p.DB.Dialect)})
	})
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	for _, st := range p.Statics {
		app.Use(st.Prefix, st.Handler)
	}

	for _, m := range p.Mounts {
		mount(app, m)
	}

	// Pages get the session and CSRF protection; the API authenticates per route.
	loadSession := authn.LoadSession(p.Auth)
	app.Use(func(c *fiber.Ctx) error {
		if IsAPI(c) {
			return c.Next()
		}
		return loadSession(c)
	})
	// A page shown to a logged-in user is theirs alone: no cache may keep it.
	app.Use(func(c *fiber.Ctx) error {
		if _, ok := authn.FromContext(c.UserContext()); ok && !IsAPI(c) {
			c.Set(fiber.HeaderCacheControl, "no-store")
		}
		return c.Next()
	})
	app.Use(csrf{secret: []byte(p.Config.SecretKey), secure: secure}.handler)

	router := newRouter(app, p.Auth, p.Limiter, p.Idem)
	for _, r := range p.Routes {
		r.Register(router)
	}
	// The shell's home page answers "/" unless a module registered its own above.
	if p.Home != nil {
		app.Get("/", fiber.Handler(p.Home))
	}

	p.Lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			ln, err := net.Listen("tcp", p.Config.Addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", p.Config.Addr, err)
			}
			s.addr = ln.Addr()
			go func() {
				if err := app.Listener(ln); err != nil && !errors.Is(err, net.ErrClosed) {
					p.Log.Error("http server stopped", "error", err)
				}
			}()
			dialect := "none"
			if p.DB != nil {
				dialect = string(p.DB.Dialect)
			}
			p.Log.Info("kontor listening", "addr", s.Addr(), "database", dialect, "env", p.Config.Env)
			return nil
		},
		OnStop: func(ctx context.Context) error {
			// In-flight requests finish within the timeout; new connections are refused.
			return app.ShutdownWithTimeout(p.Config.ShutdownTimeout)
		},
	})
	return s, nil
}

// proxyHeader is the header that names the client behind a trusted proxy.
func proxyHeader(cfg config.Config) string {
	if len(cfg.TrustedProxies) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}

// Module provides the HTTP server.
var Module = fx.Module("httpserver", fx.Provide(New))
