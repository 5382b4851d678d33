package httpserver

import (
	"github.com/gofiber/fiber/v2"
)

// Mount is what a module provides into the "mounts" value group to serve a
// self-contained Fiber application (the sandbox bank) under Prefix. Mounted
// applications sit after the request id, metrics, access log, recovery and security
// headers but before the pages' session and CSRF middleware: they bring their own
// authentication (OAuth 2.0 for the sandbox bank) and their own error handler. Their
// routes carry the full path, prefix included.
type Mount struct {
	Prefix string
	App    *fiber.App
}

// mount serves m's application for every request under its prefix.
func mount(app *fiber.App, m Mount) {
	h := m.App.Handler()
	app.Use(m.Prefix, func(c *fiber.Ctx) error {
		h(c.Context())
		return nil
	})
}
