package authz_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestAuthorize(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		a, err := authz.New(db)
		if err != nil {
			t.Fatal(err)
		}
		alice := authn.Subject{UserID: uuid.New()}
		bob := authn.Subject{UserID: uuid.New()}
		account := authz.Resource{Type: "account", ID: "1", Owner: alice.UserID.String()}
		aliceUser := authz.Resource{Type: "user", ID: alice.UserID.String(), Owner: alice.UserID.String()}

		if err := a.Authorize(ctx, alice, account, authz.ActionWrite); err != nil {
			t.Fatalf("owner refused: %v", err)
		}
		if err := a.Authorize(ctx, bob, account, authz.ActionRead); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("stranger: err = %v, want forbidden", err)
		}
		if err := a.Authorize(ctx, bob, aliceUser, authz.ActionRead); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("non-admin reading a user: err = %v, want forbidden", err)
		}
		if err := a.Grant(ctx, bob.UserID.String(), authn.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if err := a.Authorize(ctx, bob, aliceUser, authz.ActionRead); err != nil {
			t.Fatalf("admin reading a user: %v", err)
		}
		if err := a.Authorize(ctx, bob, account, authz.ActionRead); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("admin reading someone's account: err = %v, want forbidden", err)
		}

		// Grants are persisted: a new enforcer over the same database sees them.
		again, err := authz.New(db)
		if err != nil {
			t.Fatal(err)
		}
		if err := again.Authorize(ctx, bob, aliceUser, authz.ActionRead); err != nil {
			t.Fatalf("grant not persisted: %v", err)
		}
		roles, err := again.Roles(bob.UserID.String())
		if err != nil || len(roles) != 1 || roles[0] != authn.RoleAdmin {
			t.Fatalf("roles = %v, %v", roles, err)
		}
	})
}
