package secretbox_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/secretbox"
)

var (
	keyA = []byte("0123456789abcdef0123456789abcdef-key-a")
	keyB = []byte("fedcba9876543210fedcba9876543210-key-b")
)

func mustNew(t *testing.T, cur []byte, prev ...[]byte) *secretbox.Box {
	t.Helper()
	b, err := secretbox.New(cur, prev...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	b := mustNew(t, keyA)
	for _, plain := range []string{"", "x", "https://user123:pass456@bridge.simplefin.org/simplefin", strings.Repeat("é", 5000)} {
		sealed, err := b.Seal([]byte(plain), []byte("connection-1"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.Open(sealed, []byte("connection-1"))
		if err != nil || string(got) != plain {
			t.Fatalf("round trip of %d bytes: %q, %v", len(plain), got, err)
		}
		s, err := b.SealString(plain, "connection-1")
		if err != nil {
			t.Fatal(err)
		}
		if gs, err := b.OpenString(s, "connection-1"); err != nil || gs != plain {
			t.Fatalf("string round trip: %q, %v", gs, err)
		}
	}
}

func TestSealIsRandomisedAndHidesPlaintext(t *testing.T) {
	b := mustNew(t, keyA)
	secret := "https://user123:pass456@bridge.simplefin.org/simplefin"
	s1, _ := b.SealString(secret, "c1")
	s2, _ := b.SealString(secret, "c1")
	if s1 == s2 {
		t.Fatal("two seals of one plaintext are equal: the nonce is not random")
	}
	raw, _ := b.Seal([]byte(secret), []byte("c1"))
	for _, part := range []string{"user123", "pass456", "simplefin", "bridge"} {
		if strings.Contains(s1, part) || bytes.Contains(raw, []byte(part)) {
			t.Fatalf("sealed value shows %q", part)
		}
	}
}

func TestTamperingIsDetected(t *testing.T) {
	b := mustNew(t, keyA)
	sealed, _ := b.Seal([]byte("access token"), []byte("c1"))
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := b.Open(bad, []byte("c1")); err == nil {
			t.Fatalf("flipping a bit of byte %d went unnoticed", i)
		}
	}
	if _, err := b.Open(sealed[:len(sealed)-1], []byte("c1")); !errors.Is(err, secretbox.ErrOpen) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := b.Open(sealed[:5], []byte("c1")); !errors.Is(err, secretbox.ErrMalformed) {
		t.Fatalf("short: %v", err)
	}
	if _, err := b.OpenString("not base64 !!", "c1"); !errors.Is(err, secretbox.ErrMalformed) {
		t.Fatalf("not base64: %v", err)
	}
}

func TestWrongAssociatedDataDoesNotOpen(t *testing.T) {
	b := mustNew(t, keyA)
	sealed, _ := b.Seal([]byte("access token"), []byte("connection-1"))
	for _, ad := range []string{"connection-2", "", "connection-1 "} {
		if _, err := b.Open(sealed, []byte(ad)); !errors.Is(err, secretbox.ErrOpen) {
			t.Fatalf("associated data %q: %v", ad, err)
		}
	}
}

func TestRotation(t *testing.T) {
	old := mustNew(t, keyA)
	sealedOld, _ := old.Seal([]byte("old secret"), []byte("c1"))

	rotated := mustNew(t, keyB, keyA)
	if got, err := rotated.Open(sealedOld, []byte("c1")); err != nil || string(got) != "old secret" {
		t.Fatalf("the previous key does not open: %q %v", got, err)
	}
	if !rotated.NeedsRotation(sealedOld) {
		t.Fatal("a value sealed with the previous key does not report NeedsRotation")
	}
	sealedNew, _ := rotated.Seal([]byte("new secret"), []byte("c1"))
	if rotated.NeedsRotation(sealedNew) {
		t.Fatal("a value sealed with the current key reports NeedsRotation")
	}
	// The new value is sealed with the new key: the old Box cannot open it, a Box
	// holding only the new key can.
	if _, err := old.Open(sealedNew, []byte("c1")); !errors.Is(err, secretbox.ErrUnknownKey) {
		t.Fatalf("old box opening a new value: %v", err)
	}
	if got, err := mustNew(t, keyB).Open(sealedNew, []byte("c1")); err != nil || string(got) != "new secret" {
		t.Fatalf("new key alone: %q %v", got, err)
	}
	// Once the old key is dropped, old values report a precise error.
	if _, err := mustNew(t, keyB).Open(sealedOld, []byte("c1")); !errors.Is(err, secretbox.ErrUnknownKey) {
		t.Fatalf("dropped key: %v", err)
	}
	if mustNew(t, keyA).KeyID() == mustNew(t, keyB).KeyID() || mustNew(t, keyA).KeyID() != old.KeyID() {
		t.Fatal("key ids are not stable per key")
	}
}

func TestShortSecretRefused(t *testing.T) {
	if _, err := secretbox.New([]byte("short")); !errors.Is(err, secretbox.ErrShortSecret) {
		t.Fatalf("short current: %v", err)
	}
	if _, err := secretbox.New(keyA, []byte("short")); !errors.Is(err, secretbox.ErrShortSecret) {
		t.Fatalf("short previous: %v", err)
	}
}

func TestModule(t *testing.T) {
	var b *secretbox.Box
	app := fxtest.New(t, secretbox.Module, fx.Supply(config.Config{SecretKey: string(keyA)}), fx.Populate(&b))
	app.RequireStart().RequireStop()
	sealed, _ := mustNew(t, keyA).Seal([]byte("v"), nil)
	if got, err := b.Open(sealed, nil); err != nil || string(got) != "v" {
		t.Fatalf("module box: %q %v", got, err)
	}
	err := fx.New(secretbox.Module, fx.Supply(config.Config{}), fx.Invoke(func(*secretbox.Box) {}), fx.NopLogger).Err()
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Setting != "KONTOR_SECRET_KEY" {
		t.Fatalf("empty secret: %v", err)
	}
}
