// Package apidocs renders Kontor's OpenAPI document as a readable reference page at
// /docs. The document itself is assembled and served by platform/openapi; the page
// belongs to the UI shell, so the platform imports no page.
package apidocs

import (
	"github.com/gofiber/fiber/v2"
	"go.uber.org/fx"

	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/openapi"
	"github.com/kontor-app/kontor/web"
)

// Module serves the reference page.
var Module = fx.Module("apidocs",
	fx.Provide(fx.Annotate(NewRoutes, fx.ResultTags(`group:"routes"`))),
)

type routes struct{ doc *openapi.Document }

// NewRoutes serves the reference page of doc.
func NewRoutes(doc *openapi.Document) httpserver.Routes { return routes{doc: doc} }

// Register adds GET /docs.
func (r routes) Register(rt *httpserver.Router) {
	rt.PublicPage(fiber.MethodGet, "/docs", func(c *fiber.Ctx) error {
		return web.Render(c, fiber.StatusOK, referencePage(web.Meta(c, "API reference"), r.doc.Parsed, r.doc.Sections()))
	})
}

// str returns v when it is a string, else "".
func str(v any) string {
	s, _ := v.(string)
	return s
}
