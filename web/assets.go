package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/kontor-app/kontor/platform/httpserver"
)

// Static holds the front-end assets compiled into the binary: the vendored
// Pico CSS and htmx, Kontor's own stylesheet and script, and the icons.
//
//go:embed static
var Static embed.FS

// StaticPrefix is the URL path under which the static assets are served.
const StaticPrefix = "/static"

// ImmutableCache is the Cache-Control of an asset under its content-hashed name:
// the name changes whenever the content does, so a browser may keep it for a year
// without asking again.
const ImmutableCache = "public, max-age=31536000, immutable"

// revalidateCache is the Cache-Control of an asset under its plain name, which
// keeps its name across releases: a browser asks again each time, and a
// matching ETag answers 304 without the body.
const revalidateCache = "public, no-cache"

// asset is one embedded file, ready to serve: its body as stored and, for text,
// compressed with brotli and gzip once instead of per request. Compressing every
// asset at the best levels takes a few hundred milliseconds, so it is not done
// when the program starts (every command and test binary would wait for it) but
// by the first request for the asset, or by the warm-up StaticMount starts.
type asset struct {
	contentType  string
	etag         string
	hashed       string
	body         []byte
	compressible bool

	pack   sync.Once
	brotli []byte
	gzip   []byte
}

// packed returns the asset's brotli and gzip bodies, compressing them on the
// first call; both are nil for a type that is not compressed.
func (a *asset) packed() (brotli, gzip []byte) {
	if !a.compressible {
		return nil, nil
	}
	a.pack.Do(func() {
		a.brotli = fasthttp.AppendBrotliBytesLevel(nil, a.body, fasthttp.CompressBrotliBestCompression)
		a.gzip = fasthttp.AppendGzipBytesLevel(nil, a.body, fasthttp.CompressBestCompression)
	})
	return a.brotli, a.gzip
}

// assets indexes the embedded files by their plain name ("css/app.css") and by
// their content-hashed name ("css/app.3f2a9c1b7d.css").
type assetIndex struct {
	byName   map[string]*asset
	byHashed map[string]*asset
}

var assets = buildAssets()

// buildAssets reads every embedded file once.
func buildAssets() assetIndex {
	idx := assetIndex{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	err := fs.WalkDir(Static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := Static.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:12]
		ext := path.Ext(name)
		a := &asset{
			contentType: contentTypeOf(ext),
			etag:        `W/"` + hash + `"`,
			hashed:      strings.TrimSuffix(name, ext) + "." + hash + ext,
			body:        body,

			compressible: compressible(contentTypeOf(ext)),
		}
		idx.byName[name] = a
		idx.byHashed[a.hashed] = a
		return nil
	})
	if err != nil {
		// The embedded tree is part of the binary; it cannot fail to read.
		panic("web: embedded static assets: " + err.Error())
	}
	return idx
}

// contentTypeOf names the media type of a file extension.
func contentTypeOf(ext string) string {
	switch ext {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".md":
		return "text/markdown; charset=utf-8"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// compressible reports whether a media type gains from compression (text, not
// images already compressed).
func compressible(ct string) bool {
	return strings.HasPrefix(ct, "text/") || strings.HasPrefix(ct, "image/svg+xml") ||
		strings.HasPrefix(ct, "application/javascript") || strings.HasPrefix(ct, "application/json")
}

// Asset returns the URL of the embedded file name ("css/app.css") under its
// content-hashed name, which browsers cache for a year. Templates refer to every
// asset through it. A name that is not embedded panics in tests and pages alike,
// so a broken reference cannot ship.
func Asset(name string) string {
	a, ok := assets.byName[name]
	if !ok {
		panic("web: no embedded asset " + name)
	}
	return StaticPrefix + "/" + a.hashed
}

// serveStatic answers GET and HEAD under StaticPrefix from the embedded files: a
// content-hashed name with a one-year immutable cache, a plain name with an ETag
// to revalidate. The body is sent brotli- or gzip-compressed when the client
// accepts it. Anything else falls through to the next handler (and ends in 404).
func serveStatic(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		return c.Next()
	}
	name := strings.TrimPrefix(strings.TrimPrefix(c.Path(), StaticPrefix), "/")
	cache := ImmutableCache
	a, ok := assets.byHashed[name]
	if !ok {
		if a, ok = assets.byName[name]; !ok {
			return c.Next()
		}
		cache = revalidateCache
	}
	c.Set(fiber.HeaderContentType, a.contentType)
	c.Set(fiber.HeaderCacheControl, cache)
	c.Set(fiber.HeaderETag, a.etag)
	if a.compressible {
		c.Vary(fiber.HeaderAcceptEncoding)
	}
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && strings.Contains(match, a.etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	body := a.body
	br, gz := a.packed()
	switch {
	case br != nil && c.Context().Request.Header.HasAcceptEncoding("br"):
		body = br
		c.Set(fiber.HeaderContentEncoding, "br")
	case gz != nil && c.Context().Request.Header.HasAcceptEncoding("gzip"):
		body = gz
		c.Set(fiber.HeaderContentEncoding, "gzip")
	}
	return c.Send(body)
}

// StaticMount serves the embedded assets under StaticPrefix. It starts
// compressing them in the background, so that the first pages a server serves
// find them ready.
func StaticMount() httpserver.StaticMount {
	go func() {
		for _, a := range assets.byName {
			a.packed()
		}
	}()
	return httpserver.StaticMount{Prefix: StaticPrefix, Handler: serveStatic}
}
