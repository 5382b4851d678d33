package ofx

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/modules/connections/internal/provider"
)

// FuzzParse feeds Parse arbitrary bytes, seeded with every file of
// ../shared/testdata/ofx (read at run time, not copied) and the package's fixtures. Parse
// must never panic (its recover would turn a panic into an "internal error" reason,
// which fails the target), must either succeed with well-formed statements or return a
// *provider.ParseError naming a line of the input, and must hand over no chunk larger
// than the chunk size.
func FuzzParse(f *testing.F) {
	dir := sharedOFX(f)
	for _, pattern := range []string{filepath.Join(dir, "*.ofx"), filepath.Join(dir, "*.qfx"), filepath.Join("testdata", "*.ofx")} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(base))
	f.Add([]byte(""))
	f.Add([]byte("<OFX>"))

	const chunk = 3
	f.Fuzz(func(t *testing.T, data []byte) {
		var got []provider.Statement
		err := (&Provider{ChunkSize: chunk}).Parse(bytes.NewReader(data), func(s provider.Statement) error {
			got = append(got, s)
			return nil
		})
		if err != nil {
			var pe *provider.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *provider.ParseError", err, err)
			}
			if strings.Contains(pe.Reason, "internal error") {
				t.Fatalf("Parse panicked: %v", pe)
			}
			if lines := bytes.Count(data, []byte("\n")) + 1; pe.Line < 1 || pe.Line > lines || pe.Reason == "" {
				t.Fatalf("error %q names line %d of %d", pe.Reason, pe.Line, lines)
			}
			return
		}
		final := 0
		for _, s := range got {
			if len(s.Transactions) > chunk {
				t.Fatalf("a chunk of %d transactions, more than %d", len(s.Transactions), chunk)
			}
			a := s.Account
			if a.ID == "" || a.Type == "" || len(a.Currency) != 3 || !a.Balance.InRange() {
				t.Fatalf("account %+v", a)
			}
			if !s.More {
				final++
			}
			for _, tx := range s.Transactions {
				if tx.ID == "" || tx.AccountID != a.ID || !tx.Amount.InRange() || tx.Date.IsZero() || tx.Date.Year() < minYear {
					t.Fatalf("transaction %+v", tx)
				}
			}
		}
		if final == 0 {
			t.Fatal("Parse succeeded without a statement")
		}
	})
}
