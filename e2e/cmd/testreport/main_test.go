package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// testdata/sample.json is real `go test -count=1 -json ./...` output of a small module:
// package a has a passing test, a failing test, a skipped browser test and a store
// test whose postgres subtest is skipped; b panics; c does not build; d has no tests.
func TestReport(t *testing.T) {
	for _, strict := range []bool{false, true} {
		f, err := os.Open("testdata/sample.json")
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		s, err := report(f, &out, options{
			strict:           strict,
			requiredPackages: regexp.MustCompile(`^example\.test/sample/e2e$`),
			requiredTests:    regexp.MustCompile(`(?i)postgres|browser`),
		})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := out.String()
		// TestPass, TestStore and TestStore/sqlite pass; TestFail and TestPanics fail, and
		// package c fails to build; TestSkipBrowser and TestStore/postgres are skipped.
		if s.passed != 3 || s.failed != 3 || s.skipped != 2 {
			t.Errorf("strict=%v: counts %d passed, %d failed, %d skipped\n%s", strict, s.passed, s.failed, s.skipped, got)
		}
		if !strings.HasSuffix(got, "\n3 passed, 3 failed, 2 skipped\n") {
			t.Errorf("no closing line:\n%s", got)
		}
		for _, want := range []string{
			"--- PASS: TestPass",
			"?   \texample.test/sample/d\t[no test files]",
			"a_test.go:6: boom: 42",
			"panic: assignment to entry in nil map",
			"c/c.go:3:23: cannot use",
			"### example.test/sample/c (did not build)",
			"### example.test/sample/a TestFail (failed after 0.00s)",
			"SKIP example.test/sample/a TestSkipBrowser: a_test.go:7: no Chromium here",
			"SKIP example.test/sample/a TestStore/postgres:",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("report lacks %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, "=== RUN") || strings.Contains(got, "a_test.go:5: fine") {
			t.Errorf("report repeats passing tests' output:\n%s", got)
		}
		if len(s.requiredSkips) != 2 {
			t.Errorf("required skips %+v, want the browser test and the postgres subtest", s.requiredSkips)
		}
		if strict != strings.Contains(got, "2 test(s) that must run in CI were skipped") {
			t.Errorf("strict=%v: the required-skip section is wrong:\n%s", strict, got)
		}
		if s.ok(strict) {
			t.Errorf("strict=%v: a run with failures reported ok", strict)
		}
	}
}

func TestStrictFailsOnRequiredSkipsAlone(t *testing.T) {
	stream := `{"Action":"run","Package":"github.com/kontor-app/kontor/e2e","Test":"TestX"}
{"Action":"output","Package":"github.com/kontor-app/kontor/e2e","Test":"TestX","Output":"    x_test.go:1: no engine\n"}
{"Action":"skip","Package":"github.com/kontor-app/kontor/e2e","Test":"TestX"}
{"Action":"run","Package":"github.com/kontor-app/kontor/platform/x","Test":"TestY"}
{"Action":"pass","Package":"github.com/kontor-app/kontor/platform/x","Test":"TestY"}
not json: passed through
`
	o := options{requiredPackages: regexp.MustCompile(`^github\.com/kontor-app/kontor/e2e(/|$)`), requiredTests: regexp.MustCompile(`(?i)postgres|browser`)}
	var out strings.Builder
	s, err := report(strings.NewReader(stream), &out, o)
	if err != nil {
		t.Fatal(err)
	}
	if !s.ok(false) || s.ok(true) {
		t.Fatalf("a skipped e2e test must fail only a strict run: %+v", s)
	}
	if !strings.Contains(out.String(), "not json: passed through") || !strings.HasSuffix(out.String(), "1 passed, 0 failed, 1 skipped\n") {
		t.Fatalf("report:\n%s", out.String())
	}
}
