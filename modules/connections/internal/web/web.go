// Package web serves the connections module's HTML pages: the list of connections
// with each one's status in words and the button that mends it, "Link an account"
// with a form per provider, the OAuth callback page that providers redirect to, and
// a connection's page with its accounts, statement upload, settings, status
// history and disconnect. Every page works without JavaScript. Handlers call the
// same use cases with the same inputs as the JSON API; forms that fail render again
// with their errors, and errors a form cannot explain go to the one error handler.
package web

import (
	"context"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts"
	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
	shell "github.com/kontor-app/kontor/web"
)

// Service is the part of the connections use cases the pages call.
type Service interface {
	Providers() []provider.Info
	AuthorizationOrigins() []string
	CreateConnection(ctx context.Context, sub authn.Subject, in app.CreateInput) (app.Created, error)
	CompleteOAuth(ctx context.Context, in app.CallbackInput) (app.ConnectionView, error)
	ListConnections(ctx context.Context, sub authn.Subject, in app.ListInput) (app.ConnectionList, error)
	ConnectionDetails(ctx context.Context, sub authn.Subject, id uuid.UUID) (app.ConnectionPage, error)
	UpdateConnection(ctx context.Context, sub authn.Subject, in app.PatchInput) (app.ConnectionView, error)
	Disconnect(ctx context.Context, sub authn.Subject, id uuid.UUID) (app.ConnectionView, error)
	Reauthorize(ctx context.Context, sub authn.Subject, id uuid.UUID) (app.Reauthorized, error)
	Import(ctx context.Context, sub authn.Subject, in app.ImportInput) (app.ImportSummary, error)
	ConnectionAccounts(ctx context.Context, sub authn.Subject, id uuid.UUID, query accounts.AccountQuery) (accounts.AccountPage, error)
}

// Routes are the connections pages.
type Routes struct {
	svc Service
}

// New returns the pages over svc.
func New(svc Service) *Routes { return &Routes{svc: svc} }

// Register adds the pages. The OAuth callback is public: the state names the
// person, so a browser that is not signed in can finish the link. Fixed paths
// come before /connections/:id.
func (r *Routes) Register(rt *httpserver.Router) {
	rt.Page(fiber.MethodGet, "/connections", httpserver.Authenticated(r.listPage))
	rt.Page(fiber.MethodGet, "/connections/new", r.newPage)
	rt.Page(fiber.MethodPost, "/connections", httpserver.Authenticated(r.create))
	rt.PublicPage(fiber.MethodGet, "/connections/callback", r.callback)
	rt.Page(fiber.MethodGet, "/connections/:id", httpserver.Authenticated(r.connectionPage))
	rt.Page(fiber.MethodPost, "/connections/:id/settings", httpserver.Authenticated(r.settings))
	rt.Page(fiber.MethodPost, "/connections/:id/imports", httpserver.Authenticated(r.importFile))
	rt.Page(fiber.MethodPost, "/connections/:id/reauthorize", httpserver.Authenticated(r.reauthorize))
	rt.Page(fiber.MethodGet, "/connections/:id/disconnect", httpserver.Authenticated(r.disconnectPage))
	rt.Page(fiber.MethodPost, "/connections/:id/disconnect", httpserver.Authenticated(r.disconnect))
}

// render shows a page whose forms may answer with a redirect to a bank's consent
// page: browsers hold such redirects to the page's form-action, so the banks'
// origins join 'self' there.
func (r *Routes) render(c *fiber.Ctx, status int, page templ.Component) error {
	if origins := r.svc.AuthorizationOrigins(); len(origins) > 0 {
		csp := string(c.Response().Header.Peek(fiber.HeaderContentSecurityPolicy))
		if strings.Contains(csp, "form-action 'self'") {
			c.Set(fiber.HeaderContentSecurityPolicy, strings.Replace(csp, "form-action 'self'", "form-action 'self' "+strings.Join(origins, " "), 1))
		}
	}
	return shell.Render(c, status, page)
}

