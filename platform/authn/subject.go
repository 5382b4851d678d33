// Package authn carries the authenticated Subject through a request and holds the
// middleware that establishes it from a bearer JWT, an API key or a web session.
package authn

import (
	"context"

	"github.com/google/uuid"
)

// Method says how a Subject proved who it is.
type Method string

// The ways a caller can authenticate.
const (
	MethodJWT     Method = "jwt"
	MethodAPIKey  Method = "api_key"
	MethodSession Method = "session"
)

// Role names a casbin role.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// Subject is the authenticated caller.
type Subject struct {
	UserID uuid.UUID
	Email  string
	Name   string
	Role   string
	Method Method
	// SessionID is set for browser sessions so logout can end exactly this one.
	SessionID string
}

type ctxKey struct{}

// WithSubject returns ctx carrying s.
func WithSubject(ctx context.Context, s Subject) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// FromContext returns the Subject in ctx, if any.
func FromContext(ctx context.Context) (Subject, bool) {
	s, ok := ctx.Value(ctxKey{}).(Subject)
	return s, ok
}
