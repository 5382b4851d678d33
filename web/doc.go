// Package web is the UI shell every HTML page of Kontor is built on: the layout
// with its header, navigation, flash messages and footer; shared form, table,
// money and paging components; the friendly error page; the embedded static
// assets; and the helpers that render a templ component into a Fiber response.
//
// Pages are meant to work without JavaScript and under a strict
// Content-Security-Policy: nothing here emits inline scripts, inline styles or
// event-handler attributes, and every asset is served from /static/.
package web
