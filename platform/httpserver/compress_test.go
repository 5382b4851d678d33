package httpserver_test

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/platform/httpserver"
)

type compressProbes struct{}

var bigPage = "<!doctype html><title>x</title>" + strings.Repeat("<p>Kontor keeps your accounts.</p>", 200)

func (compressProbes) Register(r *httpserver.Router) {
	r.PublicPage(fiber.MethodGet, "/big", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.SendString(bigPage)
	})
	r.PublicPage(fiber.MethodGet, "/big.csv", func(c *fiber.Ctx) error {
		httpserver.StreamDownload(c, nil, httpserver.Download{ContentType: "text/csv", FileName: "a b.csv", Write: func(_ context.Context, w io.Writer) error {
			_, err := io.WriteString(w, strings.Repeat("date,amount\n", 500))
			return err
		}})
		return nil
	})
	r.APIRead("/big", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.SendString(bigPage)
	})
}

// TestPagesAreCompressed: pages go out compressed to a client that accepts it; the
// API and attachments do not (the event stream must not be buffered, files are
// files), and a client that accepts nothing gets the page as it is.
func TestPagesAreCompressed(t *testing.T) {
	t.Parallel()
	app, _ := newServerWith(t, nil, compressProbes{})
	get := func(path, enc string) (*http.Response, []byte) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer good")
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		return do(t, app, req)
	}
	res, body := get("/big", "gzip")
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("page: Content-Encoding %q, Vary %q", res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(zr); string(plain) != bigPage || len(body) >= len(bigPage)/4 {
		t.Fatalf("page: %d bytes compressed to %d, or not to the page", len(bigPage), len(body))
	}
	if res, body := get("/big", ""); res.Header.Get("Content-Encoding") != "" || string(body) != bigPage {
		t.Fatalf("page without Accept-Encoding: %q", res.Header.Get("Content-Encoding"))
	}
	if res, _ := get("/big", "br"); res.Header.Get("Content-Encoding") != "br" {
		t.Fatalf("page with br: %q", res.Header.Get("Content-Encoding"))
	}
	if res, body := get("/api/v1/big", "gzip, br"); res.Header.Get("Content-Encoding") != "" || string(body) != bigPage {
		t.Fatalf("API: Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	res, body = get("/big.csv", "gzip, br")
	if res.Header.Get("Content-Encoding") != "" || !strings.HasPrefix(string(body), "date,amount\n") {
		t.Fatalf("download: Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="a b.csv"` {
		t.Fatalf("download: Content-Disposition %q", cd)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "private, no-store" {
		t.Fatalf("download: Cache-Control %q", cc)
	}
}
