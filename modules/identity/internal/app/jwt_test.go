package app_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/app"
)

func TestJWTIssuer(t *testing.T) {
	secret := strings.Repeat("k", 32)
	j := app.NewJWTIssuer(secret)
	user := uuid.Must(uuid.NewV7())
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	tok, err := j.IssueAccess(app.AccessClaims{UserID: user, Role: "admin", Email: "ada@example.com", Name: "Ada"}, now, now.Add(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}

	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q", tok)
	}
	var header, claims map[string]any
	decode := func(s string, v any) {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	decode(parts[0], &header)
	decode(parts[1], &claims)
	if header["alg"] != "HS256" {
		t.Errorf("alg = %v", header["alg"])
	}
	if claims["iss"] != "kontor" || claims["sub"] != user.String() || claims["typ"] != "access" ||
		claims["iat"] != float64(now.Unix()) || claims["exp"] != float64(now.Add(15*time.Minute).Unix()) || claims["jti"] == "" ||
		claims["role"] != "admin" || claims["email"] != "ada@example.com" || claims["name"] != "Ada" {
		t.Errorf("claims = %v", claims)
	}

	want := app.AccessClaims{UserID: user, Role: "admin", Email: "ada@example.com", Name: "Ada", IssuedAt: now}
	if got, err := j.ParseAccess(tok, now.Add(time.Minute)); err != nil || got != want {
		t.Errorf("ParseAccess = %+v, %v; want %+v", got, err, want)
	}

	// The key is HMAC-SHA256(secret, "kontor-jwt"), not the secret itself.
	if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte(secret), nil }); err == nil {
		t.Error("token verifies under the raw secret")
	}

	sign := func(method jwt.SigningMethod, key any, c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(method, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": "kontor", "sub": user.String(), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "typ": "access", "role": "user"}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("kontor-jwt"))
	key := mac.Sum(nil)
	with := func(k string, v any) jwt.MapClaims {
		c := base()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	if got, err := j.ParseAccess(sign(jwt.SigningMethodHS256, key, base()), now); err != nil || got.UserID != user || got.Role != "user" {
		t.Fatalf("hand-made token under the derived key: %v, %v", got, err)
	}
	tests := []struct {
		name  string
		token string
		at    time.Time
	}{
		{"expired beyond leeway", tok, now.Add(15*time.Minute + 31*time.Second)},
		{"issued in the future", tok, now.Add(-time.Minute)},
		{"unsigned", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, base()), now},
		{"raw secret", sign(jwt.SigningMethodHS256, []byte(secret), base()), now},
		{"HS512", sign(jwt.SigningMethodHS512, key, base()), now},
		{"no typ", sign(jwt.SigningMethodHS256, key, with("typ", nil)), now},
		{"refresh typ", sign(jwt.SigningMethodHS256, key, with("typ", "refresh")), now},
		{"other issuer", sign(jwt.SigningMethodHS256, key, with("iss", "evil")), now},
		{"no expiry", sign(jwt.SigningMethodHS256, key, with("exp", nil)), now},
		{"subject not a uuid", sign(jwt.SigningMethodHS256, key, with("sub", "42")), now},
		{"no role (issued before tokens carried it)", sign(jwt.SigningMethodHS256, key, with("role", nil)), now},
		{"unknown role", sign(jwt.SigningMethodHS256, key, with("role", "root")), now},
		{"no iat", sign(jwt.SigningMethodHS256, key, with("iat", nil)), now},
		{"tampered", parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])), now},
	}
	for _, tt := range tests {
		if _, err := j.ParseAccess(tt.token, tt.at); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	if _, err := j.ParseAccess(tok, now.Add(15*time.Minute+29*time.Second)); err != nil {
		t.Errorf("within leeway: %v", err)
	}
}
