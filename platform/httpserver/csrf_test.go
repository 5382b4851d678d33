package httpserver_test

import (
	"bytes"
	"fmt"
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
	token := httpserver.CSRFToken([]byte(strings.Repeat("k", 40)), cookie, "")

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

// TestFailedBearerCredentialsAreThrottled holds issue 10 item 9: every bearer token
// that does not authenticate counts against the client IP, and once the bucket is
// empty the client is refused with 429 before its credentials are checked, a good one
// included.
func TestFailedBearerCredentialsAreThrottled(t *testing.T) {
	app := newServer(t)
	get := func(token string) (*http.Response, []byte) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/probe/conflict", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return do(t, app, req)
	}
	// A good token does not drain the bucket.
	for range 30 {
		if res, body := get("good"); res.StatusCode != http.StatusConflict {
			t.Fatalf("good token: %d %s", res.StatusCode, body)
		}
	}
	for i := range 20 {
		res, body := get(fmt.Sprintf("kontor_guess%d", i))
		problem(t, res, body, http.StatusUnauthorized, "invalid_token")
	}
	res, body := get("kontor_guess-21")
	problem(t, res, body, http.StatusTooManyRequests, "rate_limited")
	if res.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	res, body = get("good")
	problem(t, res, body, http.StatusTooManyRequests, "rate_limited")
}

// TestCSRFTokenBoundToTheSession holds issue 10 item 8: a token is worth something
// only with the session it was issued for (none before login), so session A cannot
// use B's CSRF cookie and token, and a pre-login token fails once logged in.
func TestCSRFTokenBoundToTheSession(t *testing.T) {
	app := newServer(t)
	key := []byte(strings.Repeat("k", 40))
	cookie := strings.Repeat("b", 43)
	post := func(session, token string) int {
		req := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader("_csrf="+url.QueryEscape(token)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: httpserver.CSRFCookie, Value: cookie})
		if session != "" {
			req.AddCookie(&http.Cookie{Name: "kontor_session", Value: session})
		}
		res, _ := do(t, app, req)
		return res.StatusCode
	}
	mine := httpserver.CSRFToken(key, cookie, "id-good-session")
	if s := post("good-session", mine); s != 200 {
		t.Fatalf("the session's own token: %d", s)
	}
	if s := post("other-session", mine); s != http.StatusForbidden {
		t.Fatalf("another session's cookie and token: %d, want 403", s)
	}
	if s := post("good-session", httpserver.CSRFToken(key, cookie, "")); s != http.StatusForbidden {
		t.Fatalf("a token from before login: %d, want 403", s)
	}
	if s := post("", mine); s != http.StatusForbidden {
		t.Fatalf("a session's token without the session: %d, want 403", s)
	}
}
