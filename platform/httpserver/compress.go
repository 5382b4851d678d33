package httpserver

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// compressedTypes are the media types compressPages compresses: pages and the
// text assets they load. Downloads (CSV, PDF, ZIP), images and the event stream are
// left as they are.
var compressedTypes = []string{"text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml"}

// compressPages compresses pages with brotli or gzip, as the client accepts, with
// the compressor of Fiber's compress middleware (fasthttp's, default level). Unlike
// that middleware it decides from the finished response, not the path: only the
// media types in compressedTypes, never an attachment or a body already encoded
// (static assets are compressed once at start-up). The JSON API is left alone: its
// event stream must not be buffered, its downloads are files, and its clients are
// programs on the same network as often as not.
func compressPages() fiber.Handler {
	compress := fasthttp.CompressHandlerBrotliLevel(func(*fasthttp.RequestCtx) {},
		fasthttp.CompressBrotliDefaultCompression, fasthttp.CompressDefaultCompression)
	return func(c *fiber.Ctx) error {
		if IsAPI(c) {
			return c.Next()
		}
		if err := c.Next(); err != nil {
			return err
		}
		h := &c.Response().Header
		if len(h.ContentEncoding()) > 0 || len(h.Peek(fiber.HeaderContentDisposition)) > 0 || !compressedType(string(h.ContentType())) {
			return nil
		}
		c.Vary(fiber.HeaderAcceptEncoding)
		compress(c.Context())
		return nil
	}
}

// compressedType reports whether ct is one of compressedTypes.
func compressedType(ct string) bool {
	for _, t := range compressedTypes {
		if strings.HasPrefix(ct, t) {
			return true
		}
	}
	return false
}
