// Package api serves identity's JSON endpoints under /api/v1: registration, token
// login, refresh and logout, the current user, and API keys. Handlers decode the
// request, call the use case, and map the result to the contract in openapi.json;
// every error goes to the one error handler as it is.
package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/app"
	"github.com/kontor-app/kontor/modules/identity/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
)

// Service is the part of the identity use cases the JSON API calls.
type Service interface {
	Register(ctx context.Context, in app.RegisterInput) (domain.User, error)
	Login(ctx context.Context, in app.LoginInput) (app.TokenPair, error)
	Refresh(ctx context.Context, in app.RefreshInput) (app.TokenPair, error)
	Logout(ctx context.Context, in app.LogoutInput) error
	Me(ctx context.Context, sub authn.Subject) (domain.User, error)
	CreateAPIKey(ctx context.Context, sub authn.Subject, in app.CreateAPIKeyInput) (app.CreatedAPIKey, error)
	ListAPIKeys(ctx context.Context, sub authn.Subject) ([]domain.APIKey, error)
	RevokeAPIKey(ctx context.Context, sub authn.Subject, id uuid.UUID) error
	UpdateProfile(ctx context.Context, sub authn.Subject, in app.UpdateProfileInput) (domain.User, error)
	ChangePassword(ctx context.Context, sub authn.Subject, in app.ChangePasswordInput) (app.TokenPair, error)
	OpenExport(ctx context.Context, sub authn.Subject) (app.ExportFile, error)
	DeleteAccount(ctx context.Context, sub authn.Subject, in app.DeleteAccountInput) error
}

// Routes are identity's JSON endpoints.
type Routes struct {
	svc Service
	log *slog.Logger
}

// New returns the JSON endpoints over svc; log records exports cut short.
func New(svc Service, log *slog.Logger) *Routes { return &Routes{svc: svc, log: log} }

// Register adds the endpoints of API.md's Identity table.
func (r *Routes) Register(rt *httpserver.Router) {
	rt.APIPublic(fiber.MethodPost, "/auth/register", r.register)
	rt.APIPublic(fiber.MethodPost, "/auth/login", r.login)
	rt.APIPublic(fiber.MethodPost, "/auth/refresh", r.refresh)
	// Logout is public: the refresh token in the body is the credential.
	rt.APIPublic(fiber.MethodPost, "/auth/logout", r.logout)
	rt.APIRead("/me", httpserver.Authenticated(r.me))
	rt.APIWrite(fiber.MethodPatch, "/me", httpserver.Authenticated(r.updateMe))
	rt.APIWrite(fiber.MethodPost, "/me/password", httpserver.Authenticated(r.changePassword))
	rt.APIRead("/me/export", httpserver.Authenticated(r.export))
	rt.APIWrite(fiber.MethodDelete, "/me", httpserver.Authenticated(r.deleteMe))
	rt.APIWrite(fiber.MethodPost, "/api-keys", httpserver.Authenticated(r.createAPIKey))
	rt.APIRead("/api-keys", httpserver.Authenticated(r.listAPIKeys))
	rt.APIWrite(fiber.MethodDelete, "/api-keys/:id", httpserver.Authenticated(r.revokeAPIKey))
}

// userJSON is the user object of the contract.
type userJSON struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
}

func userOf(u domain.User) userJSON {
	return userJSON{ID: u.ID.String(), Email: u.Email, Name: u.Name, CreatedAt: timestamp(u.CreatedAt)}
}

