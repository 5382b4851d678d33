package idempotency

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
)

// sealedPrefix marks a stored body sealed by this version; bodies stored before
// sealing existed lack it and are read as they are.
var sealedPrefix = []byte("kontor-sealed-v1:")

// sealer encrypts stored response bodies with AES-256-GCM. The key is derived from
// the server's secret, and the additional data binds a body to its scope and key,
// so a sealed body cannot be moved to another row and replayed there.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(secret string) *sealer {
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
	return &sealer{aead: aead}
}

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
	nonce := make([]byte, s.sealer.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("idempotency: seal response: %w", err)
	}
	out := append(bytes.Clone(sealedPrefix), nonce...)
	return s.sealer.aead.Seal(out, nonce, body, additionalData(scope, key)), nil
}

// open returns the body stored as raw.
func (s *Store) open(scope, key string, raw []byte) ([]byte, error) {
	if !bytes.HasPrefix(raw, sealedPrefix) {
		return raw, nil
	}
	if s.sealer == nil {
		return nil, fmt.Errorf("idempotency: the response of key %q is sealed and this store has no secret", key)
	}
	rest := raw[len(sealedPrefix):]
	n := s.sealer.aead.NonceSize()
	if len(rest) < n {
		return nil, fmt.Errorf("idempotency: the sealed response of key %q is cut short", key)
	}
	body, err := s.sealer.aead.Open(nil, rest[:n], rest[n:], additionalData(scope, key))
	if err != nil {
		return nil, fmt.Errorf("idempotency: the sealed response of key %q cannot be opened (was the secret key changed?): %w", key, err)
	}
	return body, nil
}
