package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/kontor-app/kontor/platform/database/dbtest"
)

// StepTimeout bounds every browser step, so a selector that never matches fails the
// test with the step's name instead of hanging until the test binary's deadline.
const StepTimeout = 15 * time.Second

// Browser is a headless Chromium tab driven over the DevTools protocol. Each helper
// is one step with its own StepTimeout; a failed step fails the test, and a failed
// test leaves a full-page screenshot and the page's HTML in the artifacts folder.
type Browser struct {
	// BaseURL, when set, is put before paths given to Navigate that start with "/".
	BaseURL string

	t   testing.TB
	ctx context.Context

	mu      sync.Mutex
	console []string
	output  *boundedBuffer
}

// chromiumFlags are the flags ENVIRONMENT.md asks for: no sandbox (CI runs as root), no
// GPU, and nothing that reaches for the network on its own, which would flood the
// closed network of the build machines with requests.
var chromiumFlags = []chromedp.ExecAllocatorOption{
	chromedp.Flag("headless", true),
	chromedp.Flag("no-sandbox", true),
	chromedp.Flag("disable-gpu", true),
	chromedp.Flag("disable-quic", true),
	chromedp.Flag("no-first-run", true),
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.WindowSize(1280, 900),
}

// ChromiumPath returns the Chromium binary tests use: KONTOR_TEST_CHROMIUM, else
// chromium or chromium-browser on PATH. It returns "" when there is none.
func ChromiumPath() string {
	if p := os.Getenv("KONTOR_TEST_CHROMIUM"); p != "" {
		if full, err := exec.LookPath(p); err == nil {
			return full
		}
		return ""
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if full, err := exec.LookPath(name); err == nil {
			return full
		}
	}
	return ""
}

// NewBrowser starts a fresh headless Chromium with its own profile for t and closes
// it when t ends. Without Chromium the test is skipped, except when CI=true, where a
// missing browser fails it.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	path := ChromiumPath()
	if path == "" {
		why := "no Chromium found (set KONTOR_TEST_CHROMIUM or put chromium on PATH)"
		if v := os.Getenv("KONTOR_TEST_CHROMIUM"); v != "" {
			why = fmt.Sprintf("KONTOR_TEST_CHROMIUM=%q is not an executable", v)
		}
		if dbtest.InCI() {
			t.Fatalf("browser: %s; Chromium is required when CI=true", why)
		}
		t.Skipf("browser test skipped: %s; CI runs it", why)
	}

	b := &Browser{t: t, output: &boundedBuffer{max: 64 << 10}}
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(b.output),
	}, chromiumFlags...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	b.ctx = ctx

	// The first Do starts the browser and binds its life to ctx, so it runs without a
	// deadline; a browser that never comes up is caught here instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			cancelTab()
			cancelAlloc()
			t.Fatalf("browser: start %s: %v\n%s", path, err, b.output.String())
		}
	case <-time.After(time.Minute):
		cancelTab()
		cancelAlloc()
		t.Fatalf("browser: %s did not start within a minute\n%s", path, b.output.String())
	}

	// Console messages and uncaught exceptions help explain a failure; they are
	// collected for the whole life of the tab and saved with the artifacts.
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, fmt.Sprintf("%s %s:%d %s", m.Type, m.URL, m.Line+1, m.Text))
			b.mu.Unlock()
		}
	}()

	t.Cleanup(func() {
		if t.Failed() {
			b.saveArtifacts("")
		}
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
	})
	return b
}

// Context returns the tab's context, for chromedp actions the helpers do not cover.
// Give every call its own deadline (context.WithTimeout), never the tab's context.
func (b *Browser) Context() context.Context { return b.ctx }

// step runs steps under StepTimeout and fails the test, naming what, if they fail.
func (b *Browser) step(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %s: %v (at %s)", what, explain(err), b.location())
	}
}

// run runs a with StepTimeout and returns its value, failing the test on error.
func run[T any](b *Browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %s: %v (at %s)", what, explain(err), b.location())
	}
	return v
}

func explain(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("not done within %s", StepTimeout)
	}
	return err
}

// location returns the current URL without failing, for error messages.
func (b *Browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "unknown page"
	}
	return loc
}

func (b *Browser) url(u string) string {
	if strings.HasPrefix(u, "/") && b.BaseURL != "" {
		return strings.TrimRight(b.BaseURL, "/") + u
	}
	return u
}

// Navigate opens url (a path when BaseURL is set) and waits for the page to load. It
// returns the HTTP status of the document.
func (b *Browser) Navigate(url string) int {
	b.t.Helper()
	res := run(b, "navigate to "+url, chromedp.NavigateResponse(b.url(url)))
	if res == nil {
		return 0
	}
	return int(res.Status)
}

// Fill replaces the value of the input selector names by typing value into it.
func (b *Browser) Fill(selector, value string) {
	b.t.Helper()
	sel := chromedp.CSS(selector)
	// Emptying the field by script and then typing keeps the key events a user makes,
	// which scripts on the page may listen to.
	b.step("fill "+selector,
		chromedp.WaitVisible(sel),
		chromedp.Evaluate[chromedp.Void](`document.querySelector(`+jsString(selector)+`).value = ""`),
		chromedp.SendKeys(sel, value),
	)
}

// Click clicks the element selector names once it is visible. It does not wait for
// whatever the click starts; use Submit for a click that loads a new page.
func (b *Browser) Click(selector string) {
	b.t.Helper()
	sel := chromedp.CSS(selector)
	b.step("click "+selector, chromedp.WaitVisible(sel), chromedp.Click(sel))
}

