package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kontor-app/kontor/e2e/harness"
)

// headerBox is where the header's parts are on the page, as the browser lays
// them out.
type headerBox struct {
	Header, Brand, Button rect
	// ButtonShown and WideShown report whether the Menu button and the wide
	// navigation row are displayed at all.
	ButtonShown, WideShown bool
	// Open reports whether the Menu disclosure is open.
	Open bool
	// Links are the panel's links and the logout button that are visible.
	Links []string
	// Current is the href of the panel link marked aria-current="page".
	Current string
	// Outside lists visible panel items not wholly inside the viewport.
	Outside []string
	// CSRF is the value of the logout form's CSRF field in the panel.
	CSRF string
}

type rect struct {
	Top, Bottom, Left, Right, Height float64
}

// headerScript measures the header: the boxes of the header, the brand and the
// Menu button, what of the navigation shows, and the open panel's items.
const headerScript = `(() => {
  const box = (el) => { if (!el) return {}; const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height}; };
  const shown = (el) => !!el && getComputedStyle(el).display !== 'none' && el.getBoundingClientRect().height > 0;
  const menu = document.querySelector('details.nav-menu');
  const panel = document.querySelector('.nav-menu__panel');
  const links = [], outside = [];
  let current = '';
  if (panel) {
    for (const el of panel.querySelectorAll('a[href], button')) {
      const r = el.getBoundingClientRect();
      // A closed <details> keeps its content laid out but not rendered.
      if (r.width === 0 || r.height === 0 || el.closest('details:not([open])') || !el.checkVisibility()) continue;
      const name = el.tagName === 'A' ? el.getAttribute('href') : el.textContent.trim().replace(/\s+/g, ' ');
      links.push(name);
      if (r.left < -0.5 || r.right > window.innerWidth + 0.5) outside.push(name + ' [' + Math.round(r.left) + '..' + Math.round(r.right) + ']');
      if (el.getAttribute('aria-current') === 'page') current = name;
    }
  }
  const csrf = panel && panel.querySelector('form[action="/logout"] input[name="_csrf"]');
  return {header: box(document.querySelector('header.site-header')), brand: box(document.querySelector('header .brand')),
    button: box(document.querySelector('summary.nav-menu__button')), buttonShown: shown(document.querySelector('summary.nav-menu__button')),
    wideShown: shown(document.querySelector('.site-nav--wide')), open: !!menu && menu.open, links: links, current: current,
    outside: outside, csrf: csrf ? csrf.value : ''};
})()`

