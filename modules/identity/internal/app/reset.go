package app

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
)

// PasswordResetLink is a one-time link an administrator hands to a user who forgot
// their password.
type PasswordResetLink struct {
	URL   string
	Reset domain.PasswordReset
}

// ResetPasswordInput is the token from the link and the new password.
type ResetPasswordInput struct {
	Token       string
	NewPassword string
}

// ResetPath is the page a reset link opens.
const ResetPath = "/reset-password"

// CreatePasswordReset makes a one-time reset link for the user with email, valid
// for domain.PasswordResetTTL, under baseURL. Only the token's hash is stored. An
// unknown address is not_found: the caller is an administrator at the command
// line, who needs to know.
func (s *Service) CreatePasswordReset(ctx context.Context, email, baseURL string) (PasswordResetLink, error) {
	addr, err := domain.ParseEmail(email)
	if err != nil {
		return PasswordResetLink{}, apperr.Validation(apperr.FieldError{Field: "email", Message: err.Error()})
	}
	u, err := s.repo.UserByEmail(ctx, addr)
	if errors.Is(err, ErrNotFound) {
		return PasswordResetLink{}, apperr.New(apperr.NotFound, "No user has the e-mail address %s.", addr)
	}
	if err != nil {
		return PasswordResetLink{}, apperr.Wrap(err, "load user")
	}
	id, err := uuid.NewV7()
	if err != nil {
		return PasswordResetLink{}, apperr.Wrap(err, "new reset id")
	}
	r, token, err := domain.NewPasswordReset(id, u.ID, s.clock.Now())
	if err != nil {
		return PasswordResetLink{}, apperr.Wrap(err, "new password reset")
	}
	if err := s.repo.CreatePasswordReset(ctx, r); err != nil {
		return PasswordResetLink{}, apperr.Wrap(err, "store password reset")
	}
	link := strings.TrimRight(baseURL, "/") + ResetPath + "?token=" + url.QueryEscape(token)
	return PasswordResetLink{URL: link, Reset: r}, nil
}

// CheckPasswordReset says whether a reset token still works, so the page can say
// so before the user types a new password.
func (s *Service) CheckPasswordReset(ctx context.Context, token string) error {
	_, err := s.usableReset(ctx, token)
	return err
}

func (s *Service) usableReset(ctx context.Context, token string) (domain.PasswordReset, error) {
	invalid := apperr.New(apperr.InvalidToken, "This password-reset link is invalid, was used already or has expired. Ask your administrator for a new one.")
	if token == "" {
		return domain.PasswordReset{}, invalid
	}
	r, err := s.repo.PasswordResetByHash(ctx, domain.HashSecret(token))
	if errors.Is(err, ErrNotFound) {
		return domain.PasswordReset{}, invalid
	}
	if err != nil {
		return domain.PasswordReset{}, apperr.Wrap(err, "load password reset")
	}
	if r.CheckUsable(s.clock.Now()) != nil {
		return domain.PasswordReset{}, invalid
	}
	return r, nil
}

// ResetPassword sets a new password with a reset token, once: the token is used up,
// every refresh token is revoked and every session deleted, in one transaction.
func (s *Service) ResetPassword(ctx context.Context, in ResetPasswordInput) (domain.User, error) {
	r, err := s.usableReset(ctx, in.Token)
	if err != nil {
		return domain.User{}, err
	}
	if in.NewPassword == "" {
		return domain.User{}, apperr.Validation(apperr.FieldError{Field: "new_password", Message: "is required"})
	}
	if err := domain.CheckPassword(in.NewPassword); err != nil {
		return domain.User{}, apperr.Validation(apperr.FieldError{Field: "new_password", Message: err.Error()})
	}
	hash, err := s.hasher.Hash(in.NewPassword)
	if err != nil {
		return domain.User{}, apperr.Wrap(err, "hash password")
	}
	ok, err := s.repo.UsePasswordReset(ctx, r.ID, r.UserID, hash, s.clock.Now())
	if err != nil {
		return domain.User{}, apperr.Wrap(err, "reset password")
	}
	if !ok {
		// Another request used the link a moment ago.
		_, err := s.usableReset(ctx, in.Token)
		return domain.User{}, err
	}
	// Access tokens already out end too, on every instance (see RevokeAccessTokens).
	s.RevokeAccessTokens(ctx, r.UserID)
	return s.User(ctx, r.UserID)
}
