// Package web serves identity's HTML pages: registration, login and logout with a
// browser session, and the settings page with the profile and API keys. Pages work
// without JavaScript; forms re-render with inline errors and keep what was typed,
// except passwords.
package web

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/app"
	"github.com/kontor-app/kontor/modules/identity/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
	shell "github.com/kontor-app/kontor/web"
)

// Service is the part of the identity use cases the pages call; the JSON API calls
// the same methods with the same inputs.
type Service interface {
	Register(ctx context.Context, in app.RegisterInput) (domain.User, error)
	StartSession(ctx context.Context, in app.LoginInput) (app.NewSession, error)
	EndSession(ctx context.Context, sub authn.Subject) error
	Me(ctx context.Context, sub authn.Subject) (domain.User, error)
	CreateAPIKey(ctx context.Context, sub authn.Subject, in app.CreateAPIKeyInput) (app.CreatedAPIKey, error)
	ListAPIKeys(ctx context.Context, sub authn.Subject) ([]domain.APIKey, error)
	RevokeAPIKey(ctx context.Context, sub authn.Subject, id uuid.UUID) error
	UpdateProfile(ctx context.Context, sub authn.Subject, in app.UpdateProfileInput) (domain.User, error)
	ChangePassword(ctx context.Context, sub authn.Subject, in app.ChangePasswordInput) (app.TokenPair, error)
	OpenExport(ctx context.Context, sub authn.Subject) (app.ExportFile, error)
	DeleteAccount(ctx context.Context, sub authn.Subject, in app.DeleteAccountInput) error
	CheckPasswordReset(ctx context.Context, token string) error
	ResetPassword(ctx context.Context, in app.ResetPasswordInput) (domain.User, error)
}

// Routes are identity's pages.
type Routes struct {
	svc Service
	// secureCookies marks the session cookie Secure, for instances behind HTTPS.
	secureCookies bool
	log           *slog.Logger
}

// New returns the pages over svc; log records data exports cut short.
func New(svc Service, secureCookies bool, log *slog.Logger) *Routes {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Routes{svc: svc, secureCookies: secureCookies, log: log}
}

// Register adds the pages. The form posts that check passwords are rate limited
// per client IP like the API's login; a refused post gets its form back with what
// was typed (never a password) and how long to wait.
func (r *Routes) Register(rt *httpserver.Router) {
	rt.PublicPage(fiber.MethodGet, "/register", r.registerPage)
	rt.LimitedForm(fiber.MethodPost, "/register", r.register, r.registerRefused)
	rt.PublicPage(fiber.MethodGet, "/login", r.loginPage)
	rt.LimitedForm(fiber.MethodPost, "/login", r.login, r.loginRefused)
	rt.Page(fiber.MethodPost, "/logout", httpserver.Authenticated(r.logout))
	rt.Page(fiber.MethodGet, "/settings", httpserver.Authenticated(r.settingsPage))
	rt.Page(fiber.MethodPost, "/settings/api-keys", httpserver.Authenticated(r.createAPIKey))
	rt.Page(fiber.MethodPost, "/settings/api-keys/:id/revoke", httpserver.Authenticated(r.revokeAPIKey))
	rt.Page(fiber.MethodGet, "/settings/profile", httpserver.Authenticated(r.profilePage))
	rt.Page(fiber.MethodPost, "/settings/profile", httpserver.Authenticated(r.updateProfile))
	rt.Page(fiber.MethodGet, "/settings/password", r.passwordPage)
	rt.Page(fiber.MethodPost, "/settings/password", httpserver.Authenticated(r.changePassword))
	rt.Page(fiber.MethodGet, "/settings/export.zip", httpserver.Authenticated(r.export))
	rt.Page(fiber.MethodGet, "/settings/delete", httpserver.Authenticated(r.deletePage))
	rt.Page(fiber.MethodPost, "/settings/delete", httpserver.Authenticated(r.deleteAccount))
	rt.PublicPage(fiber.MethodGet, app.ResetPath, r.resetPasswordPage)
	rt.LimitedForm(fiber.MethodPost, app.ResetPath, r.resetPassword, r.resetPasswordRefused)
}

// formErrors are a form's problems, as the shared kit maps them.
type formErrors struct{ shell.FormProblems }

func (f formErrors) field(name string) string { return f.Field(name) }

