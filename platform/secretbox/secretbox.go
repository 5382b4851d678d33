// Package secretbox seals secrets at rest (provider tokens, SimpleFIN access URLs) with
// AES-256-GCM. The key is derived from KONTOR_SECRET_KEY with HKDF-SHA256, and every
// ciphertext names the key that sealed it, so the secret key can be rotated: a Box made
// with the new key and the old ones opens everything and seals with the new key only.
//
// A sealed value is
//
//	version (1 byte, 1) | key id (8 bytes) | nonce (12 bytes) | AES-256-GCM ciphertext and tag
//
// where the key id is the first 8 bytes of SHA-256 over the derived key (it identifies
// the key without revealing anything usable about it). The associated data given to
// Seal binds a ciphertext to its row (a connection id, say): the same associated data
// must be given to Open, so a sealed value copied onto another row does not open.
// The version byte and key id are authenticated too.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"go.uber.org/fx"
	"golang.org/x/crypto/hkdf"

	"github.com/kontor-app/kontor/platform/config"
)

// Info is the HKDF info string; changing it changes every derived key.
const Info = "kontor secretbox v1"

// MinSecretLen is the shortest secret New accepts, as config requires of KONTOR_SECRET_KEY.
const MinSecretLen = 32

const (
	version   = 1
	keyIDLen  = 8
	nonceLen  = 12
	headerLen = 1 + keyIDLen + nonceLen
)

var (
	// ErrShortSecret is returned by New for a secret shorter than MinSecretLen.
	ErrShortSecret = fmt.Errorf("secretbox: the secret key must be at least %d bytes", MinSecretLen)
	// ErrMalformed means the value is not a sealed value of a known version.
	ErrMalformed = errors.New("secretbox: not a sealed value")
	// ErrUnknownKey means the value was sealed with a key this Box does not hold (a
	// secret key that was rotated out, or another installation's).
	ErrUnknownKey = errors.New("secretbox: sealed with a key this server does not hold")
	// ErrOpen means the value was altered, or the associated data differs from the
	// one it was sealed with.
	ErrOpen = errors.New("secretbox: the value does not open: altered, or sealed for another row")
)

// Box seals with its current key and opens with the current or any previous key. It is
// safe for concurrent use.
type Box struct {
	current keyEntry
	keys    map[[keyIDLen]byte]cipher.AEAD
}

type keyEntry struct {
	id   [keyIDLen]byte
	aead cipher.AEAD
}

// New returns a Box sealing with the key derived from current and opening with it and
// with the keys derived from previous (older secret keys, kept while rotating).
func New(current []byte, previous ...[]byte) (*Box, error) {
	cur, err := derive(current)
	if err != nil {
		return nil, err
	}
	b := &Box{current: cur, keys: map[[keyIDLen]byte]cipher.AEAD{cur.id: cur.aead}}
	for _, p := range previous {
		e, err := derive(p)
		if err != nil {
			return nil, fmt.Errorf("previous key: %w", err)
		}
		if _, ok := b.keys[e.id]; !ok {
			b.keys[e.id] = e.aead
		}
	}
	return b, nil
}

func derive(secret []byte) (keyEntry, error) {
	if len(secret) < MinSecretLen {
		return keyEntry{}, ErrShortSecret
	}
	key := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, secret, nil, []byte(Info)), key); err != nil {
		return keyEntry{}, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return keyEntry{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return keyEntry{}, err
	}
	var e keyEntry
	sum := sha256.Sum256(key)
	copy(e.id[:], sum[:keyIDLen])
	e.aead = aead
	return e, nil
}

// KeyID returns the id of the current key in hexadecimal, for diagnostics.
func (b *Box) KeyID() string { return hex.EncodeToString(b.current.id[:]) }

// Seal encrypts plaintext with the current key, bound to associatedData.
func (b *Box) Seal(plaintext, associatedData []byte) ([]byte, error) {
	out := make([]byte, headerLen, headerLen+len(plaintext)+b.current.aead.Overhead())
	out[0] = version
	copy(out[1:], b.current.id[:])
	if _, err := rand.Read(out[1+keyIDLen : headerLen]); err != nil {
		return nil, fmt.Errorf("secretbox: nonce: %w", err)
	}
	return b.current.aead.Seal(out, out[1+keyIDLen:headerLen], plaintext, aad(out[:1+keyIDLen], associatedData)), nil
}

// Open decrypts a value made by Seal, with the same associatedData.
func (b *Box) Open(sealed, associatedData []byte) ([]byte, error) {
	if len(sealed) < headerLen+b.current.aead.Overhead() || sealed[0] != version {
		return nil, ErrMalformed
	}
	var id [keyIDLen]byte
	copy(id[:], sealed[1:])
	aead, ok := b.keys[id]
	if !ok {
		return nil, ErrUnknownKey
	}
	plain, err := aead.Open(nil, sealed[1+keyIDLen:headerLen], sealed[headerLen:], aad(sealed[:1+keyIDLen], associatedData))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// aad authenticates the version and key id together with the caller's data.
func aad(header, associatedData []byte) []byte {
	out := make([]byte, 0, len(header)+len(associatedData))
	return append(append(out, header...), associatedData...)
}

// SealString is Seal for text columns: the sealed value in unpadded URL-safe Base64.
func (b *Box) SealString(plaintext, associatedData string) (string, error) {
	sealed, err := b.Seal([]byte(plaintext), []byte(associatedData))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// OpenString opens a value made by SealString.
func (b *Box) OpenString(sealed, associatedData string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return "", ErrMalformed
	}
	plain, err := b.Open(raw, []byte(associatedData))
	if err != nil {
		return "", err
	}
	return string(plain), nil
}

// NeedsRotation reports whether sealed was made with a key other than the current one,
// so a caller may open and seal it again after a key rotation. Malformed values report
// false.
func (b *Box) NeedsRotation(sealed []byte) bool {
	if len(sealed) < headerLen || sealed[0] != version {
		return false
	}
	var id [keyIDLen]byte
	copy(id[:], sealed[1:])
	return id != b.current.id
}

// NewFromConfig returns the Box for cfg.SecretKey (which must already be filled; main
// does that with config.EnsureSecretKey), opening with cfg.PreviousSecretKeys too.
func NewFromConfig(cfg config.Config) (*Box, error) {
	if cfg.SecretKey == "" {
		return nil, &config.Error{Setting: "KONTOR_SECRET_KEY", Problem: "is empty; secretbox needs it to seal credentials"}
	}
	previous := make([][]byte, len(cfg.PreviousSecretKeys))
	for i, k := range cfg.PreviousSecretKeys {
		previous[i] = []byte(k)
	}
	return New([]byte(cfg.SecretKey), previous...)
}

// Module provides *Box to the application.
var Module = fx.Module("secretbox", fx.Provide(NewFromConfig))
