// Command testreport reads the event stream of `go test -json` on stdin and writes a
// readable report: each package's result line, each test's result line, the output
// of every failed test, the skipped tests with their reasons, and a closing line
// "N passed, N failed, N skipped". It exits 1 when a test or a package failed.
//
// With -strict (what CI uses) it also exits 1 when a test that must run in CI was
// skipped: any test of a package matching -required-packages (the e2e suites) and any
// test whose name matches -required-tests (PostgreSQL subtests, browser tests).
//
//	go test -count=1 -json ./... | go run ./e2e/cmd/testreport -strict
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
)

// event is one line of `go test -json` (see `go doc test2json`).
type event struct {
	Time        time.Time
	Action      string
	Package     string
	ImportPath  string // build-output and build-fail events
	Test        string
	Elapsed     float64
	Output      string
	FailedBuild string
}

// options choose what the report enforces.
type options struct {
	strict           bool
	requiredPackages *regexp.Regexp
	requiredTests    *regexp.Regexp
	verbose          bool
}

// summary is what the stream told.
type summary struct {
	passed, failed, skipped int
	// failures are the failed tests and the packages that failed without a failed test.
	failures []string
	// skips are the skipped tests, with their reasons.
	skips []skip
	// requiredSkips are the skips -strict refuses.
	requiredSkips []skip
}

type skip struct {
	pkg, test, reason string
}

func (s summary) ok(strict bool) bool {
	return s.failed == 0 && (!strict || len(s.requiredSkips) == 0)
}

type testKey struct{ pkg, test string }

// report reads events from r and writes the report to w.
func report(r io.Reader, w io.Writer, o options) (summary, error) {
	var s summary
	output := map[testKey][]string{} // each test's own output lines
	running := map[testKey]bool{}    // tests started and not ended
	pkgFailedTests := map[string]int{}
	buildOutput := map[string][]string{}
	var failedOutputs []string
	// Packages run in parallel; their lines are held until the package ends so that
	// each package's results read as one block (with -v they stream as they come).
	pending := map[string][]string{}
	show := func(pkg, line string) {
		if o.verbose {
			fmt.Fprint(w, line)
		} else {
			pending[pkg] = append(pending[pkg], line)
		}
	}

	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &ev) != nil {
			// Not an event (a tool's own message): pass it through.
			fmt.Fprintf(w, "%s\n", line)
			continue
		}
		key := testKey{ev.Package, ev.Test}
		switch ev.Action {
		case "build-output":
			buildOutput[ev.ImportPath] = append(buildOutput[ev.ImportPath], ev.Output)
			fmt.Fprint(w, ev.Output)
		case "run":
			running[key] = true
		case "output":
			if ev.Test == "" {
				// Package lines: "ok  pkg 1.2s", "FAIL pkg", "? pkg [no test files]", and
				// whatever the test binary printed outside a test (a panic, say).
				if o.verbose || isPackageResult(ev.Output) {
					show(ev.Package, ev.Output)
				} else if !isNoise(ev.Output) {
					output[key] = append(output[key], ev.Output)
				}
				continue
			}
			if isResultLine(ev.Output) || o.verbose {
				show(ev.Package, ev.Output)
			}
			if !isFramingLine(ev.Output) {
				output[key] = append(output[key], ev.Output)
			}
		case "pass", "fail", "skip":
			if ev.Test == "" {
				for _, l := range pending[ev.Package] {
					fmt.Fprint(w, l)
				}
				delete(pending, ev.Package)
				if ev.Action == "fail" && pkgFailedTests[ev.Package] == 0 {
					// The package failed with no failed test: a build error, a panic,
					// a timeout or a TestMain that gave up.
					s.failed++
					why := "failed without a failing test (build error, panic, timeout or TestMain)"
					if ev.FailedBuild != "" {
						why = "did not build"
					}
					s.failures = append(s.failures, ev.Package+": "+why)
					lines := append(buildOutput[ev.FailedBuild], output[key]...)
					var stuck []testKey
					for k := range running {
						if k.pkg == ev.Package {
							stuck = append(stuck, k)
						}
					}
					sort.Slice(stuck, func(i, j int) bool { return stuck[i].test < stuck[j].test })
					for _, k := range stuck {
						lines = append(lines, fmt.Sprintf("    %s was still running; its output:\n", k.test))
						lines = append(lines, output[k]...)
					}
					failedOutputs = append(failedOutputs, section(ev.Package, why, lines))
				}
				if ev.Action == "fail" {
					for k := range running {
						if k.pkg == ev.Package {
							delete(running, k)
						}
					}
				}
				continue
			}
			delete(running, key)
			switch ev.Action {
			case "pass":
				s.passed++
			case "fail":
				s.failed++
				pkgFailedTests[ev.Package]++
				s.failures = append(s.failures, ev.Package+" "+ev.Test)
				failedOutputs = append(failedOutputs, section(ev.Package+" "+ev.Test, fmt.Sprintf("failed after %.2fs", ev.Elapsed), output[key]))
			case "skip":
				s.skipped++
				sk := skip{pkg: ev.Package, test: ev.Test, reason: skipReason(output[key])}
				s.skips = append(s.skips, sk)
				if (o.requiredPackages != nil && o.requiredPackages.MatchString(ev.Package)) ||
					(o.requiredTests != nil && o.requiredTests.MatchString(ev.Test)) {
					s.requiredSkips = append(s.requiredSkips, sk)
				}
			}
			delete(output, key)
		}
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	// A stream cut short (go test killed) leaves packages that never ended.
	for pkg, lines := range pending {
		fmt.Fprintf(w, "(%s did not finish)\n", pkg)
		for _, l := range lines {
			fmt.Fprint(w, l)
		}
	}

	if len(failedOutputs) > 0 {
		fmt.Fprintf(w, "\n======== %d failure(s) ========\n", len(failedOutputs))
		for _, f := range failedOutputs {
			fmt.Fprint(w, f)
		}
	}
	if len(s.skips) > 0 {
		fmt.Fprintf(w, "\n======== %d skipped ========\n", len(s.skips))
		for _, sk := range s.skips {
			fmt.Fprintf(w, "SKIP %s %s: %s\n", sk.pkg, sk.test, sk.reason)
		}
	}
	if o.strict && len(s.requiredSkips) > 0 {
		fmt.Fprintf(w, "\n======== %d test(s) that must run in CI were skipped ========\n", len(s.requiredSkips))
		for _, sk := range s.requiredSkips {
			fmt.Fprintf(w, "REQUIRED %s %s: %s\n", sk.pkg, sk.test, sk.reason)
		}
	}
	fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped\n", s.passed, s.failed, s.skipped)
	return s, nil
}

