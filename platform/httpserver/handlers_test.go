package httpserver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
)

func TestAuthenticatedHandsTheSubjectOver(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		return c.Status(apperr.Status(apperr.CodeOf(err))).SendString(string(apperr.CodeOf(err)))
	}})
	h := httpserver.Authenticated(func(c *fiber.Ctx, sub authn.Subject) error {
		return c.SendString(sub.UserID.String() + " " + httpserver.QueryValues(c).Get("q") + " " + httpserver.QueryValues(c)["t"][1])
	})
	app.Get("/with", func(c *fiber.Ctx) error {
		c.SetUserContext(authn.WithSubject(c.UserContext(), authn.Subject{UserID: id}))
		return c.Next()
	}, h)
	app.Get("/without", h)
	for path, want := range map[string]string{"/with?q=x&t=1&t=2": id.String() + " x 2", "/without": "unauthenticated"} {
		res, err := app.Test(httptest.NewRequest(http.MethodGet, path, nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		if string(body) != want {
			t.Errorf("%s: %d %q, want %q", path, res.StatusCode, body, want)
		}
	}
}
