package api

import (
	"context"

	"github.com/kontor-app/kontor/modules/identity/internal/domain"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/userdata"
)

// ExportService is what the identity part of a data export reads.
type ExportService interface {
	Me(ctx context.Context, sub authn.Subject) (domain.User, error)
	ListAPIKeys(ctx context.Context, sub authn.Subject) ([]domain.APIKey, error)
}

// Exporter writes identity's part of a data export: profile.json (the body of GET
// /me) and api_keys.json (the body of GET /api-keys: names, prefixes and dates,
// never a key).
type Exporter struct {
	svc ExportService
}

// NewExporter returns identity's exporter over svc.
func NewExporter(svc ExportService) *Exporter { return &Exporter{svc: svc} }

// ExportUser writes the files.
func (e *Exporter) ExportUser(ctx context.Context, sub authn.Subject, create userdata.CreateFunc) error {
	u, err := e.svc.Me(ctx, sub)
	if err != nil {
		return err
	}
	if err := userdata.WriteJSON(create, "profile.json", userOf(u)); err != nil {
		return err
	}
	keys, err := e.svc.ListAPIKeys(ctx, sub)
	if err != nil {
		return err
	}
	out := make([]apiKeyJSON, len(keys))
	for i, k := range keys {
		out[i] = apiKeyOf(k)
	}
	return userdata.WriteJSON(create, "api_keys.json", map[string]any{"api_keys": out})
}
