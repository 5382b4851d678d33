package web

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
)

// Render writes comp as the HTML response with the given status. It renders
// with the request's user context, so components see the authenticated
// Subject and the request's deadline. If rendering fails, the partial body is
// discarded and the error returned, so the app's error handler can answer with
// a whole page instead of half of one.
func Render(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Status(status)
	if err := comp.Render(c.UserContext(), c.Response().BodyWriter()); err != nil {
		c.Response().ResetBody()
		return err
	}
	return nil
}