func pathID(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, apperr.New(apperr.NotFound, "No connection with this id exists.")
	}
	return id, nil
}

func connectionPath(id uuid.UUID) string { return "/connections/" + id.String() }

// syncPagePath is the sync module's page of a connection: its "Sync now" forms
// and its sync history (the connections module links to it, never imports it).
func syncPagePath(id uuid.UUID) string { return "/syncs/connections/" + id.String() }

// formErrors are a form's problems, as the shared kit maps them.
type formErrors struct{ shell.FormProblems }

func (f formErrors) field(name string) string { return f.Field(name) }

// problems is a form's problems from messages by field and a summary.
func problems(fields map[string]string, summary ...string) formErrors {
	return formErrors{shell.FormProblems{Fields: fields, Summary: summary}}
}

// connectionForms are the labels of the connections' forms and the codes they
// explain, each with the field its message belongs to.
var connectionForms = shell.Form{
	Labels: map[string]string{
		"provider": "Provider", "alias": "Name", "setup_token": "Setup token", "file": "Statement file",
		"auto_sync": "Sync automatically", "sync_interval_minutes": "Sync every (minutes)",
	},
	Codes: map[apperr.Code]string{
		domain.CodeTokenCompromisedErr: "setup_token", domain.CodeProviderFailed: "setup_token",
		apperr.PayloadTooLarge: "file", apperr.PreconditionFailed: "", domain.CodeNotImportable: "",
		apperr.ConnectionNotActive: "", domain.CodeDisconnected: "", apperr.Conflict: "",
	},
}

// formErrorsOf turns a use-case error into what a form shows, with its status; it
// reports false for errors only the error page can explain.
func formErrorsOf(err error) (formErrors, int, bool) {
	if e, ok := apperr.As(err); ok && e.Code == domain.CodeInvalidStatementFile {
		msg := e.Message
		if line, ok := e.Details["line"].(int); ok && line > 0 {
			msg += " (line " + strconv.Itoa(line) + ")"
		}
		return problems(map[string]string{"file": msg}, msg+" Nothing of the file was imported."), apperr.Status(e.Code), true
	}
	f, status, ok := connectionForms.ErrorsOf(err)
	return formErrors{f}, status, ok
}

func (r *Routes) listPage(c *fiber.Ctx, sub authn.Subject) error {
	in := app.ListInput{Cursor: c.Query("cursor"), Limit: app.MaxLimit}
	list, err := r.svc.ListConnections(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	v := listView{Connections: make([]connectionView, len(list.Connections))}
	for i, cv := range list.Connections {
		v.Connections[i] = viewOf(cv)
	}
	if list.HasMore {
		v.NextURL = "/connections?cursor=" + url.QueryEscape(list.NextCursor)
	}
	return r.render(c, fiber.StatusOK, listPage(shell.Meta(c, "Connections"), v))
}

func (r *Routes) newPage(c *fiber.Ctx) error {
	return r.renderNew(c, fiber.StatusOK, newForm{Provider: c.Query("provider")}, formErrors{})
}

func (r *Routes) renderNew(c *fiber.Ctx, status int, form newForm, errs formErrors) error {
	v := newView{Form: form, Errors: errs}
	for _, p := range r.svc.Providers() {
		v.Providers = append(v.Providers, p)
	}
	return r.render(c, status, newPage(shell.Meta(c, "Link an account"), v))
}

func (r *Routes) create(c *fiber.Ctx, sub authn.Subject) error {
	form := newForm{Provider: c.FormValue("provider"), Alias: c.FormValue("alias")}
	created, err := r.svc.CreateConnection(c.UserContext(), sub, app.CreateInput{Provider: form.Provider, Alias: form.Alias, SetupToken: c.FormValue("setup_token")})
	if err != nil {
		errs, status, ok := formErrorsOf(err)
		if !ok {
			return err
		}
		return r.renderNew(c, status, form, errs)
	}
	if created.AuthorizationURL != "" {
		return c.Redirect(created.AuthorizationURL, fiber.StatusSeeOther)
	}
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "Linked " + titleOf(created.Connection) + "."})
	return c.Redirect(connectionPath(created.Connection.ID), fiber.StatusSeeOther)
}

