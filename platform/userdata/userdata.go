// Package userdata is how a person's data leaves Kontor: every module that keeps
// data about a user provides an Exporter for the data export (GET /me/export) and
// an Eraser for the account's deletion (DELETE /me), in the fx groups named here.
// The identity module runs them; no module reads another's tables.
package userdata

import (
	"context"
	"encoding/json"
	"io"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/authn"
)

// CreateFunc opens the next file of an export archive; (*zip.Writer).Create is one.
// A file's writer is valid until the next call.
type CreateFunc = func(name string) (io.Writer, error)

// Exporter writes a module's part of a person's data export, as that module's JSON
// API serves it, reading only what sub may read.
type Exporter interface {
	ExportUser(ctx context.Context, sub authn.Subject, create CreateFunc) error
}

// Eraser deletes what a module keeps about a user. EraseUser runs inside the
// transaction ctx carries (database.DB.Conn(ctx) and RunInTx join it), together
// with every other module's eraser and the deletion of the user.
type Eraser interface {
	EraseUser(ctx context.Context, userID uuid.UUID) error
}

// fx group tags of the exporters and erasers.
const (
	ExportersGroup = `group:"user_exporters"`
	ErasersGroup   = `group:"user_erasers"`
)

// WriteJSON adds a file named name to an export, holding v as indented JSON.
func WriteJSON(create CreateFunc, name string, v any) error {
	w, err := create(name)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
