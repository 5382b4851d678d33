package app

import (
	"encoding/base64"
	"testing"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/apperr"
)

// FuzzDecodeCursor feeds arbitrary text to the cursor decoder, as a client may send in
// ?cursor=: it must never panic, every refusal is 400 invalid_cursor, and a cursor it
// accepts re-encodes to one that decodes to the same position.
func FuzzDecodeCursor(f *testing.F) {
	id := uuid.MustParse("0190c5a8-1d2e-7f00-8000-000000000001")
	for _, s := range []string{
		"", "x", "!!!", "====", "e30", "bnVsbA", "W10",
		encodeCursor("accounts", "-balance", "12.50", id),
		encodeCursor("accounts", "", "", id),
		encodeCursor("transactions", "", "2026-01-01T00:00:00Z", id),
		encodeCursor("accounts", "-balance", "'; DROP TABLE accounts; --", id),
		"eyJrIjoiYWNjb3VudHMiLCJzIjoiLWJhbGFuY2UiLCJ2IjoiMSIsImkiOiJub3QtYS11dWlkIn0",
	} {
		f.Add(s, "accounts", "-balance")
	}
	f.Fuzz(func(t *testing.T, s, kind, sort string) {
		pos, err := decodeCursor(s, kind, sort)
		if err != nil {
			if !apperr.Is(err, apperr.InvalidCursor) {
				t.Fatalf("decodeCursor(%q) = %v, want invalid_cursor", s, err)
			}
			if apperr.Status(apperr.CodeOf(err)) != 400 {
				t.Fatalf("invalid_cursor maps to %d, want 400", apperr.Status(apperr.CodeOf(err)))
			}
			return
		}
		if s == "" {
			if pos != nil {
				t.Fatalf("empty cursor gave position %+v", pos)
			}
			return
		}
		if pos == nil {
			t.Fatalf("decodeCursor(%q) accepted but returned no position", s)
		}
		again, err := decodeCursor(encodeCursor(kind, sort, pos.Value, pos.ID), kind, sort)
		if !utf8.ValidString(pos.Value) {
			// encoding/json replaces invalid UTF-8 on the way out, so such a value cannot
			// come back unchanged; it cannot come from a cursor we handed out either.
			return
		}
		if err != nil || again == nil || again.Value != pos.Value || again.ID != pos.ID {
			t.Fatalf("re-encoded cursor of %+v decodes to %+v, %v", pos, again, err)
		}
	})
}

// FuzzCursorRoundTrip checks that every cursor the server hands out decodes to the
// position it was made from, whatever the keyset value holds.
func FuzzCursorRoundTrip(f *testing.F) {
	f.Add("accounts", "-balance", "12.50", []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add("transactions", "", "2026-11-29T00:00:00.123456Z", make([]byte, 16))
	f.Add("accounts", "name", "Ünïcødé \"quoted\" \\ back\x00slash", []byte("0123456789abcdef"))
	f.Fuzz(func(t *testing.T, kind, sort, value string, raw []byte) {
		if len(raw) < 16 || !utf8.ValidString(kind) || !utf8.ValidString(sort) || !utf8.ValidString(value) {
			return
		}
		var id uuid.UUID
		copy(id[:], raw)
		c := encodeCursor(kind, sort, value, id)
		pos, err := decodeCursor(c, kind, sort)
		if base64.RawURLEncoding.DecodedLen(len(c)) > 1024 {
			// Long values may exceed the decoder's size bound; they must be refused cleanly.
			if err != nil && !apperr.Is(err, apperr.InvalidCursor) {
				t.Fatalf("long cursor: %v", err)
			}
			return
		}
		if err != nil || pos == nil || pos.Value != value || pos.ID != id {
			t.Fatalf("round trip of (%q,%q,%q,%s) = %+v, %v", kind, sort, value, id, pos, err)
		}
	})
}
