// Package api serves the connections module's JSON endpoints under /api/v1:
// providers, connections, the OAuth callback for JSON clients, reauthorization,
// statement imports and a connection's accounts. Handlers parse the request into
// the use case's input, call it, and map the result to the contract in
// openapi.json; every error goes to the one error handler as it is.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/accounts/accountsjson"
	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/openapi"
	"github.com/kontor-app/kontor/platform/ratelimit"
)

// Service is the part of the connections use cases the JSON API calls.
type Service interface {
	Providers() []provider.Info
	CreateConnection(ctx context.Context, sub authn.Subject, in app.CreateInput) (app.Created, error)
	CompleteOAuth(ctx context.Context, in app.CallbackInput) (app.ConnectionView, error)
	ListConnections(ctx context.Context, sub authn.Subject, in app.ListInput) (app.ConnectionList, error)
	GetConnection(ctx context.Context, sub authn.Subject, id uuid.UUID) (app.ConnectionView, error)
	UpdateConnection(ctx context.Context, sub authn.Subject, in app.PatchInput) (app.ConnectionView, error)
	Disconnect(ctx context.Context, sub authn.Subject, id uuid.UUID) (app.ConnectionView, error)
	Reauthorize(ctx context.Context, sub authn.Subject, id uuid.UUID) (app.Reauthorized, error)
	Import(ctx context.Context, sub authn.Subject, in app.ImportInput) (app.ImportSummary, error)
	ConnectionAccounts(ctx context.Context, sub authn.Subject, id uuid.UUID, query accounts.AccountQuery) (accounts.AccountPage, error)
}

// Routes are the connections module's JSON endpoints.
type Routes struct {
	svc Service
}

// New returns the JSON endpoints over svc.
func New(svc Service) *Routes { return &Routes{svc: svc} }

//go:embed openapi.json
var openapiJSON []byte

// Spec returns the connections module's part of the OpenAPI document.
func Spec() openapi.Spec { return openapi.Spec{Name: "connections", JSON: openapiJSON} }

// Register adds the endpoints of API.md's "Providers and connections".
func (r *Routes) Register(rt *httpserver.Router) {
	rt.APIRead("/providers", r.providers)
	rt.APIRead("/providers/:id/accounts", httpserver.Authenticated(r.accounts))
	rt.APIWrite(fiber.MethodPost, "/connections", httpserver.Authenticated(r.create))
	rt.APIWrite(fiber.MethodPost, "/connections/callback", httpserver.Authenticated(r.callback))
	rt.APIRead("/connections", httpserver.Authenticated(r.list))
	rt.APIRead("/connections/:id", httpserver.Authenticated(r.get))
	rt.APIWrite(fiber.MethodPatch, "/connections/:id", httpserver.Authenticated(r.patch))
	rt.APIWrite(fiber.MethodDelete, "/connections/:id", httpserver.Authenticated(r.disconnect))
	rt.APIWrite(fiber.MethodPost, "/connections/:id/reauthorize", httpserver.Authenticated(r.reauthorize))
	rt.APISync(fiber.MethodPost, "/connections/:id/imports", syncKey, httpserver.Authenticated(r.importFile))
	rt.APIRead("/connections/:id/accounts", httpserver.Authenticated(r.accounts))
}

// syncKey keys the PROVIDER_SYNC bucket by user and connection.
func syncKey(c *fiber.Ctx) string { return ratelimit.ByUser(c) + ":" + c.Params("id") }

type reasonJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Action  string `json:"action"`
}

