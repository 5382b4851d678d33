package httpserver_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/platform/httpserver"
)

// TestCSRFTokenNeverFromTheQuery holds part of issue 10 item 8: the token counts from
// the form body (url-encoded or multipart) or the header, never from the query string.
func TestCSRFTokenNeverFromTheQuery(t *testing.T) {
	app := newServer(t)
	cookie := strings.Repeat("a", 43)
	token := httpserver.CSRFToken([]byte(strings.Repeat("k", 40)), cookie)

	req := httptest.NewRequest(http.MethodPost, "/form?_csrf="+url.QueryEscape(token), strings.NewReader("a=b"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: httpserver.CSRFCookie, Value: cookie})
	if res, _ := do(t, app, req); res.StatusCode != http.StatusForbidden {
		t.Fatalf("token in the query string: %d, want 403", res.StatusCode)
	}

	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("_csrf", token)
	_ = w.Close()
	req = httptest.NewRequest(http.MethodPost, "/form", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: httpserver.CSRFCookie, Value: cookie})
	if res, b := do(t, app, req); res.StatusCode != 200 {
		t.Fatalf("multipart form with the token: %d %s", res.StatusCode, b)
	}
}
