package web

import (
	"github.com/gofiber/fiber/v2"
	"go.uber.org/fx"

	"github.com/kontor-app/kontor/platform/httpserver"
)

// Module gives the HTTP server what it needs of the UI shell: the HTML error page,
// the static assets and the home page. The platform declares these needs and
// imports no page.
var Module = fx.Module("web",
	fx.Provide(
		func() httpserver.ErrorPageRenderer { return errorPages{} },
		func() httpserver.Home { return home },
		fx.Annotate(StaticMount, fx.ResultTags(`group:"static"`)),
	),
)

// errorPages renders the shell's friendly error page.
type errorPages struct{}

// RenderErrorPage renders ErrorPage in the layout.
func (errorPages) RenderErrorPage(c *fiber.Ctx, status int, title, message string) error {
	return Render(c, status, ErrorPage(Meta(c, title), status, title, message))
}

// home renders the shell's home page, for a server without a dashboard.
func home(c *fiber.Ctx) error {
	return Render(c, fiber.StatusOK, HomePage(Meta(c, "Kontor")))
}
