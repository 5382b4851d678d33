// Package identity is Kontor's identity module: users and their passwords with a
// login lockout, access and refresh tokens, API keys and browser sessions. Other
// modules depend only on this file's contract; everything else is internal.
package identity

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/app"
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
