package domain_test

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/domain"
)

func TestNewSecretAndHash(t *testing.T) {
	t.Parallel()
	a, err := domain.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := domain.NewSecret()
	if a == b {
		t.Fatal("two secrets are equal")
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Fatalf("secret %q: %d bytes, %v", a, len(raw), err)
	}
	h := domain.HashSecret(a)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(h) || h != domain.HashSecret(a) || h == domain.HashSecret(b) {
		t.Errorf("HashSecret(%q) = %q", a, h)
	}
}

func TestRefreshTokenCheckExchange(t *testing.T) {
	t.Parallel()
	id, user := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	tok, secret, err := domain.NewRefreshToken(id, user, uuid.Nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	if tok.FamilyID != id || tok.TokenHash != domain.HashSecret(secret) || !tok.ExpiresAt.Equal(t0.Add(30*24*time.Hour)) {
		t.Fatalf("NewRefreshToken = %+v", tok)
	}
	family := uuid.Must(uuid.NewV7())
	next, _, _ := domain.NewRefreshToken(uuid.Must(uuid.NewV7()), user, family, t0)
	if next.FamilyID != family {
		t.Errorf("successor family = %v, want %v", next.FamilyID, family)
	}

	at := t0.Add(time.Hour)
	rotated, revoked := tok, tok
	rotated.RotatedAt = &at
	revoked.RevokedAt = &at
	tests := []struct {
		name string
		tok  domain.RefreshToken
		now  time.Time
		want error
	}{
		{"fresh", tok, t0.Add(time.Hour), nil},
		{"one second before expiry", tok, tok.ExpiresAt.Add(-time.Second), nil},
		{"at expiry", tok, tok.ExpiresAt, domain.ErrRefreshExpired},
		{"rotated", rotated, t0.Add(2 * time.Hour), domain.ErrRefreshReused},
		{"revoked", revoked, t0.Add(2 * time.Hour), domain.ErrRefreshReused},
		{"rotated and expired counts as reuse", rotated, tok.ExpiresAt.Add(time.Hour), domain.ErrRefreshReused},
	}
	for _, tt := range tests {
		if err := tt.tok.CheckExchange(tt.now); !errors.Is(err, tt.want) {
			t.Errorf("%s: CheckExchange = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestNewAPIKey(t *testing.T) {
	t.Parallel()
	id, user := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	future := t0.Add(time.Hour)
	k, key, err := domain.NewAPIKey(id, user, "  CI deploys ", &future, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, "kontor_") || len(key) != len("kontor_")+43 {
		t.Errorf("key %q: want kontor_ and 43 base64url characters", key)
	}
	if k.Prefix != key[:12] || k.KeyHash != domain.HashSecret(key) || k.Name != "CI deploys" || !k.ExpiresAt.Equal(future) || k.UserID != user {
		t.Errorf("NewAPIKey = %+v", k)
	}
	if !domain.LooksLikeAPIKey(key) || domain.LooksLikeAPIKey("eyJhbGciOi") {
		t.Error("LooksLikeAPIKey")
	}

	past := t0.Add(-time.Second)
	tests := []struct {
		name    string
		keyName string
		expires *time.Time
		want    error
	}{
		{"no expiry", "k", nil, nil},
		{"expiry now", "k", &t0, domain.ErrAPIKeyExpiryPassed},
		{"expiry passed", "k", &past, domain.ErrAPIKeyExpiryPassed},
		{"empty name", " ", nil, domain.ErrAPIKeyNameMissing},
		{"long name", strings.Repeat("n", 101), nil, domain.ErrAPIKeyNameTooLong},
		{"100 characters", strings.Repeat("ñ", 100), nil, nil},
		{"control character", "a\tb", nil, domain.ErrAPIKeyNameInvalid},
	}
	for _, tt := range tests {
		if _, _, err := domain.NewAPIKey(id, user, tt.keyName, tt.expires, t0); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestAPIKeyUsableAndRevoke(t *testing.T) {
	t.Parallel()
	exp := t0.Add(time.Hour)
	k := domain.APIKey{ExpiresAt: &exp}
	tests := []struct {
		now  time.Time
		want error
	}{
		{t0, nil},
		{exp.Add(-time.Nanosecond), nil},
		{exp, domain.ErrAPIKeyExpired},
	}
	for _, tt := range tests {
		if err := k.CheckUsable(tt.now); !errors.Is(err, tt.want) {
			t.Errorf("CheckUsable(%v) = %v, want %v", tt.now, err, tt.want)
		}
	}
	k.Revoke(t0)
	k.Revoke(t0.Add(time.Minute))
	if !k.RevokedAt.Equal(t0) {
		t.Errorf("RevokedAt = %v, want the first revocation", k.RevokedAt)
	}
	if err := k.CheckUsable(t0); !errors.Is(err, domain.ErrAPIKeyRevoked) {
		t.Errorf("revoked key: %v", err)
	}
}

func TestAPIKeyNeedsUseRecorded(t *testing.T) {
	t.Parallel()
	k := domain.APIKey{}
	if !k.NeedsUseRecorded(t0) {
		t.Error("never used: want a record")
	}
	k.LastUsedAt = &t0
	if k.NeedsUseRecorded(t0.Add(59 * time.Second)) {
		t.Error("used a moment ago: want none")
	}
	if !k.NeedsUseRecorded(t0.Add(time.Minute)) {
		t.Error("used a minute ago: want a record")
	}
}

func TestSession(t *testing.T) {
	t.Parallel()
	s, token, err := domain.NewSession(uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), t0)
	if err != nil {
		t.Fatal(err)
	}
	if s.TokenHash != domain.HashSecret(token) || !s.ExpiresAt.Equal(t0.Add(14*24*time.Hour)) {
		t.Errorf("NewSession = %+v", s)
	}
	if err := s.CheckActive(s.ExpiresAt.Add(-time.Second)); err != nil {
		t.Errorf("before expiry: %v", err)
	}
	if err := s.CheckActive(s.ExpiresAt); !errors.Is(err, domain.ErrSessionExpired) {
		t.Errorf("at expiry: %v", err)
	}
}
