package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/platform/apperr"
)

// errNoFile is a multipart body without the field, or one that cannot be read.
var errNoFile = errors.New("no file field")

// spoolFile copies the multipart field of the request body (a file part) to a
// temporary file (app.SpoolStatement), read part by part from the body as fasthttp
// holds it, and then lets the request's body buffer go: the import reads the file
// from disk, so the server holds the upload once (the body, bounded by
// httpserver.BodyLimit) and only until it is on disk, not the body and a parsed
// copy of the form for the whole import. A file larger than app.MaxImportSize is a
// 413 problem; a body without the field, or one that is not well-formed multipart,
// is errNoFile.
//
// A body sent with a Content-Encoding is read through fasthttp's own form parser,
// which decodes it.
func spoolFile(c *fiber.Ctx, field string) (*app.StatementUpload, error) {
	var src io.Reader
	if len(c.Request().Header.ContentEncoding()) > 0 {
		fh, err := c.FormFile(field)
		if err != nil {
			return nil, errNoFile
		}
		if fh.Size > app.MaxImportSize {
			return nil, app.TooLarge()
		}
		f, err := fh.Open()
		if err != nil {
			return nil, apperr.Wrap(err, "open uploaded file")
		}
		defer f.Close()
		src = f
	} else {
		_, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
		if err != nil || params["boundary"] == "" {
			return nil, errNoFile
		}
		mr := multipart.NewReader(bytes.NewReader(c.Request().Body()), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				return nil, errNoFile
			}
			if p.FormName() == field && p.FileName() != "" {
				src = p
				break
			}
		}
	}
	u, err := app.SpoolStatement(src)
	if errors.Is(err, app.ErrUploadUnreadable) {
		return nil, errNoFile // a truncated or malformed part: the body holds no readable file
	}
	if err != nil {
		return nil, err
	}
	// The body is on disk now: let its buffer go before the import runs.
	c.Request().ReleaseBody(0)
	return u, nil
}
