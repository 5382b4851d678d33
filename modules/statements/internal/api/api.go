// Package api serves statements over the JSON API: GET
// /api/v1/accounts/{id}/statement in JSON, CSV or PDF, chosen by the format
// parameter or the Accept header, streamed as it is built.
package api

import (
	"context"
	_ "embed"
	"log/slog"
	"net/url"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/statements/internal/app"
	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/openapi"
)

// Statements is the use case the handler calls.
type Statements interface {
	// Export checks access and the period and returns the statement to write.
	Export(ctx context.Context, s authn.Subject, in app.ExportInput) (*app.Document, error)
}

// Routes are the statements module's API routes.
type Routes struct {
	svc Statements
	log *slog.Logger
}

// New returns the API routes over svc; log receives errors that happen after a
// response has started, when no status can tell the client any more.
func New(svc Statements, log *slog.Logger) *Routes { return &Routes{svc: svc, log: log} }

// Register adds GET /api/v1/accounts/{id}/statement and its downloads GET
// /api/v1/accounts/{id}/statement/{csv,pdf} under the API_READ policy.
func (r *Routes) Register(router *httpserver.Router) {
	router.APIRead("/accounts/:id/statement", httpserver.Authenticated(r.statement))
	router.APIRead("/accounts/:id/statement/:format", httpserver.Authenticated(r.download))
}

// statement answers the JSON statement. A request for a file (format=csv|pdf, or an
// Accept that prefers one) is sent to the download operation with 303, so this
// operation answers JSON only and a generated client types it as a Statement.
func (r *Routes) statement(c *fiber.Ctx, s authn.Subject) error {
	format, err := Negotiate(c.Query("format"), c.Get(fiber.HeaderAccept))
	if err != nil {
		return err
	}
	if format.IsDownload() {
		q := url.Values{}
		c.Context().QueryArgs().VisitAll(func(k, v []byte) {
			if string(k) != "format" {
				q.Add(string(k), string(v))
			}
		})
		loc := "/api/v1/accounts/" + url.PathEscape(c.Params("id")) + "/statement/" + string(format)
		if len(q) > 0 {
			loc += "?" + q.Encode()
		}
		c.Set(fiber.HeaderVary, fiber.HeaderAccept)
		return c.Redirect(loc, fiber.StatusSeeOther)
	}
	return r.export(c, s, format)
}

// download answers the statement as a file, in the format the path names: the
// operation of its own that keeps the JSON statement's type apart from the files'.
func (r *Routes) download(c *fiber.Ctx, s authn.Subject) error {
	format, ok := domain.ParseFormat(c.Params("format"))
	if !ok || !format.IsDownload() {
		return apperr.New(apperr.NotFound, "A statement downloads as csv or pdf.")
	}
	return r.export(c, s, format)
}

func (r *Routes) export(c *fiber.Ctx, s authn.Subject, format domain.Format) error {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return apperr.New(apperr.NotFound, "There is no account %s.", c.Params("id"))
	}
	doc, err := r.svc.Export(c.UserContext(), s, app.ExportInput{
		StatementInput: app.StatementInput{
			AccountID: id,
			Period:    domain.PeriodInput{Preset: c.Query("period"), StartDate: c.Query("start_date"), EndDate: c.Query("end_date")},
		},
		Format: format,
	})
	if err != nil {
		return err
	}
	Stream(c, doc, r.log)
	return nil
}

// Stream answers with doc, written while the ledger is read (see
// httpserver.StreamDownload); CSV and PDF are attachments.
func Stream(c *fiber.Ctx, doc *app.Document, log *slog.Logger) {
	c.Set(fiber.HeaderVary, fiber.HeaderAccept)
	d := httpserver.Download{
		ContentType: doc.Format.MediaType(),
		Write:       doc.WriteTo,
		LogAttrs:    []any{"account_id", doc.Header.Account.ID.String(), "format", string(doc.Format)},
	}
	if doc.Format.IsDownload() {
		d.FileName = doc.FileName
	}
	httpserver.StreamDownload(c, log, d)
}

//go:embed openapi.json
var openapiJSON []byte

// Spec returns the statements module's part of the OpenAPI document.
func Spec() openapi.Spec { return openapi.Spec{Name: "statements", JSON: openapiJSON} }
