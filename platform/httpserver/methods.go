package httpserver

import (
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// unknownMethod stands in for every request method Fiber does not know (PROPFIND,
// LOCK, any other token). It is a valid method token no route registers.
const unknownMethod = "X-KONTOR-UNKNOWN-METHOD"

// anyMethod makes a request with a method Fiber does not know go through the
// middleware and the router like any other: Fiber would answer it before any
// middleware with a bare text/plain 400, without the security headers, the request
// id or a problem document. Its method is replaced by unknownMethod, which no route
// serves, so a known path answers 405 method_not_allowed with Allow and an unknown
// one 404, each as problem+json under /api and as an error page elsewhere.
func anyMethod(app *fiber.App) {
	known := map[string]bool{}
	for _, m := range app.Config().RequestMethods {
		known[m] = true
	}
	next := app.Server().Handler
	app.Server().Handler = func(ctx *fasthttp.RequestCtx) {
		if !known[string(ctx.Method())] {
			ctx.Request.Header.SetMethod(unknownMethod)
		}
		next(ctx)
	}
}
