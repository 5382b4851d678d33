package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/modules/identity/internal/app"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
	shell "github.com/kontor-app/kontor/web"
)

// formError renders a form's page again with the problems err names, or hands
// err to the error handler when a form cannot explain it.
func formError(c *fiber.Ctx, err error, render func(formErrors, int) error) error {
	errs, status, ok := formErrorsOf(err)
	if !ok {
		return err
	}
	if e, _ := apperr.As(err); e.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(e.RetryAfter))
	}
	return render(errs, status)
}

func (r *Routes) profilePage(c *fiber.Ctx, sub authn.Subject) error {
	u, err := r.svc.Me(c.UserContext(), sub)
	if err != nil {
		return err
	}
	return shell.Render(c, fiber.StatusOK, profilePage(shell.Meta(c, "Name and e-mail address"), profileForm{Name: u.Name, Email: u.Email}))
}

func (r *Routes) updateProfile(c *fiber.Ctx, sub authn.Subject) error {
	form := profileForm{Name: c.FormValue("name"), Email: c.FormValue("email")}
	in := app.UpdateProfileInput{Name: &form.Name, Email: &form.Email, CurrentPassword: c.FormValue("current_password"), ClientIP: c.IP()}
	if _, err := r.svc.UpdateProfile(c.UserContext(), sub, in); err != nil {
		return formError(c, err, func(errs formErrors, status int) error {
			form.Errors = errs
			return shell.Render(c, status, profilePage(shell.Meta(c, "Name and e-mail address"), form))
		})
	}
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "Your name and e-mail address are saved."})
	return c.Redirect("/settings", fiber.StatusSeeOther)
}

func (r *Routes) passwordPage(c *fiber.Ctx) error {
	return shell.Render(c, fiber.StatusOK, passwordPage(shell.Meta(c, "Change password"), passwordForm{}))
}

func (r *Routes) changePassword(c *fiber.Ctx, sub authn.Subject) error {
	in := app.ChangePasswordInput{CurrentPassword: c.FormValue("current_password"), NewPassword: c.FormValue("new_password"), ClientIP: c.IP()}
	if _, err := r.svc.ChangePassword(c.UserContext(), sub, in); err != nil {
		return formError(c, err, func(errs formErrors, status int) error {
			return shell.Render(c, status, passwordPage(shell.Meta(c, "Change password"), passwordForm{Errors: errs}))
		})
	}
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "Your password is changed. Every other browser and app was logged out."})
	return c.Redirect("/settings", fiber.StatusSeeOther)
}

// export downloads the data export, the same archive as GET /api/v1/me/export.
func (r *Routes) export(c *fiber.Ctx, sub authn.Subject) error {
	f, err := r.svc.OpenExport(c.UserContext(), sub)
	if err != nil {
		return err
	}
	httpserver.StreamDownload(c, r.log, httpserver.Download{ContentType: "application/zip", FileName: f.Name, Write: f.Write,
		LogAttrs: []any{"user_id", sub.UserID.String()}})
	return nil
}

func (r *Routes) deletePage(c *fiber.Ctx, sub authn.Subject) error {
	return shell.Render(c, fiber.StatusOK, deletePage(shell.Meta(c, "Delete your account"), deleteForm{Email: sub.Email}))
}

func (r *Routes) deleteAccount(c *fiber.Ctx, sub authn.Subject) error {
	form := deleteForm{Email: sub.Email, Confirmation: c.FormValue("confirmation")}
	if err := r.svc.DeleteAccount(c.UserContext(), sub, app.DeleteAccountInput{Confirmation: form.Confirmation}); err != nil {
		return formError(c, err, func(errs formErrors, status int) error {
			form.Errors = errs
			return shell.Render(c, status, deletePage(shell.Meta(c, "Delete your account"), form))
		})
	}
	r.clearSessionCookie(c)
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashInfo, Message: "Your account and all its data were deleted."})
	return c.Redirect("/", fiber.StatusSeeOther)
}

// resetMeta is a reset page's meta; the page carries a secret in its address, so
// it is kept out of caches.
func resetMeta(c *fiber.Ctx) shell.PageMeta {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer")
	return shell.Meta(c, "Choose a new password")
}

func (r *Routes) resetPasswordPage(c *fiber.Ctx) error {
	form := resetForm{Token: c.Query("token")}
	if err := r.svc.CheckPasswordReset(c.UserContext(), form.Token); err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.InvalidToken {
			return err
		}
		form.Invalid = e.Message
		return shell.Render(c, apperr.Status(e.Code), resetPasswordPage(resetMeta(c), form))
	}
	return shell.Render(c, fiber.StatusOK, resetPasswordPage(resetMeta(c), form))
}

// resetPasswordRefused answers a new password the rate limit refused: the form
// again, with its one-time token, and the wait.
func (r *Routes) resetPasswordRefused(c *fiber.Ctx, err *apperr.Error) error {
	form := resetForm{Token: c.FormValue("token"), Errors: tooMany(err)}
	return shell.Render(c, fiber.StatusTooManyRequests, resetPasswordPage(resetMeta(c), form))
}

func (r *Routes) resetPassword(c *fiber.Ctx) error {
	form := resetForm{Token: c.FormValue("token")}
	_, err := r.svc.ResetPassword(c.UserContext(), app.ResetPasswordInput{Token: form.Token, NewPassword: c.FormValue("new_password")})
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Code == apperr.InvalidToken {
			form.Invalid = e.Message
			return shell.Render(c, apperr.Status(e.Code), resetPasswordPage(resetMeta(c), form))
		}
		return formError(c, err, func(errs formErrors, status int) error {
			form.Errors = errs
			return shell.Render(c, status, resetPasswordPage(resetMeta(c), form))
		})
	}
	if loggedIn(c) {
		// Every session ended, this browser's too.
		r.clearSessionCookie(c)
	}
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: "Your new password is set. Log in with it."})
	return c.Redirect("/login", fiber.StatusSeeOther)
}