// identityForms are the labels of the identity forms and the codes they explain,
// each with the field its message belongs to.
var identityForms = shell.Form{
	Labels: map[string]string{
		"email":            "E-mail address",
		"password":         "Password",
		"name":             "Name",
		"expires_at":       "Expires on",
		"current_password": "Current password",
		"new_password":     "New password",
		"confirmation":     "Confirmation",
	},
	Codes: map[apperr.Code]string{apperr.EmailTaken: "email", apperr.InvalidCredentials: "", apperr.AccountLocked: "", apperr.InvalidToken: ""},
	Order: []string{"name", "email", "current_password", "new_password", "password", "confirmation", "expires_at"},
}

// formErrorsOf turns a use-case error into what a form shows, with the status to
// answer. It reports false for errors a form cannot explain, which go to the error
// handler and its error page.
func formErrorsOf(err error) (formErrors, int, bool) {
	f, status, ok := identityForms.ErrorsOf(err)
	return formErrors{f}, status, ok
}

// safeNext returns next when it is a path on this site, else "/". Only paths
// starting with a single "/" qualify: "//host" and "/\host" are read by browsers
// as other sites, which would make the login form an open redirect.
func safeNext(next string) string {
	if len(next) == 0 || next[0] != '/' || len(next) > 2000 {
		return "/"
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

// setSessionCookie hands the browser its session token: unreadable by scripts,
// sent on top-level navigation from other sites (Lax) so links into Kontor work,
// and only over HTTPS when the instance is served that way.
func (r *Routes) setSessionCookie(c *fiber.Ctx, token string, expires time.Time) {
	c.Cookie(&fiber.Cookie{
		Name:     authn.SessionCookie,
		Value:    token,
		Path:     "/",
		Expires:  expires,
		HTTPOnly: true,
		Secure:   r.secureCookies,
		SameSite: fiber.CookieSameSiteLaxMode,
	})
}

func (r *Routes) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{
		Name:     authn.SessionCookie,
		Value:    "",
		Path:     "/",
		Expires:  time.Unix(0, 0),
		HTTPOnly: true,
		Secure:   r.secureCookies,
		SameSite: fiber.CookieSameSiteLaxMode,
	})
}

func loggedIn(c *fiber.Ctx) bool {
	_, ok := authn.FromContext(c.UserContext())
	return ok
}

func (r *Routes) registerPage(c *fiber.Ctx) error {
	if loggedIn(c) {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return shell.Render(c, fiber.StatusOK, registerPage(shell.Meta(c, "Register"), registerForm{}))
}

func (r *Routes) register(c *fiber.Ctx) error {
	in := app.RegisterInput{Email: c.FormValue("email"), Password: c.FormValue("password"), Name: c.FormValue("name")}
	form := registerForm{Email: in.Email, Name: in.Name}
	if _, err := r.svc.Register(c.UserContext(), in); err != nil {
		errs, status, ok := formErrorsOf(err)
		if !ok {
			return err
		}
		form.Errors = errs
		return shell.Render(c, status, registerPage(shell.Meta(c, "Register"), form))
	}
	sess, err := r.svc.StartSession(c.UserContext(), app.LoginInput{Email: in.Email, Password: in.Password, ClientIP: c.IP()})
	if err != nil {
		// The account exists; only the automatic login failed, so ask for a manual one.
		shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "Your account is ready. Log in to continue."})
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	r.setSessionCookie(c, sess.Token, sess.ExpiresAt)
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "Welcome to Kontor, " + sess.User.Name + "."})
	return c.Redirect("/", fiber.StatusSeeOther)
}

func (r *Routes) loginPage(c *fiber.Ctx) error {
	next := safeNext(c.Query("next"))
	if loggedIn(c) {
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	return shell.Render(c, fiber.StatusOK, loginPage(shell.Meta(c, "Log in"), loginForm{Next: next}))
}

func (r *Routes) login(c *fiber.Ctx) error {
	in := app.LoginInput{Email: c.FormValue("email"), Password: c.FormValue("password"), ClientIP: c.IP()}
	next := safeNext(c.FormValue("next"))
	sess, err := r.svc.StartSession(c.UserContext(), in)
	if err != nil {
		errs, status, ok := formErrorsOf(err)
		if !ok {
			return err
		}
		if e, _ := apperr.As(err); e.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(e.RetryAfter))
		}
		form := loginForm{Email: in.Email, Next: next, Errors: errs}
		return shell.Render(c, status, loginPage(shell.Meta(c, "Log in"), form))
	}
	r.setSessionCookie(c, sess.Token, sess.ExpiresAt)
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "Welcome back, " + sess.User.Name + "."})
	return c.Redirect(next, fiber.StatusSeeOther)
}

