package web

import (
	"embed"

	"github.com/gofiber/fiber/v2"
)

// Static holds the front-end assets compiled into the binary: the vendored
// Pico CSS and htmx, Kontor's own stylesheet and script, and the icons.
//
//go:embed static
var Static embed.FS

// StaticPrefix is the URL path under which MountStatic serves Static.
const StaticPrefix = "/static"

// staticMaxAge is how long browsers may reuse an asset without asking again.
// The layout appends the build version to Kontor's own assets, so a new
// release is fetched at once despite the cache.
const staticMaxAge = 86400

// MountStatic serves the embedded assets at /static/ on app (tests; the server
// mounts StaticMount through fx). Only GET and HEAD are answered; a missing file
// falls through to the app's next handler, which ends in 404.
func MountStatic(app *fiber.App) {
	m := StaticMount()
	app.Use(m.Prefix, m.Handler)
}
