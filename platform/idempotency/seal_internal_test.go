package idempotency

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

// TestFirstVersionBodiesStillOpen: answers stored by the first sealing version (no
// key id) in the 24 hours before an upgrade replay after it, under the current secret
// or a previous one; under neither they are unreadable, not an error.
func TestFirstVersionBodiesStillOpen(t *testing.T) {
	oldKey, newKey := strings.Repeat("o", 40), strings.Repeat("n", 40)
	aead := legacyAEAD(oldKey)
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	raw := aead.Seal(append(bytes.Clone(legacyPrefix), nonce...), nonce, []byte(`{"secret":1}`), additionalData("u:1", "k"))

	for name, opt := range map[string]Option{"same secret": WithSecret(oldKey), "kept as previous": WithSecret(newKey, oldKey)} {
		s := NewStore(nil, opt)
		if body, err := s.open("u:1", "k", raw); err != nil || string(body) != `{"secret":1}` {
			t.Errorf("%s: %q %v", name, body, err)
		}
	}
	if _, err := NewStore(nil, WithSecret(newKey)).open("u:1", "k", raw); !errors.Is(err, errUnreadable) {
		t.Errorf("without the old secret: %v, want errUnreadable", err)
	}
	if _, err := NewStore(nil, WithSecret(oldKey)).open("u:2", "k", raw); !errors.Is(err, errUnreadable) {
		t.Errorf("moved to another scope: %v, want errUnreadable", err)
	}
}
