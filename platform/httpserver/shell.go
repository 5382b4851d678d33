package httpserver

import (
	"html"
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// CSRFLocal is the fiber.Ctx Locals key under which the CSRF middleware stores the
// request's token as a string, for the pages to put into their forms.
const CSRFLocal = "csrf"

// ErrorPageRenderer renders the HTML page of an error answered outside the API. The
// UI shell provides it; the platform declares only what it needs, so that it imports
// no page.
type ErrorPageRenderer interface {
	// RenderErrorPage writes the page for status, with its title and the message a
	// person may read, as the response.
	RenderErrorPage(c *fiber.Ctx, status int, title, message string) error
}

// StaticMount is what the UI shell (or a module) provides into the "static" value
// group to serve files under Prefix. Static files are served before sessions are
// loaded, so an asset request costs no session lookup.
type StaticMount struct {
	Prefix  string
	Handler fiber.Handler
}

// Home is the handler of the home page "/", provided by the UI shell. A module that
// registers its own "/" route (the dashboard) takes precedence, since Home is added
// after every module's routes.
type Home fiber.Handler

// plainErrorPage is the error page of a server built without a UI shell (tests, a
// bare API): a minimal HTML document with the message and the request id.
type plainErrorPage struct{}

// RenderErrorPage writes a minimal HTML error page.
func (plainErrorPage) RenderErrorPage(c *fiber.Ctx, status int, title, message string) error {
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.SendString("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
		html.EscapeString(title) + "</title></head><body><h1>" + strconv.Itoa(status) + " " +
		html.EscapeString(title) + "</h1><p>" + html.EscapeString(message) + "</p><p>Reference: <code>" +
		html.EscapeString(RequestID(c)) + "</code></p></body></html>")
}
