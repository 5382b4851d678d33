package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kontor-app/kontor/modules/identity"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/database"
)

// user runs the user-management commands; today `kontor user reset-password EMAIL`,
// which prints a one-time link for a user who forgot their password.
func user(args []string, stdout, stderr io.Writer) int {
	const usageLine = "usage: kontor user reset-password EMAIL   (prints a one-time link under KONTOR_BASE_URL; settings as for serve)"
	if len(args) < 1 || args[0] != "reset-password" {
		fmt.Fprintln(stderr, usageLine)
		return 2
	}
	email, rest, ok := splitFileArg(args[1:])
	if !ok || email == "-" {
		fmt.Fprintln(stderr, usageLine)
		return 2
	}
	cfg, ok := loadDatabaseSettings(rest, stderr)
	if !ok {
		return 2
	}
	db, err := database.Open(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "kontor: %v\n", err)
		return 1
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	link, err := identity.CreatePasswordReset(ctx, db, email, cfg.BaseURL)
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Code != apperr.Internal {
			msg := e.Message
			for _, f := range e.Fields {
				msg = "the e-mail address " + f.Message
			}
			fmt.Fprintf(stderr, "kontor: %s\n", msg)
			return 1
		}
		fmt.Fprintf(stderr, "kontor: reset-password: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "One-time password-reset link for %s (works once, until %s):\n%s\n",
		link.Email, link.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"), link.URL)
	return 0
}