// callback is the OAuth redirect_uri: it completes the link for the person the
// state was issued to. A signed-in person goes on to the connection's page; a
// browser that is not signed in sees a short "linked" page.
func (r *Routes) callback(c *fiber.Ctx) error {
	in := app.CallbackInput{State: c.Query("state"), Code: c.Query("code"), Error: c.Query("error"), Browser: true}
	sub, signedIn := authn.FromContext(c.UserContext())
	if signedIn && sub.UserID != uuid.Nil {
		in.Caller = &sub
	}
	v, err := r.svc.CompleteOAuth(c.UserContext(), in)
	if err != nil {
		return err
	}
	if in.Caller == nil {
		return shell.Render(c, fiber.StatusOK, linkedPage(shell.Meta(c, "Linked"), viewOf(v)))
	}
	if v.Status == domain.StatusActive {
		shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "Linked " + titleOf(v) + "."})
	} else {
		shell.SetFlash(c, shell.Flash{Kind: shell.FlashError, Message: reasonText(v.Connection)})
	}
	return c.Redirect(connectionPath(v.ID), fiber.StatusSeeOther)
}

// accountRow is what the connection page shows of an account.
type accountRow struct {
	ID            string
	Name          string
	AccountType   string
	BalanceAmount string
	Currency      string
	Status        string
	// Negative marks a balance below zero, which MoneyText shows with its sign and colour.
	Negative bool
}

func (r *Routes) details(c *fiber.Ctx, sub authn.Subject, id uuid.UUID) (detailView, error) {
	page, err := r.svc.ConnectionDetails(c.UserContext(), sub, id)
	if err != nil {
		return detailView{}, err
	}
	list, err := r.svc.ConnectionAccounts(c.UserContext(), sub, id, accounts.AccountQuery{Limit: 200, IncludeArchived: true})
	if err != nil {
		return detailView{}, err
	}
	rows := make([]accountRow, len(list.Accounts))
	for i, a := range list.Accounts {
		rows[i] = accountRow{
			ID: a.ID.String(), Name: a.Name, AccountType: a.Type, BalanceAmount: shell.Money(a.Balance, a.Currency), Negative: a.Balance.IsNegative(),
			Currency: string(a.Currency), Status: a.Status,
		}
	}
	v := detailView{Connection: viewOf(page.ConnectionView), History: page.History, Accounts: rows}
	v.Settings = settingsForm{Alias: page.Alias, AutoSync: page.AutoSync, Interval: strconv.Itoa(page.SyncIntervalMinutes), Version: page.Version}
	return v, nil
}

func (r *Routes) connectionPage(c *fiber.Ctx, sub authn.Subject) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	v, err := r.details(c, sub, id)
	if err != nil {
		return err
	}
	return r.render(c, fiber.StatusOK, connectionPage(shell.Meta(c, v.Connection.Title), v))
}

// renderWith shows the connection page again with a form's errors or an import's
// summary.
func (r *Routes) renderWith(c *fiber.Ctx, sub authn.Subject, id uuid.UUID, status int, edit func(*detailView)) error {
	v, err := r.details(c, sub, id)
	if err != nil {
		return err
	}
	edit(&v)
	return r.render(c, status, connectionPage(shell.Meta(c, v.Connection.Title), v))
}

