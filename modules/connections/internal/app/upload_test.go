package app_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/platform/apperr"
)

// TestSpoolStatement: a file of exactly MaxImportSize bytes is spooled whole and
// read back at any offset; one byte more is a 413 problem; an upload that fails
// while it is read is ErrUploadUnreadable; Close removes the temporary file.
func TestSpoolStatement(t *testing.T) {
	body := bytes.Repeat([]byte("x"), app.MaxImportSize)
	copy(body[app.MaxImportSize-3:], "end")
	u, err := app.SpoolStatement(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	tail := make([]byte, 3)
	if _, err := u.ReadAt(tail, app.MaxImportSize-3); err != nil || string(tail) != "end" || u.Size != app.MaxImportSize {
		t.Fatalf("spooled %d bytes, tail %q, %v", u.Size, tail, err)
	}
	leftovers := func() int {
		m, _ := os.ReadDir(os.TempDir())
		n := 0
		for _, e := range m {
			if strings.HasPrefix(e.Name(), "kontor-import-") {
				n++
			}
		}
		return n
	}
	before := leftovers()
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	if after := leftovers(); after != before-1 {
		t.Errorf("Close left the temporary file: %d spooled files before, %d after", before, after)
	}

	_, err = app.SpoolStatement(io.MultiReader(bytes.NewReader(body), strings.NewReader("!")))
	if e, ok := apperr.As(err); !ok || e.Code != apperr.PayloadTooLarge {
		t.Fatalf("MaxImportSize+1 bytes: %v", err)
	}
	_, err = app.SpoolStatement(io.MultiReader(strings.NewReader("OFXHEADER"), iotestErr{}))
	if !errors.Is(err, app.ErrUploadUnreadable) {
		t.Fatalf("a failing upload: %v", err)
	}
	if after := leftovers(); after != before-1 {
		t.Errorf("refused uploads left temporary files: %d", after-before+1)
	}
	// A temporary folder that cannot take the file is the server's trouble: 503.
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	_, err = app.SpoolStatement(strings.NewReader("OFXHEADER:100"))
	if e, ok := apperr.As(err); !ok || e.Code != apperr.ServiceUnavailable || errors.Unwrap(err) == nil {
		t.Fatalf("no temporary folder: %v", err)
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("unexpected EOF in multipart part") }
