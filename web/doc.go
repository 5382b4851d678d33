// Package web is the UI shell every HTML page of Kontor is built on: the layout
// with its header, navigation, flash messages and footer; shared form, table,
// money and paging components; the friendly error page; the embedded static
// assets; and the helpers that render a templ component into a Fiber response.
//
// Pages are meant to work without JavaScript and under a strict
// Content-Security-Policy: nothing here emits inline scripts, inline styles or
// event-handler attributes, and every asset is served from /static/. Views
// built on this package must keep to the same rules; the stylesheet offers
// classes for what would otherwise be inline style.
//
// A page handler gathers the request's PageMeta and renders its view, which
// wraps its content in Layout:
//
//	app.Get("/accounts", func(c *fiber.Ctx) error {
//		list, err := h.accounts.List(c.UserContext(), ...)
//		if err != nil {
//			return err
//		}
//		return web.Render(c, fiber.StatusOK, accountsPage(web.Meta(c, "Accounts"), list))
//	})
//
//	templ accountsPage(m web.PageMeta, list []Account) {
//		@web.Layout(m) {
//			<h1>Accounts</h1>
//			...
//		}
//	}
//
// A form that succeeds sets a Flash and redirects (POST, redirect, GET); a
// form that fails renders again with a FormErrors summary at its top and the
// Error of each Field that needs fixing. A module describes its form once (a
// Form: the labels of its fields and the error codes it explains) and maps a
// use case's error with Form.ErrorsOf, so every form words its errors alike.
//
// Templates refer to an asset through Asset("css/app.css"), which names its
// content-hashed URL: browsers keep it a year and a new build changes the name.
// htmx is loaded only on a page whose PageMeta sets HTMX.
//
// Classes from web/static/css/app.css that views may use: "num" on table
// cells with figures (right-aligned, tabular), "money--positive" for income,
// "lead" and "eyebrow" for introductory text, "visually-hidden" for text
// only screen readers need, "js-only" for controls that need JavaScript, and
// htmx's "htmx-indicator". Pico CSS styles plain semantic HTML, so most markup
// needs no class at all.
package web
