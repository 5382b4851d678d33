// Package identity is Kontor's identity module: users and their passwords with a
// login lockout, access and refresh tokens, API keys and browser sessions. Other
// modules depend only on this file's contract; everything else is internal.
package identity

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/app"
	"github.com/kontor-app/kontor/modules/identity/internal/store"
	"github.com/kontor-app/kontor/platform/database"
)

// User is what other modules may know about a person: enough to address them by
// name, as a statement does for its holder.
type User struct {
	ID        uuid.UUID
	Email     string
	Name      string
	CreatedAt time.Time
}

// Directory looks users up by id. An unknown id is an apperr not_found error.
type Directory interface {
	User(ctx context.Context, id uuid.UUID) (User, error)
}

// directory is the Directory over the identity use cases.
type directory struct {
	svc *app.Service
}

func newDirectory(svc *app.Service) Directory { return directory{svc: svc} }

// User returns the user with id.
func (d directory) User(ctx context.Context, id uuid.UUID) (User, error) {
	u, err := d.svc.User(ctx, id)
	if err != nil {
		return User{}, err
	}
	return User{ID: u.ID, Email: u.Email, Name: u.Name, CreatedAt: u.CreatedAt}, nil
}

// ResetLink is a one-time password-reset link: it works once, until ExpiresAt.
type ResetLink struct {
	URL       string
	Email     string
	ExpiresAt time.Time
}

// CreatePasswordReset makes a one-time password-reset link for the user with
// email, under baseURL (KONTOR_BASE_URL), directly on db: it is how `kontor user
// reset-password` helps a self-hoster who forgot their password. Only the token's
// hash is stored. An unknown address is an apperr not_found error.
func CreatePasswordReset(ctx context.Context, db *database.DB, email, baseURL string) (ResetLink, error) {
	svc := app.NewService(store.New(db), nil, nil, nil, app.SystemClock{})
	link, err := svc.CreatePasswordReset(ctx, email, baseURL)
	if err != nil {
		return ResetLink{}, err
	}
	u, err := svc.User(ctx, link.Reset.UserID)
	if err != nil {
		return ResetLink{}, err
	}
	return ResetLink{URL: link.URL, Email: u.Email, ExpiresAt: link.Reset.ExpiresAt}, nil
}
