package httpserver

import (
	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/idempotency"
	"github.com/kontor-app/kontor/platform/ratelimit"
)

// Routes is what a module provides into the "routes" value group to serve HTTP.
type Routes interface {
	// Register adds the module's routes through r, which applies the house policies.
	Register(r *Router)
}

// Router hands modules the two faces of the application. Every route goes through a
// method that fixes its authentication, rate-limit policy and idempotency, so no
// module can forget one.
type Router struct {
	app     *fiber.App
	api     fiber.Router
	auth    authn.Authenticator
	limiter *ratelimit.Limiter
	idem    fiber.Handler
	// bearer authenticates API routes, counting failed credentials per client IP.
	bearer fiber.Handler
}

func newRouter(app *fiber.App, auth authn.Authenticator, limiter *ratelimit.Limiter, store *idempotency.Store) *Router {
	return &Router{
		app:     app,
		api:     app.Group("/api/v1"),
		auth:    auth,
		limiter: limiter,
		idem:    idempotency.Middleware(store),
		bearer:  authn.RequireBearerGuarded(auth, limiter.FailureGuard(limiter.Policies().AuthFailure, ratelimit.ByIP)),
	}
}

// APIPublic adds an unauthenticated API route under the AUTH policy, keyed by client IP.
func (r *Router) APIPublic(method, path string, h fiber.Handler) {
	r.api.Add(method, path, r.limiter.Handler(r.limiter.Policies().Auth, ratelimit.ByIP), r.idem, h)
}

// APIRead adds an authenticated GET route under the API_READ policy.
func (r *Router) APIRead(path string, h fiber.Handler) {
	r.api.Get(path, r.bearer, r.limiter.Handler(r.limiter.Policies().Read, ratelimit.ByUser), h)
}

// APIWrite adds an authenticated POST, PATCH, PUT or DELETE route under the API_WRITE
// policy, honouring Idempotency-Key.
func (r *Router) APIWrite(method, path string, h fiber.Handler) {
	r.api.Add(method, path, r.bearer, r.limiter.Handler(r.limiter.Policies().Write, ratelimit.ByUser), r.idem, h)
}

// APISync adds an authenticated provider-sync route under the PROVIDER_SYNC policy,
// keyed by key (the user and the connection the request names).
func (r *Router) APISync(method, path string, key func(*fiber.Ctx) string, h fiber.Handler) {
	r.api.Add(method, path, r.bearer, r.limiter.Handler(r.limiter.Policies().Sync, key), r.idem, h)
}

// Page adds a browser route that needs a logged-in user.
func (r *Router) Page(method, path string, h fiber.Handler) {
	r.app.Add(method, path, authn.RequireSession, h)
}

// PublicPage adds a browser route anyone may open; a session, if any, is loaded.
func (r *Router) PublicPage(method, path string, h fiber.Handler) {
	r.app.Add(method, path, h)
}

// LimitedPage adds a public browser route under the AUTH policy (login and register
// forms), keyed by client IP.
func (r *Router) LimitedPage(method, path string, h fiber.Handler) {
	r.app.Add(method, path, r.limiter.Handler(r.limiter.Policies().Auth, ratelimit.ByIP), h)
}

// LimitedForm is LimitedPage for a form that answers its own refusals: when the
// client IP's AUTH bucket is empty, refused renders the 429 (the form again, with
// what was typed and how long to wait) in place of the generic error page. The
// Retry-After header is set before refused runs.
func (r *Router) LimitedForm(method, path string, h fiber.Handler, refused func(c *fiber.Ctx, err *apperr.Error) error) {
	r.app.Add(method, path, r.limiter.HandlerOr(r.limiter.Policies().Auth, ratelimit.ByIP, refused), h)
}

// Raw adds a route with no house policy, for operational endpoints only.
func (r *Router) Raw(method, path string, h ...fiber.Handler) {
	r.app.Add(method, path, h...)
}
