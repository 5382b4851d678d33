package harness

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// formSite is a two-page site: a form that posts and redirects to a result page, the
// shape of every Kontor form.
func formSite() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "visited", Value: "yes", Path: "/", HttpOnly: true})
		fmt.Fprint(w, `<!doctype html><html><body><h1 id="title">Form</h1>
<form method="post" action="/submit"><input id="name" name="name" value="old">
<button id="go" type="submit">Go</button></form><p id="hidden" hidden>secret</p></body></html>`)
	})
	mux.HandleFunc("POST /submit", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/done?name="+url.QueryEscape(r.FormValue("name")), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /done", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><html><body><p id="greeting">Hello, %s!</p></body></html>`, html.EscapeString(r.FormValue("name")))
	})
	return mux
}

func TestBrowserDrivesAForm(t *testing.T) {
	srv := httptest.NewServer(formSite())
	t.Cleanup(srv.Close)
	t.Setenv("KONTOR_TEST_ARTIFACTS", t.TempDir())

	b := NewBrowser(t)
	b.BaseURL = srv.URL
	if status := b.Navigate("/"); status != http.StatusOK {
		t.Fatalf("GET / status %d", status)
	}
	if got := b.Text("#title"); got != "Form" {
		t.Fatalf("title %q", got)
	}
	if b.Has("#missing") || !b.Has("#hidden") {
		t.Fatalf("Has reports the wrong elements")
	}
	var visited bool
	for _, c := range b.Cookies() {
		visited = visited || (c.Name == "visited" && c.Value == "yes" && c.HTTPOnly)
	}
	if !visited {
		t.Fatalf("cookie not seen: %+v", b.Cookies())
	}

	b.Fill("#name", "Ada & co")
	if got := b.Value("#name"); got != "Ada & co" {
		t.Fatalf("Fill left %q, want the old value replaced", got)
	}
	if status := b.Submit("#go"); status != http.StatusOK {
		t.Fatalf("submit status %d", status)
	}
	if loc := b.Location(); !strings.HasPrefix(loc, srv.URL+"/done?") {
		t.Fatalf("location %q after submit", loc)
	}
	if got := b.Text("#greeting"); got != "Hello, Ada & co!" {
		t.Fatalf("greeting %q", got)
	}

	png := b.Screenshot("done")
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot is not a PNG")
	}
	path := b.KeepScreenshot("done page")
	if filepath.Base(path) != "TestBrowserDrivesAForm-done_page.png" {
		t.Fatalf("kept screenshot at %q", path)
	}
	if b, err := os.ReadFile(strings.TrimSuffix(path, ".png") + ".html"); err != nil || !bytes.Contains(b, []byte("greeting")) {
		t.Fatalf("kept HTML: %v", err)
	}
}

// failingTB reports a failure and holds cleanups back, so a test can watch what
// NewBrowser leaves behind when a test fails.
type failingTB struct {
	testing.TB
	cleanups []func()
}

func (f *failingTB) Failed() bool        { return true }
func (f *failingTB) Cleanup(fn func())   { f.cleanups = append(f.cleanups, fn) }
func (f *failingTB) Name() string        { return f.TB.Name() + "/failed case" }
func (f *failingTB) Logf(string, ...any) {}
func (f *failingTB) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestBrowserSavesArtifactsWhenATestFails(t *testing.T) {
	srv := httptest.NewServer(formSite())
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	t.Setenv("KONTOR_TEST_ARTIFACTS", dir)

	ft := &failingTB{TB: t}
	b := NewBrowser(ft)
	b.Navigate(srv.URL + "/done?name=Grace")
	ft.runCleanups()

	stem := filepath.Join(dir, "TestBrowserSavesArtifactsWhenATestFails_failed_case")
	png, err := os.ReadFile(stem + ".png")
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("no PNG screenshot after a failure: %v", err)
	}
	page, err := os.ReadFile(stem + ".html")
	if err != nil || !bytes.Contains(page, []byte("Hello, Grace!")) {
		t.Fatalf("no page HTML after a failure: %v", err)
	}
	if _, err := os.Stat(stem + ".log"); err != nil {
		t.Fatalf("no log after a failure: %v", err)
	}
}

func TestChromiumPathHonoursTheEnvironment(t *testing.T) {
	t.Setenv("KONTOR_TEST_CHROMIUM", filepath.Join(t.TempDir(), "no-such-chromium"))
	if p := ChromiumPath(); p != "" {
		t.Fatalf("ChromiumPath() = %q for a missing binary", p)
	}
}