func section(title, why string, lines []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n### %s (%s)\n", title, why)
	for _, l := range lines {
		b.WriteString(l)
		if !strings.HasSuffix(l, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// isPackageResult reports whether a package-level line is the package's result.
func isPackageResult(l string) bool {
	for _, p := range []string{"ok  ", "ok\t", "FAIL\t", "FAIL ", "?   ", "--- FAIL", "panic:"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// isNoise reports package-level lines the report leaves out: the test binary's bare
// PASS/FAIL verdicts.
func isNoise(l string) bool {
	l = strings.TrimSpace(l)
	return l == "PASS" || l == "FAIL" || l == ""
}

// isResultLine reports whether a test's line is its verdict ("--- PASS: TestX (0.1s)").
func isResultLine(l string) bool {
	t := strings.TrimLeft(l, " ")
	return strings.HasPrefix(t, "--- PASS") || strings.HasPrefix(t, "--- FAIL") || strings.HasPrefix(t, "--- SKIP")
}

// isFramingLine reports test2json's framing lines, which say nothing about a failure.
func isFramingLine(l string) bool {
	t := strings.TrimLeft(l, " ")
	for _, p := range []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// skipReason returns the message a skipped test logged, in one line.
func skipReason(lines []string) string {
	var parts []string
	for _, l := range lines {
		if isResultLine(l) {
			continue
		}
		if t := strings.TrimSpace(l); t != "" {
			parts = append(parts, t)
		}
	}
	if len(parts) == 0 {
		return "no reason given"
	}
	return strings.Join(parts, " ")
}

func main() {
	var o options
	var reqPkgs, reqTests string
	flag.BoolVar(&o.strict, "strict", false, "fail when a test that must run in CI was skipped")
	flag.StringVar(&reqPkgs, "required-packages", `^github\.com/kontor-app/kontor/e2e(/|$)`, "with -strict, packages none of whose tests may be skipped (regexp)")
	flag.StringVar(&reqTests, "required-tests", `(?i)postgres|browser`, "with -strict, tests that may not be skipped (regexp on the full test name)")
	flag.BoolVar(&o.verbose, "v", false, "pass every output line through")
	flag.Parse()
	var err error
	if o.requiredPackages, err = regexp.Compile(reqPkgs); err != nil {
		fmt.Fprintln(os.Stderr, "testreport: -required-packages:", err)
		os.Exit(2)
	}
	if o.requiredTests, err = regexp.Compile(reqTests); err != nil {
		fmt.Fprintln(os.Stderr, "testreport: -required-tests:", err)
		os.Exit(2)
	}
	s, err := report(os.Stdin, os.Stdout, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport: read the test events:", err)
		os.Exit(2)
	}
	if !s.ok(o.strict) {
		os.Exit(1)
	}
}