// connectionJSON is the connection object of the contract.
type connectionJSON struct {
	ID                  string      `json:"id"`
	Provider            string      `json:"provider"`
	Alias               *string     `json:"alias"`
	Status              string      `json:"status"`
	StatusReason        *reasonJSON `json:"status_reason"`
	AutoSync            bool        `json:"auto_sync"`
	SyncIntervalMinutes int         `json:"sync_interval_minutes"`
	LastSyncAt          *string     `json:"last_sync_at"`
	LastSyncStatus      *string     `json:"last_sync_status"`
	NextSyncAt          *string     `json:"next_sync_at"`
	AccountsCount       int         `json:"accounts_count"`
	CreatedAt           string      `json:"created_at"`
	UpdatedAt           string      `json:"updated_at"`
}

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func optTimestamp(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := timestamp(*t)
	return &s
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func connectionOf(v app.ConnectionView) connectionJSON {
	out := connectionJSON{
		ID: v.ID.String(), Provider: v.Provider, Alias: optString(v.Alias), Status: string(v.Status),
		AutoSync: v.AutoSync, SyncIntervalMinutes: v.SyncIntervalMinutes, LastSyncAt: optTimestamp(v.LastSyncAt),
		LastSyncStatus: optString(string(v.LastSyncStatus)), NextSyncAt: optTimestamp(v.NextSyncAt),
		AccountsCount: v.AccountsCount, CreatedAt: timestamp(v.CreatedAt), UpdatedAt: timestamp(v.UpdatedAt),
	}
	if v.Reason != nil {
		out.StatusReason = &reasonJSON{Code: string(v.Reason.Code), Message: v.Reason.Message, Action: string(v.Reason.Action)}
	}
	return out
}

// pathID reads the :id parameter; an id that is no UUID names nothing (404).
func pathID(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, apperr.New(apperr.NotFound, "No connection with this id exists.")
	}
	return id, nil
}

func sendConnection(c *fiber.Ctx, status int, v app.ConnectionView) error {
	c.Set(fiber.HeaderETag, app.ETag(v.Version))
	return c.Status(status).JSON(connectionOf(v))
}

func (r *Routes) providers(c *fiber.Ctx) error {
	type providerJSON struct {
		Slug        string `json:"slug"`
		Name        string `json:"name"`
		AuthType    string `json:"auth_type"`
		Description string `json:"description"`
	}
	infos := r.svc.Providers()
	out := make([]providerJSON, len(infos))
	for i, p := range infos {
		out[i] = providerJSON{Slug: p.Slug, Name: p.Name, AuthType: string(p.AuthKind), Description: p.Description}
	}
	return c.JSON(fiber.Map{"providers": out})
}

func (r *Routes) create(c *fiber.Ctx, sub authn.Subject) error {
	var body struct {
		Provider   string  `json:"provider"`
		Alias      *string `json:"alias"`
		SetupToken string  `json:"setup_token"`
	}
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	in := app.CreateInput{Provider: body.Provider, SetupToken: body.SetupToken}
	if body.Alias != nil {
		in.Alias = *body.Alias
	}
	created, err := r.svc.CreateConnection(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, "/api/v1/connections/"+created.Connection.ID.String())
	c.Set(fiber.HeaderETag, app.ETag(created.Connection.Version))
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{
		"connection": connectionOf(created.Connection), "authorization_url": optString(created.AuthorizationURL),
	})
}

func (r *Routes) callback(c *fiber.Ctx, sub authn.Subject) error {
	var body struct {
		State            string `json:"state"`
		Code             string `json:"code"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if err := httpserver.DecodeJSON(c, &body); err != nil {
		return err
	}
	v, err := r.svc.CompleteOAuth(c.UserContext(), app.CallbackInput{State: body.State, Code: body.Code, Error: body.Error, Caller: &sub})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, app.ETag(v.Version))
	return c.JSON(fiber.Map{"connection": connectionOf(v)})
}

func (r *Routes) list(c *fiber.Ctx, sub authn.Subject) error {
	in := app.ListInput{Provider: c.Query("provider"), Status: domain.Status(c.Query("status")), Cursor: c.Query("cursor")}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return apperr.Validation(apperr.FieldError{Field: "limit", Message: "must be a whole number between 1 and 200"})
		}
		in.Limit = n
	}
	list, err := r.svc.ListConnections(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	out := make([]connectionJSON, len(list.Connections))
	for i, v := range list.Connections {
		out[i] = connectionOf(v)
	}
	return c.JSON(fiber.Map{"connections": out, "next_cursor": optString(list.NextCursor), "has_more": list.HasMore})
}

func (r *Routes) get(c *fiber.Ctx, sub authn.Subject) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	v, err := r.svc.GetConnection(c.UserContext(), sub, id)
	if err != nil {
		return err
	}
	return sendConnection(c, fiber.StatusOK, v)
}

// expectedVersion reads If-Match: none or "*" expects nothing; a tag names a
// version; anything else can match no version.
func expectedVersion(header string) *int64 {
	header = strings.TrimSpace(header)
	if header == "" || header == "*" {
		return nil
	}
	tag := strings.Trim(strings.TrimPrefix(header, "W/"), `"`)
	v, err := strconv.ParseInt(tag, 10, 64)
	if err != nil {
		v = -1
	}
	return &v
}

func (r *Routes) patch(c *fiber.Ctx, sub authn.Subject) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	s, err := decodeSettings(c)
	if err != nil {
		return err
	}
	v, err := r.svc.UpdateConnection(c.UserContext(), sub, app.PatchInput{ID: id, ExpectedVersion: expectedVersion(c.Get(fiber.HeaderIfMatch)), Settings: s})
	if err != nil {
		return err
	}
	return sendConnection(c, fiber.StatusOK, v)
}

