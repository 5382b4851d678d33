package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/authn"
)

// The fixed parts of Kontor's access tokens.
const (
	jwtIssuer     = "kontor"
	jwtTypeAccess = "access"
	// jwtLeeway forgives small clock differences between instances.
	jwtLeeway = 30 * time.Second
)

// ErrInvalidAccessToken means an access token failed any check.
var ErrInvalidAccessToken = errors.New("invalid access token")

// accessClaims are the claims of an access token; typ keeps a token minted for
// another purpose from ever passing as an access token.
type accessClaims struct {
	jwt.RegisteredClaims
	Type  string `json:"typ"`
	Role  string `json:"role"`
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
}

// JWTIssuer is the TokenIssuer: HS256 JWTs under a key derived from the server's
// secret, so the raw secret, which also protects CSRF tokens, never signs directly.
type JWTIssuer struct {
	key []byte
}

// NewJWTIssuer derives the signing key as HMAC-SHA256(secret, "kontor-jwt").
func NewJWTIssuer(secret string) *JWTIssuer {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("kontor-jwt"))
	return &JWTIssuer{key: mac.Sum(nil)}
}

// IssueAccess returns a signed access token carrying c.
func (j *JWTIssuer) IssueAccess(c AccessClaims, issuedAt, expiresAt time.Time) (string, error) {
	jti, err := uuid.NewRandom()
	if err != nil {
		return "", fmt.Errorf("token id: %w", err)
	}
	claims := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    jwtIssuer,
			Subject:   c.UserID.String(),
			IssuedAt:  jwt.NewNumericDate(issuedAt),
			ExpiresAt: jwt.NewNumericDate(expiresAt),
			ID:        jti.String(),
		},
		Type: jwtTypeAccess, Role: c.Role, Email: c.Email, Name: c.Name,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(j.key)
}

// ParseAccess checks token at now and returns its claims; any failure is
// ErrInvalidAccessToken wrapping the reason. A token without a known role (one
// issued before tokens carried it) is invalid: its holder refreshes.
func (j *JWTIssuer) ParseAccess(token string, now time.Time) (AccessClaims, error) {
	var claims accessClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return j.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(jwtIssuer),
		jwt.WithLeeway(jwtLeeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil {
		return AccessClaims{}, fmt.Errorf("%w: %w", ErrInvalidAccessToken, err)
	}
	if claims.Type != jwtTypeAccess {
		return AccessClaims{}, fmt.Errorf("%w: typ %q", ErrInvalidAccessToken, claims.Type)
	}
	if claims.Role != authn.RoleUser && claims.Role != authn.RoleAdmin {
		return AccessClaims{}, fmt.Errorf("%w: role %q", ErrInvalidAccessToken, claims.Role)
	}
	id, err := uuid.Parse(claims.Subject)
	if err != nil {
		return AccessClaims{}, fmt.Errorf("%w: subject: %w", ErrInvalidAccessToken, err)
	}
	if claims.IssuedAt == nil {
		return AccessClaims{}, fmt.Errorf("%w: no iat", ErrInvalidAccessToken)
	}
	return AccessClaims{UserID: id, Role: claims.Role, Email: claims.Email, Name: claims.Name, IssuedAt: claims.IssuedAt.UTC()}, nil
}
