package app

import (
	"archive/zip"
	"context"
	"errors"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/userdata"
)

// UpdateProfileInput changes the caller's name and/or e-mail address; a nil field
// stays as it is. A new address needs the current password, so a browser left
// logged in cannot be used to take the account over.
type UpdateProfileInput struct {
	Name            *string
	Email           *string
	CurrentPassword string
	// ClientIP counts wrong passwords towards the login throttles.
	ClientIP string
	// IfMatch is the If-Match header: the change applies only to the version of the
	// user it names (empty: any).
	IfMatch string
}

// ChangePasswordInput is the current and the new password.
type ChangePasswordInput struct {
	CurrentPassword string
	NewPassword     string
	ClientIP        string
}

// DeleteAccountInput is the typed confirmation of an account's deletion: the
// account's e-mail address or the word DELETE.
type DeleteAccountInput struct {
	Confirmation string
}

// DeleteConfirmationWord is the word that, typed instead of the e-mail address,
// confirms an account's deletion.
const DeleteConfirmationWord = "DELETE"

// UpdateProfile changes the caller's name and e-mail address.
func (s *Service) UpdateProfile(ctx context.Context, sub authn.Subject, in UpdateProfileInput) (domain.User, error) {
	u, err := s.Me(ctx, sub)
	if err != nil {
		return domain.User{}, err
	}
	if in.Name == nil && in.Email == nil {
		return domain.User{}, apperr.Validation(apperr.FieldError{Field: "name", Message: "or email is required: the request changes nothing"})
	}
	var f apperr.Fields
	name, email := u.Name, u.Email
	if in.Name != nil {
		n, err := domain.ParseName(*in.Name)
		if err != nil {
			f.Add("name", "%s", err)
		}
		name = n
	}
	if in.Email != nil {
		e, err := domain.ParseEmail(*in.Email)
		switch {
		case strings.TrimSpace(*in.Email) == "":
			f.Add("email", "is required")
		case err != nil:
			f.Add("email", "%s", err)
		}
		email = e
	}
	emailChanges := in.Email != nil && email != u.Email
	if emailChanges && in.CurrentPassword == "" {
		f.Add("current_password", "is required to change the e-mail address")
	}
	if err := f.Err(); err != nil {
		return domain.User{}, err
	}
	if emailChanges {
		if err := s.checkCurrentPassword(ctx, u, in.CurrentPassword, in.ClientIP); err != nil {
			return domain.User{}, err
		}
	}
	now := s.clock.Now()
	err = s.repo.UpdateUser(ctx, u.ID, func(x *domain.User) error {
		if !x.MatchesETag(in.IfMatch) {
			return apperr.New(apperr.PreconditionFailed, "Your profile has changed since you read it (it is now at %s); read it again and reapply your change.", x.ETag())
		}
		x.Name = name
		x.Email = email
		x.UpdatedAt = now
		return nil
	})
	switch {
	case errors.Is(err, ErrEmailTaken):
		return domain.User{}, apperr.New(apperr.EmailTaken, "An account with this e-mail address already exists.")
	case errors.Is(err, ErrNotFound):
		return domain.User{}, apperr.New(apperr.NotFound, "No user has this id.")
	case err != nil:
		if _, ok := apperr.As(err); ok {
			return domain.User{}, err
		}
		return domain.User{}, apperr.Wrap(err, "update user")
	}
	return s.Me(ctx, sub)
}

// ChangePassword sets a new password after checking the current one. Every other
// way in ends: all refresh tokens are revoked and every browser session but the
// caller's own is deleted. An API caller gets a fresh token pair in the result, so
// it stays logged in; a browser keeps its session (the pair is then empty).
func (s *Service) ChangePassword(ctx context.Context, sub authn.Subject, in ChangePasswordInput) (TokenPair, error) {
	u, err := s.Me(ctx, sub)
	if err != nil {
		return TokenPair{}, err
	}
	var f apperr.Fields
	if in.CurrentPassword == "" {
		f.Add("current_password", "is required")
	}
	if in.NewPassword == "" {
		f.Add("new_password", "is required")
	} else if err := domain.CheckPassword(in.NewPassword); err != nil {
		f.Add("new_password", "%s", err)
	}
	if err := f.Err(); err != nil {
		return TokenPair{}, err
	}
	if err := s.checkCurrentPassword(ctx, u, in.CurrentPassword, in.ClientIP); err != nil {
		return TokenPair{}, err
	}
	hash, err := s.hasher.Hash(in.NewPassword)
	if err != nil {
		return TokenPair{}, apperr.Wrap(err, "hash password")
	}
	keep := uuid.Nil
	if id, err := uuid.Parse(sub.SessionID); err == nil {
		keep = id
	}
	now := s.clock.Now()
	if err := s.repo.SetPassword(ctx, u.ID, hash, now, keep); err != nil {
		return TokenPair{}, apperr.Wrap(err, "set password")
	}
	if sub.Method == authn.MethodSession {
		// A browser holds no access token of its own: every one out ends.
		s.RevokeAccessTokens(ctx, u.ID)
		return TokenPair{}, nil
	}
	// An API caller keeps working with the fresh pair. Access tokens already out
	// are left to expire (AccessTokenTTL at most), as after a logout: revoking them
	// would refuse the fresh one too, issued in the same second.
	return s.startFamily(ctx, u.ID)
}