// decodeSettings reads a merge patch of the settings: a null alias clears it;
// auto_sync and sync_interval_minutes cannot be null.
func decodeSettings(c *fiber.Ctx) (domain.Settings, error) {
	var s domain.Settings
	var raw map[string]json.RawMessage
	if err := httpserver.DecodeJSON(c, &raw); err != nil {
		return s, err
	}
	if raw == nil {
		return s, apperr.New(apperr.MalformedJSON, "The body must be a JSON object.")
	}
	var errs apperr.Fields
	for name, v := range raw {
		null := string(v) == "null"
		switch name {
		case "alias":
			var a string
			if !null && json.Unmarshal(v, &a) != nil {
				errs.Add(name, "must be a string or null")
				continue
			}
			s.Alias = &a
		case "auto_sync":
			var b bool
			if null || json.Unmarshal(v, &b) != nil {
				errs.Add(name, "must be true or false")
				continue
			}
			s.AutoSync = &b
		case "sync_interval_minutes":
			var n int
			if null || json.Unmarshal(v, &n) != nil {
				errs.Add(name, "must be a whole number of minutes")
				continue
			}
			s.SyncIntervalMinutes = &n
		default:
			return s, &apperr.Error{Code: apperr.UnknownField, Message: "The field \"" + name + "\" is not known here.",
				Fields: []apperr.FieldError{{Field: name, Message: "is not a known field"}}}
		}
	}
	return s, errs.Err()
}

func (r *Routes) disconnect(c *fiber.Ctx, sub authn.Subject) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	v, err := r.svc.Disconnect(c.UserContext(), sub, id)
	if err != nil {
		return err
	}
	return sendConnection(c, fiber.StatusOK, v)
}

func (r *Routes) reauthorize(c *fiber.Ctx, sub authn.Subject) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	re, err := r.svc.Reauthorize(c.UserContext(), sub, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"connection": connectionOf(re.Connection), "authorization_url": re.AuthorizationURL})
}

func (r *Routes) importFile(c *fiber.Ctx, sub authn.Subject) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != fiber.MIMEMultipartForm {
		return apperr.New(apperr.UnsupportedMediaType, "Send the statement as multipart/form-data with the file in the field \"file\".")
	}
	f, err := spoolFile(c, "file")
	if errors.Is(err, errNoFile) {
		return apperr.Validation(apperr.FieldError{Field: "file", Message: "is required: an OFX or QFX statement file"})
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sum, err := r.svc.Import(c.UserContext(), sub, app.ImportInput{ConnectionID: id, File: f, Size: f.Size})
	if err != nil {
		return err
	}
	var syncID *string
	if sum.SyncID.Valid {
		s := sum.SyncID.UUID.String()
		syncID = &s
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{
		"sync_id": syncID, "accounts_created": sum.AccountsCreated, "accounts_updated": sum.AccountsUpdated,
		"transactions_added": sum.TransactionsAdded, "transactions_modified": sum.TransactionsModified,
		"transactions_removed": sum.TransactionsRemoved, "duplicates": sum.Duplicates,
		"zero_amount_skipped": sum.ZeroAmountSkipped,
	})
}

func (r *Routes) accounts(c *fiber.Ctx, sub authn.Subject) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	values := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) { values.Add(string(k), string(v)) })
	q, err := accountsjson.ParseAccountQuery(values)
	if err != nil {
		return err
	}
	page, err := r.svc.ConnectionAccounts(c.UserContext(), sub, id, q)
	if err != nil {
		return err
	}
	return c.JSON(accountsjson.AccountList(page))
}
