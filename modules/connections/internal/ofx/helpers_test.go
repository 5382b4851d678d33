package ofx

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/money"
)

// parseAll runs Parse over data and returns every call of fn.
func parseAll(data []byte, chunk int) ([]provider.Statement, error) {
	var got []provider.Statement
	err := (&Provider{ChunkSize: chunk}).Parse(bytes.NewReader(data), func(s provider.Statement) error {
		got = append(got, s)
		return nil
	})
	return got, err
}

// mustParse parses a fixture of testdata/ and fails the test on any error.
func mustParse(t *testing.T, name string) []provider.Statement {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseAll(data, 0)
	if err != nil {
		t.Fatalf("Parse(%s) error = %v", name, err)
	}
	return got
}

// parseErr asserts err is a *provider.ParseError and returns it.
func parseErr(t *testing.T, err error) *provider.ParseError {
	t.Helper()
	var pe *provider.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v (%T), want a *provider.ParseError", err, err)
	}
	return pe
}

func sum(txns []provider.Transaction) money.Amount {
	total := money.Zero
	for _, tx := range txns {
		total = total.Add(tx.Amount)
	}
	return total
}

// sharedOFX returns ../shared/testdata/ofx, found from the repository root (the folder
// with go.mod). Outside CI a missing folder skips the test; in CI it fails it.
func sharedOFX(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	ofxDir := filepath.Join(dir, "..", "shared", "testdata", "ofx")
	if _, err := os.Stat(ofxDir); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("the shared OFX test files are missing at %s; CI must provide them", ofxDir)
		}
		tb.Skipf("the shared OFX test files are not at %s (outside CI): skipping", ofxDir)
	}
	return ofxDir
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
