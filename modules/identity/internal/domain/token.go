package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// secretBytes is the entropy of every opaque token Kontor hands out.
const secretBytes = 32

// NewSecret returns 32 random bytes in unpadded base64url: an opaque token that
// cannot be guessed and is safe in URLs, headers and cookies.
func NewSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashSecret returns the SHA-256 of a token in hex. Tokens are stored only in this
// form, so a copy of the database lets nobody log in; a plain hash suffices because
// the tokens carry 256 random bits, unlike passwords.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
