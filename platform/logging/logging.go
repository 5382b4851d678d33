// Package logging builds the process's structured log/slog logger from configuration.
package logging

import (
	"io"
	"log/slog"

	"github.com/kontor-app/kontor/platform/config"
)

// New returns a logger writing to w in the configured format and level.
func New(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
