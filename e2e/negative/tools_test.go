package negative

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

// npmTool returns the path of an npm-installed command from KONTOR_NPM_TOOLS (the
// directory .ci/run installs the pinned tools into, outside the repository). Outside
// CI a missing tool skips the test; in CI it fails it.
func npmTool(t *testing.T, name string) (bin, dir string) {
	t.Helper()
	dir = os.Getenv("KONTOR_NPM_TOOLS")
	if dir != "" {
		bin = filepath.Join(dir, "node_modules", ".bin", name)
		if _, err := os.Stat(bin); err == nil {
			return bin, dir
		}
	}
	if dbtest.InCI() {
		t.Fatalf("%s is not installed under KONTOR_NPM_TOOLS=%q (.ci/run installs it with npm)", name, dir)
	}
	t.Skipf("%s is not installed: set KONTOR_NPM_TOOLS to a directory where `npm install` put it (see .ci/run)", name)
	return "", ""
}

// servedDocument boots Kontor and writes the OpenAPI document it serves to a file.
func servedDocument(t *testing.T) string {
	t.Helper()
	inst := harness.Start(t, harness.Options{Engine: harness.SQLite})
	res := inst.Client().Get(t, "/api/v1/openapi.json").Expect(t, http.StatusOK)
	path := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(path, res.Body, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSpectralLint holds the served document to spectral's OpenAPI ruleset: no
// error and no warning.
func TestSpectralLint(t *testing.T) {
	spectral, _ := npmTool(t, "spectral")
	doc := servedDocument(t)
	ruleset := filepath.Join(t.TempDir(), ".spectral.yaml")
	if err := os.WriteFile(ruleset, []byte("extends: [\"spectral:oas\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(spectral, "lint", "--ruleset", ruleset, "--fail-severity", "hint", "--format", "text", doc)
	out, err := cmd.CombinedOutput()
	t.Logf("spectral lint:\n%s", out)
	if err != nil {
		t.Fatalf("spectral lint reports problems (%v)", err)
	}
	if strings.Contains(string(out), "warning") || strings.Contains(string(out), "error") {
		t.Fatalf("spectral lint reports problems")
	}
}

// TestGeneratedClientCompiles generates TypeScript types from the served document
// with openapi-typescript and compiles a natural client scenario (register, log in,
// create an account, add a transaction, list) with tsc --strict against them.
func TestGeneratedClientCompiles(t *testing.T) {
	gen, dir := npmTool(t, "openapi-typescript")
	tsc, _ := npmTool(t, "tsc")
	doc := servedDocument(t)
	work := t.TempDir()
	for _, f := range []string{"scenario.ts", "tsconfig.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "client", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// openapi-fetch and typescript's lib come from the tools directory.
	if err := os.Symlink(filepath.Join(dir, "node_modules"), filepath.Join(work, "node_modules")); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(gen, doc, "--output", filepath.Join(work, "schema.d.ts")).CombinedOutput(); err != nil {
		t.Fatalf("openapi-typescript: %v\n%s", err, out)
	}
	cmd := exec.Command(tsc, "--project", filepath.Join(work, "tsconfig.json"))
	cmd.Dir = work
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("tsc --strict: %v; %d errors\n%s", err, strings.Count(out.String(), "error TS"), out.String())
	}
	t.Logf("tsc --strict compiled the scenario against the generated types with no error")
}
