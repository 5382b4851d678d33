// Package authz decides who may act on what, with a casbin enforcer whose model is
// embedded: owners may do anything to their own resources, and role grants (kept in
// the database) may allow more. Use cases call Authorize after loading an aggregate.
package authz

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"go.uber.org/fx"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/database"
)

//go:embed model.conf
var modelText string

// Actions a use case asks about.
const (
	ActionRead   = "read"
	ActionWrite  = "write"
	ActionDelete = "delete"
)

// Resource is what casbin sees of an aggregate: its type, id and owner's user id.
type Resource struct {
	Type  string
	ID    string
	Owner string
}

// Authorizer answers whether a Subject may act on a Resource.
type Authorizer struct {
	enforcer *casbin.SyncedEnforcer
}

// New builds the enforcer over the policies stored in db and makes sure the built-in
// role grants exist.
func New(db *database.DB) (*Authorizer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("casbin model: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m, NewAdapter(db))
	if err != nil {
		return nil, fmt.Errorf("casbin enforcer: %w", err)
	}
	// Admins may read user records (for support); they get no access to anyone's money.
	if _, err := e.AddPolicy(authn.RoleAdmin, "user", ActionRead); err != nil {
		return nil, fmt.Errorf("seed policy: %w", err)
	}
	return &Authorizer{enforcer: e}, nil
}

// Authorize returns nil when s may perform action on r, else a forbidden error.
func (a *Authorizer) Authorize(_ context.Context, s authn.Subject, r Resource, action string) error {
	ok, err := a.enforcer.Enforce(s.UserID.String(), r, action)
	if err != nil {
		return apperr.Wrap(err, "authorization check failed")
	}
	if !ok {
		return apperr.New(apperr.Forbidden, "You do not have access to this %s.", r.Type)
	}
	return nil
}

// Grant gives userID the role.
func (a *Authorizer) Grant(_ context.Context, userID, role string) error {
	if _, err := a.enforcer.AddGroupingPolicy(userID, role); err != nil {
		return apperr.Wrap(err, "grant role")
	}
	return nil
}

// Roles lists the roles of userID.
func (a *Authorizer) Roles(userID string) ([]string, error) {
	return a.enforcer.GetRolesForUser(userID)
}

// Forget removes every role and rule of userID, for an account being deleted.
func (a *Authorizer) Forget(_ context.Context, userID string) error {
	if _, err := a.enforcer.DeleteUser(userID); err != nil {
		return apperr.Wrap(err, "forget user")
	}
	return nil
}

// Module provides the Authorizer.
var Module = fx.Module("authz", fx.Provide(New))