// Submit clicks the submit button selector names, as a user would, and waits for the
// page the browser loads in answer (after any redirects). It returns that page's HTTP
// status.
func (b *Browser) Submit(selector string) int {
	b.t.Helper()
	sel := chromedp.CSS(selector)
	b.step("wait for "+selector, chromedp.WaitVisible(sel))
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(sel))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no page loaded within %s; did the form submit (a required field left empty stops it)?", StepTimeout)
		}
		b.t.Fatalf("browser: submit with %s: %v (at %s)", selector, err, b.location())
	}
	if res == nil {
		return 0
	}
	return int(res.Status)
}

// Text returns the visible text of the first element selector names, once visible.
func (b *Browser) Text(selector string) string {
	b.t.Helper()
	sel := chromedp.CSS(selector)
	b.step("wait for "+selector, chromedp.WaitVisible(sel))
	return strings.TrimSpace(run(b, "read the text of "+selector, chromedp.Text(sel)))
}

// Value returns the current value of the input selector names.
func (b *Browser) Value(selector string) string {
	b.t.Helper()
	return run(b, "read the value of "+selector, chromedp.Value(chromedp.CSS(selector)))
}

// WaitVisible waits until the element selector names is visible.
func (b *Browser) WaitVisible(selector string) {
	b.t.Helper()
	b.step("wait for "+selector+" to be visible", chromedp.WaitVisible(chromedp.CSS(selector)))
}

// Has reports whether the page has an element selector names right now, without
// waiting.
func (b *Browser) Has(selector string) bool {
	b.t.Helper()
	return run(b, "look for "+selector, chromedp.Evaluate[bool]("document.querySelector("+jsString(selector)+") !== null"))
}

// Location returns the URL of the current page.
func (b *Browser) Location() string {
	b.t.Helper()
	return run(b, "read the location", chromedp.Location())
}

// HTML returns the current document's markup.
func (b *Browser) HTML() string {
	b.t.Helper()
	return run(b, "read the page HTML", chromedp.OuterHTML(chromedp.CSS("html")))
}

// Screenshot returns a full-page PNG of the current page; name only labels errors.
func (b *Browser) Screenshot(name string) []byte {
	b.t.Helper()
	return run(b, "screenshot "+name, chromedp.FullScreenshot(100))
}

// Cookies returns the cookies the browser would send to the current page.
func (b *Browser) Cookies() []*network.Cookie {
	b.t.Helper()
	return run(b, "read cookies", func(ctx context.Context, t *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{})
		return res.Cookies, err
	})
}

// Console returns the console messages and uncaught exceptions seen so far, one a line
// as "type url:line text".
func (b *Browser) Console() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// KeepScreenshot saves a full-page screenshot and the HTML of the current page in the
// artifacts folder, whether or not the test fails, and returns the PNG's path.
func (b *Browser) KeepScreenshot(name string) string {
	b.t.Helper()
	return b.saveArtifacts(name)
}

// saveArtifacts writes <test>[-name].png, .html and, for a failure, .log (console and
// browser output) to the artifacts folder. Errors are logged, never fatal: this runs
// while a failed test is being cleaned up.
func (b *Browser) saveArtifacts(name string) string {
	dir, err := ArtifactsDir()
	if err != nil {
		b.t.Logf("browser: no artifacts folder: %v", err)
		return ""
	}
	base := fileName(b.t.Name())
	if name != "" {
		base += "-" + fileName(name)
	}
	stem := filepath.Join(dir, base)
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	var saved []string
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		b.t.Logf("browser: screenshot for artifacts: %v", err)
	} else if err := os.WriteFile(stem+".png", png, 0o644); err != nil {
		b.t.Logf("browser: save screenshot: %v", err)
	} else {
		saved = append(saved, stem+".png")
	}
	if html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err != nil {
		b.t.Logf("browser: page HTML for artifacts: %v", err)
	} else if err := os.WriteFile(stem+".html", []byte(html), 0o644); err != nil {
		b.t.Logf("browser: save page HTML: %v", err)
	} else {
		saved = append(saved, stem+".html")
	}
	if name == "" {
		var log strings.Builder
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		fmt.Fprintf(&log, "page: %s\n\nconsole:\n", loc)
		for _, line := range b.Console() {
			fmt.Fprintln(&log, line)
		}
		fmt.Fprintf(&log, "\nchromium output:\n%s", b.output.String())
		if err := os.WriteFile(stem+".log", []byte(log.String()), 0o644); err == nil {
			saved = append(saved, stem+".log")
		}
	}
	if len(saved) == 0 {
		return ""
	}
	if name == "" {
		b.t.Logf("browser: the test failed; page saved to %s", strings.Join(saved, ", "))
	} else {
		b.t.Logf("browser: screenshot %q saved to %s", name, saved[0])
	}
	if strings.HasSuffix(saved[0], ".png") {
		return saved[0]
	}
	return ""
}

// ArtifactsDir returns (and creates) the folder tests leave artifacts in:
// KONTOR_TEST_ARTIFACTS, else e2e/artifacts in the repository (gitignored).
func ArtifactsDir() (string, error) {
	dir := os.Getenv("KONTOR_TEST_ARTIFACTS")
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "e2e", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return filepath.Abs(dir)
}

// repoRoot walks up from the working directory (the package under test) to go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// jsString quotes s as a JavaScript string literal (a JSON string is one).
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fileName turns a test name such as "TestX/sub case" into "TestX_sub_case".
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		}
		return '_'
	}, s)
}

// boundedBuffer keeps the first max bytes written to it; Chromium can be chatty.
type boundedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (w *boundedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (w *boundedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