// tooMany are the form errors of a post the client IP's rate limit refused.
func tooMany(err *apperr.Error) formErrors {
	return formErrors{shell.TooManyAttempts(err.RetryAfter)}
}

// loginRefused answers a login the rate limit refused: the form again, with the
// e-mail address and where to go next, and the wait.
func (r *Routes) loginRefused(c *fiber.Ctx, err *apperr.Error) error {
	form := loginForm{Email: c.FormValue("email"), Next: safeNext(c.FormValue("next")), Errors: tooMany(err)}
	return shell.Render(c, fiber.StatusTooManyRequests, loginPage(shell.Meta(c, "Log in"), form))
}

// registerRefused answers a registration the rate limit refused: the form again,
// with the name and e-mail address, and the wait.
func (r *Routes) registerRefused(c *fiber.Ctx, err *apperr.Error) error {
	form := registerForm{Email: c.FormValue("email"), Name: c.FormValue("name"), Errors: tooMany(err)}
	return shell.Render(c, fiber.StatusTooManyRequests, registerPage(shell.Meta(c, "Register"), form))
}

func (r *Routes) logout(c *fiber.Ctx, sub authn.Subject) error {
	if err := r.svc.EndSession(c.UserContext(), sub); err != nil {
		return err
	}
	r.clearSessionCookie(c)
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashInfo, Message: "You have logged out."})
	return c.Redirect("/", fiber.StatusSeeOther)
}

// settingsPage shows the profile and API keys.
func (r *Routes) settingsPage(c *fiber.Ctx, sub authn.Subject) error {
	return r.renderSettings(c, sub, fiber.StatusOK, settingsView{})
}

// renderSettings loads what the settings page shows and renders it with v's form
// state and, right after creation, the new key.
func (r *Routes) renderSettings(c *fiber.Ctx, sub authn.Subject, status int, v settingsView) error {
	u, err := r.svc.Me(c.UserContext(), sub)
	if err != nil {
		return err
	}
	keys, err := r.svc.ListAPIKeys(c.UserContext(), sub)
	if err != nil {
		return err
	}
	v.User = u
	v.Keys = keys
	v.Now = time.Now().UTC()
	m := shell.Meta(c, "Settings")
	if v.Created != nil {
		// The page holds a secret: keep it out of caches and the back-forward cache.
		c.Set(fiber.HeaderCacheControl, "no-store")
		m.Flash = append(m.Flash, shell.Flash{Kind: shell.FlashSuccess, Message: "API key “" + v.Created.APIKey.Name + "” created."})
	}
	return shell.Render(c, status, settingsPage(m, v))
}

// dateLayout is the value format of <input type="date">.
const dateLayout = "2006-01-02"

func (r *Routes) createAPIKey(c *fiber.Ctx, sub authn.Subject) error {
	form := keyForm{Name: c.FormValue("name"), ExpiresOn: strings.TrimSpace(c.FormValue("expires_at"))}
	in := app.CreateAPIKeyInput{Name: form.Name}
	if form.ExpiresOn != "" {
		// A date means the key works until that day begins, in UTC.
		day, err := time.Parse(dateLayout, form.ExpiresOn)
		if err != nil {
			form.Errors, _, _ = formErrorsOf(apperr.Validation(apperr.FieldError{Field: "expires_at", Message: "must be a date such as 2027-01-31"}))
			return r.renderSettings(c, sub, fiber.StatusUnprocessableEntity, settingsView{Form: form})
		}
		in.ExpiresAt = &day
	}
	created, err := r.svc.CreateAPIKey(c.UserContext(), sub, in)
	if err != nil {
		errs, status, ok := formErrorsOf(err)
		if !ok {
			return err
		}
		form.Errors = errs
		return r.renderSettings(c, sub, status, settingsView{Form: form})
	}
	return r.renderSettings(c, sub, fiber.StatusOK, settingsView{Created: &created})
}

func (r *Routes) revokeAPIKey(c *fiber.Ctx, sub authn.Subject) error {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return apperr.New(apperr.NotFound, "No API key has this id.")
	}
	if err := r.svc.RevokeAPIKey(c.UserContext(), sub, id); err != nil {
		return err
	}
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "The API key was revoked; it no longer works."})
	return c.Redirect("/settings", fiber.StatusSeeOther)
}
