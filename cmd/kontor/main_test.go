package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVersionAndUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"version"}, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "kontor ") {
		t.Fatalf("version: %d %q %q", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run([]string{"frobnicate"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: %d %q", code, errOut.String())
	}
}

func TestBadSettingStopsWithOneLine(t *testing.T) {
	t.Setenv("KONTOR_ENV", "staging")
	var out, errOut bytes.Buffer
	code := run([]string{"serve"}, &out, &errOut)
	msg := errOut.String()
	if code != 2 || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "KONTOR_ENV") || !strings.Contains(msg, "development or production") {
		t.Fatalf("code %d, stderr %q", code, msg)
	}
}

func TestMigrateUpStatusDown(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KONTOR_DATA_DIR", dir)
	t.Setenv("KONTOR_ENV", "development")
	var out, errOut bytes.Buffer
	if code := run([]string{"migrate", "up"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "applied") {
		t.Fatalf("up: %d %q %q", code, out.String(), errOut.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "kontor.db")); err != nil {
		t.Fatalf("no database file: %v", err)
	}
	out.Reset()
	if code := run([]string{"migrate", "status"}, &out, &errOut); code != 0 || strings.Contains(out.String(), "pending") || !strings.Contains(out.String(), "applied (group 1") {
		t.Fatalf("status after up: %d %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"migrate", "down"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "rolled back") {
		t.Fatalf("down: %d %q %q", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run([]string{"migrate", "status"}, &out, &errOut); code != 0 || strings.Contains(out.String(), "applied") {
		t.Fatalf("status after down: %d %q", code, out.String())
	}
	if code := run([]string{"migrate", "sideways"}, &out, &errOut); code != 2 {
		t.Fatalf("bad action: %d", code)
	}
}