// TestPhoneHeaderFitsOneRowWithAMenu holds the signed-in header to one row on a
// 390 px phone, in the light and the dark scheme: the brand and the Menu button
// share the row, the wide navigation is not shown, and nothing scrolls sideways.
// Opening the menu with a click lists every page and Log out (with its CSRF
// field), the current page marked, all inside the viewport and with no axe-core
// violation; a link in it navigates, and Log out from it logs out. The menu also
// opens from the keyboard with a visible focus ring. At 1366 px the Menu button
// is hidden and the navigation row shows on the brand's row, as it does at
// 820 px. Screenshots of each
// state go to the artifacts folder.
func TestPhoneHeaderFitsOneRowWithAMenu(t *testing.T) {
	axeSource, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	inst := start(t, harness.Options{})
	email := newEmail("menu")
	inst.Client().Post(t, "/api/v1/auth/register", map[string]any{"email": email, "password": password, "name": "Grace Brewster Murray Hopper"}).
		Expect(t, http.StatusCreated)
	b := harness.NewBrowser(t)
	b.BaseURL = inst.BaseURL
	logIn(t, b, email, password)

	measure := func() headerBox { return evaluate[headerBox](t, b, headerScript) }
	shot := func(name string) { t.Logf("screenshot %s", b.KeepScreenshot(name)) }
	want := []string{"/", "/accounts", "/connections", "/settings"}

	for _, scheme := range []string{"light", "dark"} {
		t.Run(scheme, func(t *testing.T) {
			emulate(t, b, 390, 844, true, scheme)
			if status := b.Navigate("/accounts"); status != http.StatusOK {
				t.Fatalf("GET /accounts: %d", status)
			}
			h := measure()
			if !h.ButtonShown || h.WideShown {
				t.Fatalf("at 390 px: Menu button shown %v, navigation row shown %v; want the button only", h.ButtonShown, h.WideShown)
			}
			// One row: the button beside the brand, and the header not as tall as
			// two rows of it.
			if h.Button.Top >= h.Brand.Bottom || h.Brand.Top >= h.Button.Bottom {
				t.Errorf("the Menu button (%+v) is not on the brand's row (%+v)", h.Button, h.Brand)
			}
			if h.Header.Height >= 2*max(h.Button.Height, h.Brand.Height) {
				t.Errorf("the header is %.0f px tall: more than one row (brand %.0f px, button %.0f px)", h.Header.Height, h.Brand.Height, h.Button.Height)
			}
			if h.Button.Right > 390.5 {
				t.Errorf("the Menu button ends at %.0f px, off a 390 px screen", h.Button.Right)
			}
			if len(h.Links) != 0 || h.Open {
				t.Errorf("the menu is open before anyone opened it: %v", h.Links)
			}
			if why := measureLayout(t, b, 390).overflows(390); why != "" {
				t.Errorf("closed menu: scrolls sideways: %s", why)
			}
			if v := runAxe(t, b, string(axeSource)); len(v) != 0 {
				t.Errorf("closed menu: axe-core: %+v", v)
			}
			shot("390-" + scheme + "-closed")

			b.Click(`summary.nav-menu__button`)
			b.WaitVisible(`.nav-menu__panel a[href="/settings"]`)
			h = measure()
			if !h.Open {
				t.Fatal("clicking Menu did not open it")
			}
			for _, href := range want {
				if !slices.Contains(h.Links, href) {
					t.Errorf("the open menu lacks %s: %v", href, h.Links)
				}
			}
			if len(h.Links) != len(want)+1 || !strings.HasPrefix(h.Links[len(h.Links)-1], "Log out") {
				t.Errorf("the open menu lists %v, want %v and Log out last", h.Links, want)
			}
			if h.Current != "/accounts" {
				t.Errorf("aria-current=page is on %q, want /accounts", h.Current)
			}
			if h.CSRF == "" {
				t.Error("the menu's logout form has no CSRF token")
			}
			for _, o := range h.Outside {
				t.Errorf("open menu: outside the viewport: %s", o)
			}
			if why := measureLayout(t, b, 390).overflows(390); why != "" {
				t.Errorf("open menu: scrolls sideways: %s", why)
			}
			if v := runAxe(t, b, string(axeSource)); len(v) != 0 {
				t.Errorf("open menu: axe-core: %+v", v)
			}
			shot("390-" + scheme + "-open")

			if status := b.Submit(`.nav-menu__panel a[href="/settings"]`); status != http.StatusOK {
				t.Fatalf("the menu's Settings link answered %d", status)
			}
			if loc := b.Location(); !strings.HasSuffix(loc, "/settings") {
				t.Fatalf("the menu's Settings link led to %s", loc)
			}
			if h := measure(); h.Open {
				// The new page starts with the menu closed.
				t.Errorf("after navigating the menu is open (%v)", h.Links)
			}
			b.Click(`summary.nav-menu__button`)
			b.WaitVisible(`.nav-menu__panel a[href="/settings"]`)
			if h := measure(); h.Current != "/settings" {
				t.Errorf("on /settings aria-current=page is on %q", h.Current)
			}

			// From the keyboard: Tab past the skip link and the brand to the
			// button, which shows its focus ring; Enter closes and opens it.
			b.Navigate("/accounts")
			ctx, cancel := context.WithTimeout(b.Context(), harness.StepTimeout)
			defer cancel()
			if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab)); err != nil {
				t.Fatal(err)
			}
			focus := evaluate[map[string]string](t, b, `(() => { const el = document.activeElement; const s = getComputedStyle(el);
  return {cls: el.className, visible: String(el.matches(':focus-visible')), outline: s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor}; })()`)
			if focus["cls"] != "nav-menu__button" || focus["visible"] != "true" || strings.HasPrefix(focus["outline"], "none") {
				t.Errorf("the third Tab focuses %q, focus-visible %s, outline %s; want the Menu button with a ring", focus["cls"], focus["visible"], focus["outline"])
			}
			if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
				t.Fatal(err)
			}
			if h := measure(); !h.Open || len(h.Links) != len(want)+1 {
				t.Errorf("Enter on the Menu button: open %v, links %v", h.Open, h.Links)
			}
			shot("390-" + scheme + "-keyboard")
			// With JavaScript, Escape closes it and focus returns to the button.
			if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape)); err != nil {
				t.Fatal(err)
			}
			if h := measure(); h.Open {
				t.Error("Escape left the menu open")
			}
			if cls := evaluate[string](t, b, `document.activeElement.className`); cls != "nav-menu__button" {
				t.Errorf("after Escape the focus is on %q, want the Menu button", cls)
			}

			// From 800 px (a small tablet) up, the navigation row stays beside the
			// brand as it always was.
			for _, width := range []int64{820, 1366} {
				emulate(t, b, width, 900, false, scheme)
				b.Navigate("/accounts")
				h = measure()
				if h.ButtonShown || !h.WideShown {
					t.Errorf("at %d px: Menu button shown %v, navigation row shown %v; want the row only", width, h.ButtonShown, h.WideShown)
				}
				for _, href := range want {
					b.WaitVisible(`.site-nav--wide a[href="` + href + `"]`)
				}
				b.WaitVisible(logoutButton)
				row := evaluate[rect](t, b, `(() => { const r = document.querySelector('.site-nav--wide form[action="/logout"] button').getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height}; })()`)
				if row.Top >= h.Brand.Bottom || h.Brand.Top >= row.Bottom {
					t.Errorf("at %d px Log out (%+v) wrapped below the brand (%+v)", width, row, h.Brand)
				}
				shot(fmt.Sprintf("%d-%s", width, scheme))
			}
		})
	}

	// Log out from the menu; the signed-out header keeps Log in and Register on
	// the brand's row at 390 px.
	emulate(t, b, 390, 844, true, "light")
	b.Navigate("/accounts")
	b.Click(`summary.nav-menu__button`)
	if status := b.Submit(`.nav-menu__panel form[action="/logout"] button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("Log out from the menu answered %d", status)
	}
	if b.Has(`form[action="/logout"]`) {
		t.Fatal("still logged in after Log out from the menu")
	}
	guest := evaluate[map[string]rect](t, b, `(() => { const box = (el) => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height}; };
  return {header: box(document.querySelector('header.site-header')), brand: box(document.querySelector('header .brand')),
    register: box(document.querySelector('header a[href="/register"]'))}; })()`)
	if r, br := guest["register"], guest["brand"]; r.Top >= br.Bottom || br.Top >= r.Bottom || r.Right > 390.5 {
		t.Errorf("signed out at 390 px: Register (%+v) is not on the brand's row (%+v) or off screen", r, br)
	}
	shot("390-light-signed-out")
}

// TestBrowserTooManyLoginsKeepTheForm: on a phone, the 6th login from one IP
// within the AUTH limit (5 at once) answers 429 with the login form again: the
// e-mail address still typed, the password empty, the error summary saying how
// long to wait in words and taking the focus, and no axe-core violation, in the
// light and the dark scheme.
func TestBrowserTooManyLoginsKeepTheForm(t *testing.T) {
	axeSource, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	inst := start(t, harness.Options{RateLimits: true})
	b := harness.NewBrowser(t)
	b.BaseURL = inst.BaseURL
	emulate(t, b, 390, 844, true, "light")
	email := newEmail("nobody")
	b.Navigate("/login")
	for i := range 5 {
		b.Fill(loginForm+` input[name="email"]`, email)
		b.Fill(loginForm+` input[name="password"]`, "not the password")
		if status := b.Submit(loginForm + ` button[type="submit"]`); status != http.StatusUnauthorized {
			t.Fatalf("login %d answered %d, want 401", i+1, status)
		}
	}
	// The 6th login, and a 7th in the dark scheme (the page is loaded in the
	// scheme it is checked in, so no colour is caught mid-transition).
	for _, scheme := range []string{"light", "dark"} {
		emulate(t, b, 390, 844, true, scheme)
		// A slow machine may have earned a token back (one every 12 s): a 401
		// spends it, and the next try is refused again.
		status := 0
		for try := 0; try < 3 && status != http.StatusTooManyRequests; try++ {
			b.Fill(loginForm+` input[name="email"]`, email)
			b.Fill(loginForm+` input[name="password"]`, "not the password")
			status = b.Submit(loginForm + ` button[type="submit"]`)
		}
		if status != http.StatusTooManyRequests {
			t.Fatalf("%s: the login after five answered %d, want 429", scheme, status)
		}
		if got := b.Value(loginForm + ` input[name="email"]`); got != email {
			t.Errorf("%s: the e-mail field holds %q, want %q", scheme, got, email)
		}
		if got := b.Value(loginForm + ` input[name="password"]`); got != "" {
			t.Errorf("%s: the password field was filled in again: %q", scheme, got)
		}
		if msg := b.Text(formErrors); !strings.Contains(msg, "Please wait") || !strings.Contains(msg, "Too many attempts. Try again in ") || !strings.Contains(msg, "second") {
			t.Errorf("%s: the error summary says %q", scheme, msg)
		}
		if id := evaluate[string](t, b, `document.activeElement.id`); id != "form-errors" {
			t.Errorf("%s: the focus is on %q, want the error summary", scheme, id)
		}
		if why := measureLayout(t, b, 390).overflows(390); why != "" {
			t.Errorf("%s: the 429 page scrolls sideways: %s", scheme, why)
		}
		if v := runAxe(t, b, string(axeSource)); len(v) != 0 {
			t.Errorf("%s: axe-core: %+v", scheme, v)
		}
		t.Logf("screenshot %s", b.KeepScreenshot("390-"+scheme))
	}
}
