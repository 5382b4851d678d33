package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/kontor-app/kontor/web"
)

// renderWithChildren renders c with children as its { children... }.
func renderWithChildren(t *testing.T, c templ.Component, children templ.Component) string {
	t.Helper()
	var b strings.Builder
	if err := c.Render(templ.WithChildren(context.Background(), children), &b); err != nil {
		t.Fatalf("render: %v", err)
	}
	return b.String()
}

// TestFormCard holds the one form shape the pages share: the error summary
// above a POST form with the CSRF field first and the children inside, the
// optional class and aria-labelledby only when given, in a Card with a title.
func TestFormCard(t *testing.T) {
	t.Parallel()
	fields := templ.Raw(`<p>the fields</p>`)

	plain := renderWithChildren(t, web.FormCard(web.FormCardProps{Action: "/settings/profile", CSRFToken: "tok"}), fields)
	if want := `<form method="post" action="/settings/profile"><input type="hidden" name="_csrf" value="tok"><p>the fields</p></form>`; plain != want {
		t.Errorf("plain form:\n got %s\nwant %s", plain, want)
	}

	full := renderWithChildren(t, web.FormCard(web.FormCardProps{Title: "Enter a rate", Errors: []string{"Rate: is required."},
		Action: templ.SafeURL("/rates"), Class: "rates-form", LabelledBy: "new-rate-title", CSRFToken: "tok"}), fields)
	assertContains(t, full, `<article class="card">`, `<h2 class="card__title">Enter a rate</h2>`, `id="form-errors"`, "Rate: is required.",
		`<form method="post" action="/rates" class="rates-form" aria-labelledby="new-rate-title"><input type="hidden" name="_csrf" value="tok"><p>the fields</p></form></article>`)
	if strings.Index(full, `id="form-errors"`) > strings.Index(full, "<form") {
		t.Error("the error summary must come before the form")
	}
}
