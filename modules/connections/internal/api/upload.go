package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"os"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/platform/apperr"
)

// errNoFile is a multipart body without the field, or one that cannot be read.
var errNoFile = errors.New("no file field")

// spooledFile is an uploaded statement copied to a temporary file.
type spooledFile struct {
	*os.File
	Size int64
}

// Close closes and removes the temporary file.
func (f *spooledFile) Close() error {
	err := f.File.Close()
	_ = os.Remove(f.Name())
	return err
}

// spoolFile copies the multipart field of the request body (a file part) to a
// temporary file, read part by part from the body as fasthttp holds it, and then
// lets the request's body buffer go: the import reads the file from disk, so the
// server holds the upload once (the body, bounded by httpserver.BodyLimit) and only
// until it is on disk, not the body and a parsed copy of the form for the whole
// import. A file larger than app.MaxImportSize is a 413 problem; a body without
// the field, or one that is not well-formed multipart, is errNoFile.
//
// A body sent with a Content-Encoding is read through fasthttp's own form parser,
// which decodes it, into the same temporary file.
func spoolFile(c *fiber.Ctx, field string) (*spooledFile, error) {
	var src io.Reader
	if len(c.Request().Header.ContentEncoding()) > 0 {
		fh, err := c.FormFile(field)
		if err != nil {
			return nil, errNoFile
		}
		if fh.Size > app.MaxImportSize {
			return nil, tooLarge()
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
	tmp, err := os.CreateTemp("", "kontor-import-*.ofx")
	if err != nil {
		return nil, apperr.Wrap(err, "spool uploaded file")
	}
	out := &spooledFile{File: tmp}
	in := &readErr{r: io.LimitReader(src, app.MaxImportSize+1)}
	n, err := io.Copy(tmp, in)
	if err != nil {
		_ = out.Close()
		if in.err != nil {
			// A truncated or malformed part: the body holds no readable file.
			return nil, errNoFile
		}
		return nil, apperr.Wrap(err, "spool uploaded file")
	}
	if n > app.MaxImportSize {
		_ = out.Close()
		return nil, tooLarge()
	}
	out.Size = n
	// The body is on disk now: let its buffer go before the import runs.
	c.Request().ReleaseBody(0)
	return out, nil
}

func tooLarge() error {
	return apperr.New(apperr.PayloadTooLarge, "The statement file is larger than 10 MiB.")
}

// readErr remembers the error its reader returned, to tell a body that cannot be
// read from a temporary file that cannot be written.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}
