package web

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// FlashCookie is the cookie that carries flash messages from the request that
// sets them (usually a POST that redirects) to the page that shows them.
const FlashCookie = "kontor_flash"

const (
	// flashLocal keeps this request's pending messages, so several SetFlash
	// calls append and a TakeFlash in the same request sees them.
	flashLocal = "web.flash"
	// flashMaxAge bounds how long an unshown message may wait: a message
	// about something done ten minutes ago is no longer news.
	flashMaxAge = 10 * 60
	// flashMaxBytes keeps the cookie well under the 4 KiB browsers accept;
	// the oldest messages are dropped first.
	flashMaxBytes = 3000
	// flashMaxMessage bounds one message, in bytes.
	flashMaxMessage = 500
)

// flashState is the request's view of the flash cookie.
type flashState struct {
	items []Flash
	// present says the browser holds the cookie, because the request sent
	// it or this response set it, so taking the messages must clear it.
	present bool
}

// SetFlash queues f to be shown on the next page rendered for this browser.
// Messages set in one request accumulate. An unknown Kind is shown as info.
func SetFlash(c *fiber.Ctx, f Flash) {
	st := flashFor(c)
	f.Kind = normalKind(f.Kind)
	if len(f.Message) > flashMaxMessage {
		f.Message = truncateUTF8(f.Message, flashMaxMessage)
	}
	st.items = append(st.items, f)
	value := encodeFlash(st.items)
	for len(value) > flashMaxBytes && len(st.items) > 1 {
		st.items = st.items[1:]
		value = encodeFlash(st.items)
	}
	st.present = true
	c.Cookie(&fiber.Cookie{
		Name:     FlashCookie,
		Value:    value,
		Path:     "/",
		MaxAge:   flashMaxAge,
		Secure:   c.Protocol() == "https",
		HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// TakeFlash returns the pending flash messages and clears them, so each is
// shown once. A cookie that cannot be decoded is dropped silently: the worst
// it can cost is a missed message, never a failed page.
func TakeFlash(c *fiber.Ctx) []Flash {
	st := flashFor(c)
	items := st.items
	st.items = nil
	if st.present {
		st.present = false
		c.Cookie(&fiber.Cookie{
			Name:     FlashCookie,
			Value:    "",
			Path:     "/",
			Expires:  time.Unix(0, 0),
			Secure:   c.Protocol() == "https",
			HTTPOnly: true,
			SameSite: fiber.CookieSameSiteLaxMode,
		})
	}
	return items
}

// flashFor returns this request's flash state, reading the cookie the first
// time it is asked for.
func flashFor(c *fiber.Ctx) *flashState {
	if st, ok := c.Locals(flashLocal).(*flashState); ok {
		return st
	}
	raw := c.Cookies(FlashCookie)
	st := &flashState{present: raw != ""}
	st.items = decodeFlash(raw)
	c.Locals(flashLocal, st)
	return st
}

// encodeFlash turns messages into a cookie value: JSON in unpadded base64url,
// which needs no quoting in a cookie.
func encodeFlash(items []Flash) string {
	b, err := json.Marshal(items)
	if err != nil {
		// A []Flash of strings always marshals.
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeFlash reads a cookie value written by encodeFlash; anything else
// yields no messages. Padding is tolerated in case a proxy or an older
// release added it.
func decodeFlash(raw string) []Flash {
	if raw == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(raw, "="))
	if err != nil {
		return nil
	}
	var items []Flash
	if err := json.Unmarshal(b, &items); err != nil {
		return nil
	}
	out := items[:0]
	for _, f := range items {
		if strings.TrimSpace(f.Message) == "" {
			continue
		}
		f.Kind = normalKind(f.Kind)
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// normalKind maps a Kind to one the layout styles, defaulting to info.
func normalKind(kind string) string {
	switch kind {
	case FlashSuccess, FlashError, FlashInfo:
		return kind
	default:
		return FlashInfo
	}
}

// truncateUTF8 shortens s to at most n bytes without splitting a rune.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