func (r *Routes) settings(c *fiber.Ctx, sub authn.Subject) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	form := settingsForm{Alias: c.FormValue("alias"), AutoSync: c.FormValue("auto_sync") != "", Interval: c.FormValue("sync_interval_minutes")}
	s := domain.Settings{Alias: &form.Alias}
	var errs formErrors
	// A file connection's form has only the name: it has no schedule to set.
	if c.FormValue("schedule") != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(form.Interval)); err == nil {
			s.AutoSync, s.SyncIntervalMinutes = &form.AutoSync, &n
		} else {
			errs = problems(map[string]string{"sync_interval_minutes": "Enter a whole number of minutes."}, "Sync every (minutes): enter a whole number.")
		}
	}
	in := app.PatchInput{ID: id, Settings: s}
	if v, err := strconv.ParseInt(c.FormValue("version"), 10, 64); err == nil {
		in.ExpectedVersion = &v
	}
	if errs.Summary == nil {
		_, err = r.svc.UpdateConnection(c.UserContext(), sub, in)
		if err == nil {
			shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "Saved the settings."})
			return c.Redirect(connectionPath(id), fiber.StatusSeeOther)
		}
		var status int
		var ok bool
		if errs, status, ok = formErrorsOf(err); !ok {
			return err
		}
		return r.renderWith(c, sub, id, status, func(v *detailView) { form.Version = v.Settings.Version; v.Settings, v.SettingsErrors = form, errs })
	}
	return r.renderWith(c, sub, id, fiber.StatusUnprocessableEntity, func(v *detailView) { form.Version = v.Settings.Version; v.Settings, v.SettingsErrors = form, errs })
}

func (r *Routes) importFile(c *fiber.Ctx, sub authn.Subject) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	fh, ferr := c.FormFile("file")
	if ferr != nil {
		errs := problems(map[string]string{"file": "Choose an OFX or QFX file."}, "Statement file: choose an OFX or QFX file.")
		return r.renderWith(c, sub, id, fiber.StatusUnprocessableEntity, func(v *detailView) { v.ImportErrors = errs })
	}
	name := fh.Filename
	f, err := spool(c, fh)
	if err == nil {
		defer f.Close()
		var sum app.ImportSummary
		if sum, err = r.svc.Import(c.UserContext(), sub, app.ImportInput{ConnectionID: id, File: f, Size: f.Size}); err == nil {
			return r.renderWith(c, sub, id, fiber.StatusOK, func(v *detailView) { v.Summary = &sum; v.SummaryFile = name })
		}
	}
	// A file too large to spool and one the import refuses are form errors alike.
	errs, status, ok := formErrorsOf(err)
	if !ok {
		return err
	}
	return r.renderWith(c, sub, id, status, func(v *detailView) { v.ImportErrors = errs })
}

func (r *Routes) reauthorize(c *fiber.Ctx, sub authn.Subject) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	re, err := r.svc.Reauthorize(c.UserContext(), sub, id)
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Code == domain.CodeNotReauthorizable {
			shell.SetFlash(c, shell.Flash{Kind: shell.FlashError, Message: e.Message})
			return c.Redirect(connectionPath(id), fiber.StatusSeeOther)
		}
		return err
	}
	return c.Redirect(re.AuthorizationURL, fiber.StatusSeeOther)
}

func (r *Routes) disconnectPage(c *fiber.Ctx, sub authn.Subject) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	v, err := r.details(c, sub, id)
	if err != nil {
		return err
	}
	return shell.Render(c, fiber.StatusOK, disconnectPage(shell.Meta(c, "Disconnect "+v.Connection.Title), v))
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
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "Disconnected " + titleOf(v) + ". Its credentials are destroyed; its accounts stay, inactive, with their history."})
	return c.Redirect(connectionPath(id), fiber.StatusSeeOther)
}

// spool copies the uploaded file to a temporary file (app.SpoolStatement) and lets
// the request's parsed form and body go, so that the import that follows holds the
// upload on disk only (fasthttp parses a form's files into memory, and the page's
// CSRF check has parsed this one already).
func spool(c *fiber.Ctx, fh *multipart.FileHeader) (*app.StatementUpload, error) {
	src, err := fh.Open()
	if err != nil {
		return nil, apperr.Wrap(err, "open uploaded file")
	}
	defer src.Close()
	u, err := app.SpoolStatement(src)
	if err != nil {
		return nil, err
	}
	c.Request().RemoveMultipartFormFiles()
	c.Request().ReleaseBody(0)
	return u, nil
}
