package harness

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// CSRFToken opens path and returns the CSRF token of its forms, as a browser holding
// the page would send it back.
func (c *Client) CSRFToken(t testing.TB, path string) string {
	t.Helper()
	return c.Get(t, path).Expect(t, http.StatusOK).CSRFField(t)
}

// CSRFField returns the value of the page's hidden _csrf form field.
func (r *Response) CSRFField(t testing.TB) string {
	t.Helper()
	m := csrfInput.FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("the page has no CSRF field:\n%s", truncate(r.Body))
	}
	return string(m[1])
}

// PostForm submits a form the way a browser without JavaScript does. A server error
// fails t at once: no form input may produce one.
func (c *Client) PostForm(t testing.TB, path string, v url.Values, headers ...string) *Response {
	t.Helper()
	headers = append([]string{"Content-Type: application/x-www-form-urlencoded"}, headers...)
	res := c.Raw(t, http.MethodPost, path, []byte(v.Encode()), headers...)
	if res.Status >= 500 {
		t.Fatalf("POST %s: server error %d:\n%s", path, res.Status, truncate(res.Body))
	}
	return res
}

// Text returns the body with HTML entities decoded, for matching visible text.
func (r *Response) Text() string { return html.UnescapeString(string(r.Body)) }

// Cookie returns the cookie the response set under name, or nil.
func (r *Response) Cookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var (
	scriptTag    = regexp.MustCompile(`<script[^>]*>`)
	styleAttr    = regexp.MustCompile(`\sstyle=`)
	eventHandler = regexp.MustCompile(`\son[a-z]+=`)
)

// ExpectPage fails t unless the response is an HTML page that keeps to the strict
// Content-Security-Policy: no inline scripts, styles or event handlers.
func (r *Response) ExpectPage(t testing.TB) *Response {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q, want text/html", ct)
	}
	page := string(r.Body)
	for _, tag := range scriptTag.FindAllString(page, -1) {
		if !strings.Contains(tag, "src=") {
			t.Errorf("inline script: %s", tag)
		}
	}
	if strings.Contains(page, "<style") || styleAttr.MatchString(page) {
		t.Error("inline style")
	}
	if m := eventHandler.FindString(page); m != "" {
		t.Errorf("inline event handler %q", m)
	}
	return r
}
