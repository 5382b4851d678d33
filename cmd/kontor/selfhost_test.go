package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionFromLdflagsOrVCS(t *testing.T) {
	vcs := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "1a2b3c4d5e6f7a8b9c0d"}, {Key: "vcs.modified", Value: "true"},
	}}
	for _, tc := range []struct {
		ldflags string
		bi      *debug.BuildInfo
		want    string
	}{
		{"v1.4.0", vcs, "v1.4.0"},
		{"", vcs, "dev-1a2b3c4d5e6f-dirty"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v0.9.1"}}, "v0.9.1"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"", nil, "dev"},
	} {
		if got := versionFrom(tc.ldflags, tc.bi); got != tc.want {
			t.Errorf("versionFrom(%q) = %q, want %q", tc.ldflags, got, tc.want)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}))
	defer ok.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(ok.URL, "http://"))
	var out, errOut bytes.Buffer
	if code := run([]string{"healthcheck", "--addr", ":" + port}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "answered 200") {
		t.Fatalf("healthy server: %d %q %q", code, out.String(), errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"healthcheck", "--addr", ":" + port, "--path", "/nope"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "answered 404") {
		t.Fatalf("unhealthy answer: %d %q", code, errOut.String())
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	errOut.Reset()
	if code := run([]string{"healthcheck", "--addr", closed}, &out, &errOut); code != 1 {
		t.Fatalf("nothing listening: %d %q", code, errOut.String())
	}
	for addr, want := range map[string]string{":8080": "http://127.0.0.1:8080/healthz", "0.0.0.0:9": "http://127.0.0.1:9/healthz", "[::]:80": "http://[::1]:80/healthz", "10.0.0.2:8080": "http://10.0.0.2:8080/healthz"} {
		if got, err := healthURL(addr, "/healthz"); err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
}

func TestSettingsFromFiles(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("from-a-file-0123456789abcdef0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KONTOR_SECRET_KEY", "")
	t.Setenv("KONTOR_SECRET_KEY_FILE", secret)
	getenv, err := fileEnv(os.Getenv)
	if err != nil || getenv("KONTOR_SECRET_KEY") != "from-a-file-0123456789abcdef0123456789" {
		t.Fatalf("secret from file: %q, %v", getenv("KONTOR_SECRET_KEY"), err)
	}
	t.Setenv("KONTOR_SECRET_KEY", "also-set-directly-0123456789abcdef0123")
	if _, err := fileEnv(os.Getenv); err == nil || !strings.Contains(err.Error(), "both set") {
		t.Fatalf("both set: %v", err)
	}
	t.Setenv("KONTOR_SECRET_KEY", "")
	t.Setenv("KONTOR_SECRET_KEY_FILE", filepath.Join(dir, "missing"))
	var out, errOut bytes.Buffer
	if code := run([]string{"serve"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "KONTOR_SECRET_KEY_FILE") {
		t.Fatalf("unreadable file: %d %q", code, errOut.String())
	}
}

// TestBackupRestoreCommands runs the commands as an operator would: a backup into a
// file and to standard output, restores from both into empty folders, and the
// refusals in between.
func TestBackupRestoreCommands(t *testing.T) {
	live := t.TempDir()
	t.Setenv("KONTOR_ENV", "development")
	t.Setenv("KONTOR_DATA_DIR", live)
	var out, errOut bytes.Buffer
	if code := run([]string{"migrate", "up"}, &out, &errOut); code != 0 {
		t.Fatalf("migrate: %q", errOut.String())
	}
	file := filepath.Join(t.TempDir(), "b.db")
	out.Reset()
	if code := run([]string{"backup", file}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "backup written") || !strings.Contains(out.String(), "users") {
		t.Fatalf("backup: %d %q %q", code, out.String(), errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"backup", file}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "already exists") {
		t.Fatalf("backup over a file: %d %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"restore", file}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "refuses to overwrite") {
		t.Fatalf("restore over the live database: %d %q", code, errOut.String())
	}
	var stream, info bytes.Buffer
	if code := run([]string{"backup", "-"}, &stream, &info); code != 0 || !bytes.HasPrefix(stream.Bytes(), []byte("SQLite format 3\x00")) || !strings.Contains(info.String(), "standard output") {
		t.Fatalf("backup to stdout: %d, %d bytes, %q", code, stream.Len(), info.String())
	}

	fresh := t.TempDir()
	out.Reset()
	if code := run([]string{"restore", file, "--data-dir", fresh}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "restored") {
		t.Fatalf("restore: %d %q %q", code, out.String(), errOut.String())
	}
	if _, err := os.Stat(filepath.Join(fresh, "kontor.db")); err != nil {
		t.Fatal(err)
	}
	fromStdin := t.TempDir()
	errOut.Reset()
	if code := restore([]string{"-", "--data-dir", fromStdin}, &stream, &out, &errOut); code != 0 {
		t.Fatalf("restore from stdin: %d %q", code, errOut.String())
	}
	entries, _ := os.ReadDir(fromStdin)
	if len(entries) != 1 || entries[0].Name() != "kontor.db" {
		t.Fatalf("the folder restored from stdin holds %v", entries)
	}
	notDB := filepath.Join(t.TempDir(), "notes.txt")
	_ = os.WriteFile(notDB, []byte("not a database at all"), 0o600)
	errOut.Reset()
	if code := run([]string{"restore", notDB, "--data-dir", t.TempDir()}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "not an SQLite database") {
		t.Fatalf("restore of a text file: %d %q", code, errOut.String())
	}
}

func TestBackupOnPostgresNeedsPgDump(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("KONTOR_DATABASE_URL", "postgres://kontor:secret@db.invalid:5432/kontor")
	var out, errOut bytes.Buffer
	if code := run([]string{"backup", filepath.Join(t.TempDir(), "k.dump")}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "pg_dump") || !strings.Contains(errOut.String(), "docker compose exec") {
		t.Fatalf("%d %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"restore", filepath.Join(t.TempDir(), "k.dump")}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "pg_restore") {
		t.Fatalf("%d %q", code, errOut.String())
	}
}

func TestCopyArguments(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"copy", "--from", "sqlite:x.db", "--to", "mysql://nope"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "postgres://") {
		t.Fatalf("bad target: %d %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"copy", "--from", "postgres://a@b/c", "--to", "postgres://a@b/d"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "--from must be an SQLite") {
		t.Fatalf("bad source: %d %q", code, errOut.String())
	}
}
