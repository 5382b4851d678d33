package httpserver

import (
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