// checkCurrentPassword checks a signed-in user's password before a sensitive
// change, with the login throttles, so it cannot be used to guess the password
// faster than the login form. A wrong one is a validation error on
// current_password: the caller is authenticated, only this field is wrong.
func (s *Service) checkCurrentPassword(ctx context.Context, u domain.User, password, clientIP string) error {
	keys := throttleKeys(u.Email, clientIP)
	if err := s.checkThrottles(ctx, keys); err != nil {
		return err
	}
	ok, err := s.hasher.Verify(password, u.PasswordHash)
	if err != nil {
		return apperr.Wrap(err, "verify password")
	}
	if !ok {
		if err := s.recordFailure(ctx, keys); err != nil {
			return err
		}
		return apperr.Validation(apperr.FieldError{Field: "current_password", Message: "is not your current password"})
	}
	return nil
}

// startFamily issues a token pair in a new refresh-token family.
func (s *Service) startFamily(ctx context.Context, userID uuid.UUID) (TokenPair, error) {
	now := s.clock.Now()
	id, err := uuid.NewV7()
	if err != nil {
		return TokenPair{}, apperr.Wrap(err, "new token id")
	}
	rt, secret, err := domain.NewRefreshToken(id, userID, uuid.Nil, now)
	if err != nil {
		return TokenPair{}, apperr.Wrap(err, "new refresh token")
	}
	if err := s.repo.CreateRefreshToken(ctx, rt); err != nil {
		return TokenPair{}, apperr.Wrap(err, "store refresh token")
	}
	sub, err := s.subject(ctx, userID, authn.MethodJWT, "")
	if err != nil {
		return TokenPair{}, err
	}
	return s.pair(sub, now, rt, secret)
}

// DeleteAccount deletes the caller and everything kept about them: every other
// module's data through the erasers, then the user with their credentials, in one
// database transaction, so either all of it goes or nothing does.
func (s *Service) DeleteAccount(ctx context.Context, sub authn.Subject, in DeleteAccountInput) error {
	if sub.Method == authn.MethodAPIKey {
		return apperr.New(apperr.Forbidden, "An API key cannot delete the account; log in with your password or use the settings page.")
	}
	u, err := s.Me(ctx, sub)
	if err != nil {
		return err
	}
	typed := strings.TrimSpace(in.Confirmation)
	switch {
	case typed == "":
		return apperr.Validation(apperr.FieldError{Field: "confirmation", Message: "is required: type your e-mail address or the word DELETE"})
	case typed != DeleteConfirmationWord && !strings.EqualFold(typed, u.Email):
		return apperr.Validation(apperr.FieldError{Field: "confirmation", Message: "must be your e-mail address or the word DELETE"})
	}
	err = s.repo.DeleteUser(ctx, u.ID, func(ctx context.Context) error {
		for _, e := range s.erasers {
			if err := e.EraseUser(ctx, u.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return apperr.Wrap(err, "delete user")
	}
	s.RevokeAccessTokens(ctx, u.ID)
	if err := s.authz.Forget(ctx, u.ID.String()); err != nil {
		return apperr.Wrap(err, "forget roles")
	}
	return nil
}

// Eraser deletes what one part of Kontor keeps about a user. EraseUser runs inside
// the transaction ctx carries (database.DB.Conn(ctx) joins it).
type Eraser = userdata.Eraser

// Exporter writes one part of a person's data export.
type Exporter = userdata.Exporter

// WithErasers sets the erasers DeleteAccount runs, and returns s.
func (s *Service) WithErasers(erasers ...Eraser) *Service {
	s.erasers = erasers
	return s
}

// WithExporters sets the exporters Export runs, in order, and returns s.
func (s *Service) WithExporters(exporters ...Exporter) *Service {
	s.exporters = exporters
	return s
}

// ExportFile is a data export ready to be written: the name it downloads as and
// the function that writes the archive.
type ExportFile struct {
	// Name is kontor-export-YYYY-MM-DD.zip, for the day it was made.
	Name string
	// Write writes the ZIP archive to w, file by file as it is read.
	Write func(ctx context.Context, w io.Writer) error
}

// OpenExport checks that the caller still exists and returns their data export,
// to be written as it is sent. The check comes first because once writing started
// a failure can only cut the archive short.
func (s *Service) OpenExport(ctx context.Context, sub authn.Subject) (ExportFile, error) {
	if _, err := s.Me(ctx, sub); err != nil {
		return ExportFile{}, err
	}
	name := "kontor-export-" + s.clock.Now().UTC().Format("2006-01-02") + ".zip"
	return ExportFile{Name: name, Write: func(ctx context.Context, w io.Writer) error { return s.Export(ctx, sub, w) }}, nil
}

// Export writes a ZIP archive of everything Kontor keeps about the caller to w,
// each part written by its module as its JSON API serves it, file by file as it is
// read. Callers serving it use OpenExport, which checks the subject first.
func (s *Service) Export(ctx context.Context, sub authn.Subject, w io.Writer) error {
	zw := zip.NewWriter(w)
	create := func(name string) (io.Writer, error) {
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: s.clock.Now()})
	}
	for _, e := range s.exporters {
		if err := e.ExportUser(ctx, sub, create); err != nil {
			return apperr.Wrap(err, "export")
		}
	}
	return zw.Close()
}
