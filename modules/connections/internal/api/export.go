package api

import (
	"context"
	"encoding/json"

	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/userdata"
)

// ExportLister is what the connections part of a data export reads.
type ExportLister interface {
	ListConnections(ctx context.Context, sub authn.Subject, in app.ListInput) (app.ConnectionList, error)
}

// Exporter writes the connections part of a data export: connections.json, the
// body of GET /connections with every connection on one page. It is the API's own
// view, so it holds the connections' metadata and never a credential.
type Exporter struct {
	svc ExportLister
}

// NewExporter returns the connections exporter over svc.
func NewExporter(svc ExportLister) *Exporter { return &Exporter{svc: svc} }

// ExportUser writes connections.json.
func (e *Exporter) ExportUser(ctx context.Context, sub authn.Subject, create userdata.CreateFunc) error {
	out := []connectionJSON{}
	in := app.ListInput{Limit: 200}
	for {
		list, err := e.svc.ListConnections(ctx, sub, in)
		if err != nil {
			return err
		}
		for _, v := range list.Connections {
			out = append(out, connectionOf(v))
		}
		if !list.HasMore {
			break
		}
		in.Cursor = list.NextCursor
	}
	w, err := create("connections.json")
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"connections": out, "next_cursor": nil, "has_more": false})
}
