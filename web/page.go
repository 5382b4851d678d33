package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
)

// Version is the build's version, shown in the footer. main sets it at
// start-up.
var Version = "dev"

// CSRFLocal is the fiber.Ctx Locals key under which the CSRF middleware
// stores the request's token as a string.
const CSRFLocal = httpserver.CSRFLocal

// CSRFFieldName is the form field that carries the CSRF token in a POST.
const CSRFFieldName = "_csrf"

// requestIDLocal is the Locals key of fiber's requestid middleware.
const requestIDLocal = "requestid"

// FlashSuccess, FlashError and FlashInfo are the kinds of Flash message the
// layout knows how to show; each has its own colour, icon and ARIA role.
const (
	FlashSuccess = "success"
	FlashError   = "error"
	FlashInfo    = "info"
)

// Flash is a one-time message shown on the next page a person sees, such as
// "Account created". Kind is FlashSuccess, FlashError or FlashInfo.
type Flash struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// User is what the layout needs to know about the signed-in person.
type User struct {
	Name  string
	Email string
}

// DisplayName returns the person's name, or their email address when they
// have not given a name.
func (u User) DisplayName() string {
	if strings.TrimSpace(u.Name) != "" {
		return u.Name
	}
	return u.Email
}

// PageMeta is everything the Layout needs besides the page's own content.
// Build it with Meta in a handler; tests may fill it by hand.
type PageMeta struct {
	// Title is the page's own title; the layout appends " · Kontor".
	Title string
	// User is the signed-in person, or nil for a visitor.
	User *User
	// Flash holds the messages to show once, at the top of the page.
	Flash []Flash
	// CSRFToken goes into the logout form and the csrf-token meta tag.
	CSRFToken string
	// Path is the request path, used to mark the current navigation item.
	Path string
	// RequestID lets a person quote a reference when something went wrong.
	RequestID string
	// Version is the build version shown in the footer.
	Version string
	// HTMX loads htmx (and its configuration) on the page; only pages that use
	// hx- attributes set it, so the others do not download it.
	HTMX bool
}

// Meta gathers a page's PageMeta from the request: the Subject that
// authentication put in the user context, the CSRF token and request id the
// middleware left in Locals, the path, the build Version, and the pending
// flash messages. Reading the flash messages consumes them, so call Meta once
// per rendered page, and only for a page that is rendered.
func Meta(c *fiber.Ctx, title string) PageMeta {
	m := PageMeta{
		Title:   title,
		Path:    c.Path(),
		Version: Version,
		Flash:   TakeFlash(c),
	}
	if s, ok := authn.FromContext(c.UserContext()); ok {
		m.User = &User{Name: s.Name, Email: s.Email}
	}
	if tok, ok := c.Locals(CSRFLocal).(string); ok {
		m.CSRFToken = tok
	}
	if rid, ok := c.Locals(requestIDLocal).(string); ok && rid != "" {
		m.RequestID = rid
	} else {
		// The requestid middleware also answers with the header; it is the
		// fallback when the middleware was configured with another key.
		m.RequestID = c.GetRespHeader(fiber.HeaderXRequestID)
	}
	return m
}

// fullTitle is the document title: the page's title, then the product name.
func (m PageMeta) fullTitle() string {
	// The landing page is titled "Kontor" itself: not "Kontor · Kontor".
	if t := strings.TrimSpace(m.Title); t == "" || t == "Kontor" {
		return "Kontor"
	}
	return m.Title + " · Kontor"
}

// versionLabel is the version shown in the footer; it falls back to the
// package Version when the PageMeta was built by hand without one.
func (m PageMeta) versionLabel() string {
	if m.Version != "" {
		return m.Version
	}
	return Version
}

// navCurrent returns the aria-current value for a navigation link to href:
// "page" on that exact page, "true" anywhere below it, "" elsewhere. The home
// page is current only on "/" itself.
func (m PageMeta) navCurrent(href string) string {
	path := m.Path
	if len(path) > 1 {
		path = strings.TrimRight(path, "/")
	}
	switch {
	case path == href:
		return "page"
	case href != "/" && strings.HasPrefix(path, href+"/"):
		return "true"
	default:
		return ""
	}
}
