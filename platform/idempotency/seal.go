package idempotency

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/kontor-app/kontor/platform/secretbox"
)

// Stored bodies are sealed so that the credentials some answers carry never rest in
// clear. A body sealed by this version is sealedPrefix followed by a secretbox value,
// which names the key that sealed it: after KONTOR_SECRET_KEY is rotated with the old
// key kept in KONTOR_PREVIOUS_SECRET_KEYS, a replay opens it with the old key. Bodies
// sealed by the first version (legacyPrefix, AES-GCM under a key derived from the
// secret, no key id) are opened with the current and the previous secrets in turn;
// bodies stored before sealing existed lack both prefixes and are read as they are.
var (
	sealedPrefix = []byte("kontor-sealed-v2:")
	legacyPrefix = []byte("kontor-sealed-v1:")
)

// errUnreadable means a stored body was sealed with a key this server no longer
// holds; the replay answers idempotency_response_unavailable instead.
var errUnreadable = errors.New("idempotency: the stored response was sealed with a secret key this server does not hold")

// sealer seals and opens stored bodies.
type sealer struct {
	box    *secretbox.Box
	legacy []cipher.AEAD // the first version's keys: current secret first
}

func newSealer(secret string, previous ...string) (*sealer, error) {
	prev := make([][]byte, len(previous))
	for i, p := range previous {
		prev[i] = []byte(p)
	}
	box, err := secretbox.New([]byte(secret), prev...)
	if err != nil {
		return nil, err
	}
	s := &sealer{box: box}
	for _, k := range append([]string{secret}, previous...) {
		s.legacy = append(s.legacy, legacyAEAD(k))
	}
	return s, nil
}

// legacyAEAD is the first version's cipher for secret.
func legacyAEAD(secret string) cipher.AEAD {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("kontor idempotency response key v1"))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// additionalData binds a body to its scope and key, so a sealed body cannot be moved
// to another row and replayed there.
func additionalData(scope, key string) []byte {
	return []byte(scope + "\x00" + key)
}

// seal returns the bytes to store for body.
func (s *Store) seal(scope, key string, body []byte) ([]byte, error) {
	if body == nil {
		body = []byte{}
	}
	if s.sealer == nil {
		return body, nil
	}
	sealed, err := s.sealer.box.Seal(body, additionalData(scope, key))
	if err != nil {
		return nil, fmt.Errorf("idempotency: seal response: %w", err)
	}
	return append(bytes.Clone(sealedPrefix), sealed...), nil
}

// open returns the body stored as raw, or errUnreadable when no key this server
// holds opens it.
func (s *Store) open(scope, key string, raw []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(raw, sealedPrefix):
		if s.sealer == nil {
			return nil, errUnreadable
		}
		body, err := s.sealer.box.Open(raw[len(sealedPrefix):], additionalData(scope, key))
		if err != nil {
			return nil, errUnreadable
		}
		return body, nil
	case bytes.HasPrefix(raw, legacyPrefix):
		if s.sealer == nil {
			return nil, errUnreadable
		}
		rest := raw[len(legacyPrefix):]
		for _, aead := range s.sealer.legacy {
			n := aead.NonceSize()
			if len(rest) < n {
				return nil, errUnreadable
			}
			if body, err := aead.Open(nil, rest[:n], rest[n:], additionalData(scope, key)); err == nil {
				return body, nil
			}
		}
		return nil, errUnreadable
	}
	return raw, nil
}
