package httpserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestUnknownMethodsAnswerProblems holds the last part of issue 10 item 7: a method
// Fiber does not know (PROPFIND, any token) on a path under /api is answered like a
// known but unserved one, a 405 problem with Allow on a known path and a 404 problem
// elsewhere, with the request id and the security headers, never Fiber's text/plain.
func TestUnknownMethodsAnswerProblems(t *testing.T) {
	app := newServer(t)
	for _, method := range []string{"PROPFIND", "LOCK", "FOO-BAR", http.MethodDelete} {
		req := httptest.NewRequest(method, "/api/v1/probe", nil)
		req.Header.Set("Authorization", "Bearer good")
		res, body := do(t, app, req)
		problem(t, res, body, http.StatusMethodNotAllowed, "method_not_allowed")
		if allow := res.Header.Get("Allow"); !strings.Contains(allow, "POST") || strings.Contains(allow, "UNKNOWN") {
			t.Errorf("%s: Allow %q, want the path's methods", method, allow)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no security headers: %v", method, res.Header)
		}
		res, body = do(t, app, httptest.NewRequest(method, "/api/v1/nowhere", nil))
		problem(t, res, body, http.StatusNotFound, "not_found")
	}
}
