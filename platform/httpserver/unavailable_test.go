package httpserver_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/httpserver"
)

// refusedError is the real error of dialling a PostgreSQL that is down.
func refusedError(t *testing.T) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	_, err = database.OpenPostgres("postgres://kontor:kontor@" + addr + "/kontor?sslmode=disable")
	if err == nil {
		t.Fatal("connected to a closed port")
	}
	return err
}

type downRoutes struct{ cause error }

func (d downRoutes) Register(r *httpserver.Router) {
	r.APIRead("/probe/db-down", func(c *fiber.Ctx) error { return apperr.Wrap(d.cause, "load user") })
	r.APIWrite(fiber.MethodPost, "/probe/db-down", func(c *fiber.Ctx) error { return d.cause })
	r.PublicPage(fiber.MethodGet, "/db-down", func(c *fiber.Ctx) error { return apperr.Wrap(d.cause, "load page") })
}

// TestDatabaseUnavailableIsA503 holds issue 10 item 17: an unreachable database is
// answered with a 503 service_unavailable problem with Retry-After, never a 500, and
// readiness reports it.
func TestDatabaseUnavailableIsA503(t *testing.T) {
	app, db := newServerWith(t, nil, downRoutes{cause: refusedError(t)})

	for _, method := range []string{http.MethodGet, http.MethodPost} {
		req := httptest.NewRequest(method, "/api/v1/probe/db-down", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer good")
		req.Header.Set("Content-Type", "application/json")
		res, body := do(t, app, req)
		p := problem(t, res, body, http.StatusServiceUnavailable, "service_unavailable")
		if res.Header.Get("Retry-After") == "" {
			t.Fatalf("%s: no Retry-After", method)
		}
		if strings.Contains(p.Detail, "refused") || strings.Contains(string(body), "127.0.0.1") {
			t.Fatalf("%s: the cause leaked: %s", method, body)
		}
	}
	res, body := do(t, app, httptest.NewRequest(http.MethodGet, "/db-down", nil))
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: status %d, Retry-After %q, type %q: %s", res.StatusCode, res.Header.Get("Retry-After"), res.Header.Get("Content-Type"), body)
	}

	// With the database itself gone, the idempotency store cannot claim a key: still
	// a 503, and readiness turns false.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	req := apiPost(`{"name":"a"}`, "application/json")
	req.Header.Set("Idempotency-Key", "k-1")
	res, body = do(t, app, req)
	problem(t, res, body, http.StatusServiceUnavailable, "service_unavailable")
	res, body = do(t, app, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the database closed: %d %s", res.StatusCode, body)
	}
}
