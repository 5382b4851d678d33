package web

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
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

// MountStatic serves the embedded assets at /static/ with
// "Cache-Control: public, max-age=86400". Only GET and HEAD are answered; a
// missing file falls through to the app's next handler, which ends in 404.
func MountStatic(app *fiber.App) {
	sub, err := fs.Sub(Static, "static")
	if err != nil {
		// fs.Sub fails only for an invalid path, and "static" is a constant.
		panic("web: embedded static directory: " + err.Error())
	}
	app.Use(StaticPrefix, filesystem.New(filesystem.Config{
		Root:   http.FS(sub),
		MaxAge: staticMaxAge,
	}))
}
