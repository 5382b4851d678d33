package app

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kontor-app/kontor/platform/apperr"
)

// ErrUploadUnreadable is returned by SpoolStatement when the upload itself cannot
// be read (a truncated or malformed multipart body): the request holds no file.
var ErrUploadUnreadable = errors.New("the uploaded file cannot be read")

// StatementUpload is an uploaded statement copied to a temporary file, so that
// Import can read it twice while the request's body is let go. Close removes it.
type StatementUpload struct {
	file *os.File
	// Size is the file's length in bytes.
	Size int64
}

// ReadAt reads the spooled file at off.
func (u *StatementUpload) ReadAt(p []byte, off int64) (int, error) { return u.file.ReadAt(p, off) }

// Close closes and removes the temporary file.
func (u *StatementUpload) Close() error {
	err := u.file.Close()
	_ = os.Remove(u.file.Name())
	return err
}

// TooLarge is the problem of a statement file over MaxImportSize.
func TooLarge() error {
	return apperr.New(apperr.PayloadTooLarge, "The statement file is larger than 10 MiB.")
}

// SpoolStatement copies an uploaded statement from src to a temporary file, reading
// at most one byte past MaxImportSize: a longer file is a 413 problem, and a src
// that fails while it is read is ErrUploadUnreadable. Both faces of the import
// (the JSON endpoint and the connection page) spool through it.
func SpoolStatement(src io.Reader) (*StatementUpload, error) {
	tmp, err := os.CreateTemp("", "kontor-import-*.ofx")
	if err != nil {
		return nil, cannotStore(err)
	}
	u := &StatementUpload{file: tmp}
	in := &readErr{r: io.LimitReader(src, MaxImportSize+1)}
	n, err := io.Copy(tmp, in)
	switch {
	case err != nil && in.err != nil:
		_ = u.Close()
		return nil, fmt.Errorf("%w: %v", ErrUploadUnreadable, in.err)
	case err != nil:
		_ = u.Close()
		return nil, cannotStore(err)
	case n > MaxImportSize:
		_ = u.Close()
		return nil, TooLarge()
	}
	u.Size = n
	return u, nil
}

// cannotStore is the problem of an upload the server could not write to its
// temporary folder (full, or not writable): a 503 that asks to try again, not a
// fault of the request, with the cause kept for the log.
func cannotStore(cause error) error {
	e := apperr.Wrap(cause, "spool uploaded file")
	e.Code = apperr.ServiceUnavailable
	e.Message = "Kontor cannot store the uploaded file right now; try again later."
	return e
}

// readErr remembers the error its reader returned, to tell an upload that cannot
// be read from a temporary file that cannot be written.
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