type tokenPairJSON struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int    `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int    `json:"refresh_expires_in"`
}

func tokenPairOf(p app.TokenPair) tokenPairJSON {
	return tokenPairJSON{
		AccessToken: p.AccessToken, TokenType: p.TokenType, ExpiresIn: p.ExpiresIn,
		RefreshToken: p.RefreshToken, RefreshExpiresIn: p.RefreshExpiresIn,
	}
}

type apiKeyJSON struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Prefix     string  `json:"prefix"`
	CreatedAt  string  `json:"created_at"`
	ExpiresAt  *string `json:"expires_at"`
	LastUsedAt *string `json:"last_used_at"`
	RevokedAt  *string `json:"revoked_at"`
}

func apiKeyOf(k domain.APIKey) apiKeyJSON {
	return apiKeyJSON{
		ID: k.ID.String(), Name: k.Name, Prefix: k.Prefix, CreatedAt: timestamp(k.CreatedAt),
		ExpiresAt: optTimestamp(k.ExpiresAt), LastUsedAt: optTimestamp(k.LastUsedAt), RevokedAt: optTimestamp(k.RevokedAt),
	}
}

type createdAPIKeyJSON struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Prefix    string  `json:"prefix"`
	Key       string  `json:"key"`
	CreatedAt string  `json:"created_at"`
	ExpiresAt *string `json:"expires_at"`
}

// timestamp formats t as RFC 3339 in UTC.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func optTimestamp(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := timestamp(*t)
	return &s
}

// noStore keeps credentials in a response out of every cache.
func noStore(c *fiber.Ctx) {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderPragma, "no-cache")
}

func (r *Routes) register(c *fiber.Ctx) error {
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Name     string `json:"name"`
	}
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	u, err := r.svc.Register(c.UserContext(), app.RegisterInput{Email: body.Email, Password: body.Password, Name: body.Name})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(userOf(u))
}

func (r *Routes) login(c *fiber.Ctx) error {
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	pair, err := r.svc.Login(c.UserContext(), app.LoginInput{Email: body.Email, Password: body.Password, ClientIP: c.IP()})
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(tokenPairOf(pair))
}

func (r *Routes) refresh(c *fiber.Ctx) error {
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	pair, err := r.svc.Refresh(c.UserContext(), app.RefreshInput{RefreshToken: body.RefreshToken})
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(tokenPairOf(pair))
}

func (r *Routes) logout(c *fiber.Ctx) error {
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	if err := r.svc.Logout(c.UserContext(), app.LogoutInput{RefreshToken: body.RefreshToken}); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (r *Routes) me(c *fiber.Ctx, sub authn.Subject) error {
	u, err := r.svc.Me(c.UserContext(), sub)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, u.ETag())
	return c.JSON(userOf(u))
}

func (r *Routes) createAPIKey(c *fiber.Ctx, sub authn.Subject) error {
	var body struct {
		Name      string  `json:"name"`
		ExpiresAt *string `json:"expires_at"`
	}
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	in := app.CreateAPIKeyInput{Name: body.Name}
	if body.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339, *body.ExpiresAt)
		if err != nil {
			return apperr.Validation(apperr.FieldError{Field: "expires_at", Message: "must be an RFC 3339 timestamp such as 2027-01-31T00:00:00Z"})
		}
		in.ExpiresAt = &t
	}
	created, err := r.svc.CreateAPIKey(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	k := created.APIKey
	noStore(c)
	c.Location("/api/v1/api-keys/" + k.ID.String())
	return c.Status(fiber.StatusCreated).JSON(createdAPIKeyJSON{
		ID: k.ID.String(), Name: k.Name, Prefix: k.Prefix, Key: created.Key,
		CreatedAt: timestamp(k.CreatedAt), ExpiresAt: optTimestamp(k.ExpiresAt),
	})
}

func (r *Routes) listAPIKeys(c *fiber.Ctx, sub authn.Subject) error {
	keys, err := r.svc.ListAPIKeys(c.UserContext(), sub)
	if err != nil {
		return err
	}
	out := make([]apiKeyJSON, len(keys))
	for i, k := range keys {
		out[i] = apiKeyOf(k)
	}
	return c.JSON(fiber.Map{"api_keys": out})
}

func (r *Routes) revokeAPIKey(c *fiber.Ctx, sub authn.Subject) error {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		// A malformed id names no key, so it is not found rather than a bad request.
		return apperr.New(apperr.NotFound, "No API key has this id.")
	}
	if err := r.svc.RevokeAPIKey(c.UserContext(), sub, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (r *Routes) updateMe(c *fiber.Ctx, sub authn.Subject) error {
	var body struct {
		Name            *string `json:"name"`
		Email           *string `json:"email"`
		CurrentPassword string  `json:"current_password"`
	}
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	u, err := r.svc.UpdateProfile(c.UserContext(), sub, app.UpdateProfileInput{
		Name: body.Name, Email: body.Email, CurrentPassword: body.CurrentPassword, ClientIP: c.IP(),
		IfMatch: c.Get(fiber.HeaderIfMatch),
	})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, u.ETag())
	return c.JSON(userOf(u))
}

func (r *Routes) changePassword(c *fiber.Ctx, sub authn.Subject) error {
	var body struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	pair, err := r.svc.ChangePassword(c.UserContext(), sub, app.ChangePasswordInput{
		CurrentPassword: body.CurrentPassword, NewPassword: body.NewPassword, ClientIP: c.IP(),
	})
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(tokenPairOf(pair))
}

// export answers with the caller's data export, a ZIP archive written while it is
// sent (the settings page serves the same archive).
func (r *Routes) export(c *fiber.Ctx, sub authn.Subject) error {
	f, err := r.svc.OpenExport(c.UserContext(), sub)
	if err != nil {
		return err
	}
	httpserver.StreamDownload(c, r.log, httpserver.Download{ContentType: "application/zip", FileName: f.Name, Write: f.Write,
		LogAttrs: []any{"user_id", sub.UserID.String()}})
	return nil
}

func (r *Routes) deleteMe(c *fiber.Ctx, sub authn.Subject) error {
	var body struct {
		Confirmation string `json:"confirmation"`
	}
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	if err := r.svc.DeleteAccount(c.UserContext(), sub, app.DeleteAccountInput{Confirmation: body.Confirmation}); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
