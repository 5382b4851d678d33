package sandbox

import (
	"log/slog"
	"strings"

	"go.uber.org/fx"

	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/httpserver"
)

// Module serves the sandbox bank under /sandbox when KONTOR_SANDBOX is true, and
// provides nothing otherwise.
var Module = fx.Module("sandbox",
	fx.Provide(fx.Annotate(newMounts, fx.ResultTags(`group:"mounts,flatten"`))),
)

func newMounts(cfg config.Config, db *database.DB, log *slog.Logger) []httpserver.Mount {
	if !cfg.Sandbox {
		return nil
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	return []httpserver.Mount{{
		Prefix: Prefix,
		App: NewApp(Options{
			DB:            db,
			RedirectURIs:  []string{base + CallbackPath},
			SecretKey:     cfg.SecretKey,
			Log:           log.With("module", "sandbox"),
			SecureCookies: strings.HasPrefix(cfg.BaseURL, "https://"),
		}),
	}}
}
