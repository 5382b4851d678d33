// Package web serves the sync module's pages: the sync history with each run's
// statistics and its error in words with the action that fixes it, a
// connection's "Sync now" page (plain form posts, no JavaScript needed), and the
// pending-match suggestions the owner confirms or rejects. The connection and
// account pages link here. Handlers call the same use cases as the JSON API.
package web

import (
	"context"
	_ "embed"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/sync/internal/app"
	"github.com/kontor-app/kontor/modules/sync/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
	shell "github.com/kontor-app/kontor/web"
)

// Service is the part of the sync use cases the pages call.
type Service interface {
	SyncAccounts(ctx context.Context, sub authn.Subject, in app.SyncInput) (domain.Run, error)
	SyncTransactions(ctx context.Context, sub authn.Subject, in app.SyncInput) (domain.Run, error)
	ListRuns(ctx context.Context, sub authn.Subject, in app.ListInput) (app.RunList, error)
	GetRun(ctx context.Context, sub authn.Subject, id uuid.UUID) (domain.Run, error)
	Suggestions(ctx context.Context, sub authn.Subject, accountID uuid.NullUUID) ([]app.SuggestionView, error)
	ResolveSuggestion(ctx context.Context, sub authn.Subject, id uuid.UUID, confirm bool) error
}

// Routes are the sync pages.
type Routes struct {
	svc    Service
	stream fiber.Handler
}

// New returns the pages over svc; stream serves the signed-in person's event
// stream to the pages (the platform's SSE handler, behind the session).
func New(svc Service, stream fiber.Handler) *Routes { return &Routes{svc: svc, stream: stream} }

//go:embed static/live.js
var liveJS []byte

// Register adds the pages; all need a signed-in user and the platform checks
// the CSRF token of every POST. Fixed paths come before /syncs/:id-like ones.
func (r *Routes) Register(rt *httpserver.Router) {
	rt.Page(fiber.MethodGet, "/syncs", httpserver.Authenticated(r.history))
	rt.Page(fiber.MethodGet, "/syncs/suggestions", httpserver.Authenticated(r.suggestions))
	rt.Page(fiber.MethodPost, "/syncs/suggestions/:id/confirm", httpserver.Authenticated(r.confirm))
	rt.Page(fiber.MethodPost, "/syncs/suggestions/:id/reject", httpserver.Authenticated(r.reject))
	rt.Page(fiber.MethodGet, "/syncs/connections/:id", httpserver.Authenticated(r.connection))
	rt.Page(fiber.MethodPost, "/syncs/connections/:id", httpserver.Authenticated(r.syncNow))
	rt.Page(fiber.MethodGet, "/syncs/runs/:id", httpserver.Authenticated(r.run))
	rt.Page(fiber.MethodGet, "/syncs/events", r.events)
	rt.PublicPage(fiber.MethodGet, "/syncs/live.js", live)
}

// LiveScriptPath is the script that shows a "Sync now" form's progress; other
// modules' pages with such a form load it.
const LiveScriptPath = "/syncs/live.js"

// RunPath is the page of one run.
func RunPath(id uuid.UUID) string { return "/syncs/runs/" + id.String() }

func live(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(liveJS)
}

// events streams the person's domain events to the pages (text/event-stream).
func (r *Routes) events(c *fiber.Ctx) error {
	if r.stream == nil {
		return apperr.New(apperr.NotFound, "No event stream here.")
	}
	return r.stream(c)
}

func (r *Routes) run(c *fiber.Ctx, sub authn.Subject) error {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return apperr.New(apperr.NotFound, "No sync with this id exists.")
	}
	run, err := r.svc.GetRun(c.UserContext(), sub, id)
	if err != nil {
		return err
	}
	return shell.Render(c, fiber.StatusOK, runPage(shell.Meta(c, "Sync run"), viewOf(run, time.Now().UTC())))
}

// ConnectionPath is the "Sync now" page of a connection.
func ConnectionPath(id uuid.UUID) string { return "/syncs/connections/" + id.String() }

func (r *Routes) runs(c *fiber.Ctx, sub authn.Subject, conn uuid.NullUUID) (app.RunList, error) {
	in := app.ListInput{ConnectionID: conn, Limit: 50}
	if v := c.Query("before"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return app.RunList{}, apperr.New(apperr.InvalidCursor, "The page link is not one this list handed out.")
		}
		in.Before = uuid.NullUUID{UUID: id, Valid: true}
	}
	return r.svc.ListRuns(c.UserContext(), sub, in)
}

func (r *Routes) history(c *fiber.Ctx, sub authn.Subject) error {
	var conn uuid.NullUUID
	if v := c.Query("connection_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return apperr.New(apperr.NotFound, "No connection with this id exists.")
		}
		conn = uuid.NullUUID{UUID: id, Valid: true}
	}
	list, err := r.runs(c, sub, conn)
	if err != nil {
		return err
	}
	return shell.Render(c, fiber.StatusOK, historyPage(shell.Meta(c, "Sync history"), views(list, time.Now().UTC()), next(c, list)))
}

func next(c *fiber.Ctx, list app.RunList) string {
	if !list.Next.Valid {
		return ""
	}
	q := url.Values{}
	if v := c.Query("connection_id"); v != "" {
		q.Set("connection_id", v)
	}
	q.Set("before", list.Next.UUID.String())
	return c.Path() + "?" + q.Encode()
}

func (r *Routes) connection(c *fiber.Ctx, sub authn.Subject) error {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return apperr.New(apperr.NotFound, "No connection with this id exists.")
	}
	list, err := r.runs(c, sub, uuid.NullUUID{UUID: id, Valid: true})
	if err != nil {
		return err
	}
	m := shell.Meta(c, "Sync a connection")
	return shell.Render(c, fiber.StatusOK, connectionPage(m, id.String(), views(list, time.Now().UTC()), next(c, list)))
}

func (r *Routes) syncNow(c *fiber.Ctx, sub authn.Subject) error {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return apperr.New(apperr.NotFound, "No connection with this id exists.")
	}
	in := app.SyncInput{ConnectionID: id, Force: c.FormValue("force") == "true"}
	back := ConnectionPath(id)
	if ret := c.FormValue("return_to"); strings.HasPrefix(ret, "/") && !strings.HasPrefix(ret, "//") && !strings.Contains(ret, "\\") {
		back = ret
	}
	var run domain.Run
	switch c.FormValue("kind") {
	case "accounts":
		run, err = r.svc.SyncAccounts(c.UserContext(), sub, in)
	case "transactions", "":
		run, err = r.svc.SyncTransactions(c.UserContext(), sub, in)
	default:
		shell.SetFlash(c, shell.Flash{Kind: shell.FlashError, Message: "Choose accounts or transactions to sync."})
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	if err != nil {
		ae, ok := apperr.As(err)
		if !ok || apperr.Status(ae.Code) >= 500 || ae.Code == apperr.Forbidden || ae.Code == apperr.NotFound {
			return err
		}
		shell.SetFlash(c, shell.Flash{Kind: shell.FlashError, Message: ae.Message})
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	v := viewOf(run, time.Now().UTC())
	if run.Status == domain.StatusFailed {
		shell.SetFlash(c, shell.Flash{Kind: shell.FlashError, Message: "The sync failed: " + v.ErrorText + " " + v.Fix})
	} else {
		shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: run.Message() + " " + v.Summary})
	}
	return c.Redirect(RunPath(run.ID), fiber.StatusSeeOther)
}

func (r *Routes) suggestions(c *fiber.Ctx, sub authn.Subject) error {
	var acct uuid.NullUUID
	if v := c.Query("account_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return apperr.New(apperr.NotFound, "No account with this id exists.")
		}
		acct = uuid.NullUUID{UUID: id, Valid: true}
	}
	list, err := r.svc.Suggestions(c.UserContext(), sub, acct)
	if err != nil {
		return err
	}
	out := make([]suggestionView, len(list))
	for i, s := range list {
		out[i] = suggestionView{ID: s.ID.String(), AccountURL: "/accounts/" + s.AccountID.String(),
			Pending: factText(s.Pending), Posted: factText(s.Posted)}
	}
	return shell.Render(c, fiber.StatusOK, suggestionsPage(shell.Meta(c, "Pending matches to check"), out, c.OriginalURL()))
}

func (r *Routes) confirm(c *fiber.Ctx, sub authn.Subject) error { return r.resolve(c, sub, true) }

func (r *Routes) reject(c *fiber.Ctx, sub authn.Subject) error { return r.resolve(c, sub, false) }

func (r *Routes) resolve(c *fiber.Ctx, sub authn.Subject, confirm bool) error {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return apperr.New(apperr.NotFound, "No open suggestion with this id exists.")
	}
	back := "/syncs/suggestions"
	if ret := c.FormValue("return_to"); strings.HasPrefix(ret, "/") && !strings.HasPrefix(ret, "//") && !strings.Contains(ret, "\\") {
		back = ret
	}
	if err := r.svc.ResolveSuggestion(c.UserContext(), sub, id, confirm); err != nil {
		ae, ok := apperr.As(err)
		if !ok || (ae.Code != apperr.Conflict && ae.Code != app.SyncInProgress && ae.Code != apperr.NotFound) {
			return err
		}
		shell.SetFlash(c, shell.Flash{Kind: shell.FlashError, Message: ae.Message})
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	msg := "Kept both transactions."
	if confirm {
		msg = "Merged: the posted transaction replaces the pending one."
	}
	shell.SetFlash(c, shell.Flash{Kind: shell.FlashSuccess, Message: msg})
	return c.Redirect(back, fiber.StatusSeeOther)
}

// runView is a run as the pages show it.
type runView struct {
	ID, ConnectionID, ConnectionURL string
	When, Kind, Trigger, Status     string
	Duration, Summary               string
	Failed                          bool
	ErrorText, Fix, FixURL, FixText string
}

func views(list app.RunList, now time.Time) []runView {
	out := make([]runView, len(list.Runs))
	for i, r := range list.Runs {
		out[i] = viewOf(r, now)
	}
	return out
}

var kindLabels = map[domain.Kind]string{domain.KindAccounts: "Accounts", domain.KindTransactions: "Transactions", domain.KindImport: "Import"}

var triggerLabels = map[domain.Trigger]string{domain.TriggerManual: "by you", domain.TriggerSchedule: "on schedule",
	domain.TriggerLink: "after linking", domain.TriggerImport: "file import"}

var statusLabels = map[domain.Status]string{domain.StatusRunning: "Running", domain.StatusSucceeded: "Succeeded", domain.StatusFailed: "Failed"}

func viewOf(r domain.Run, now time.Time) runView {
	v := runView{ID: r.ID.String(), ConnectionID: r.ConnectionID.String(), ConnectionURL: ConnectionPath(r.ConnectionID),
		When: r.StartedAt.UTC().Format("2 Jan 2006 15:04 UTC"), Kind: kindLabels[r.Kind], Trigger: triggerLabels[r.Trigger],
		Status: statusLabels[r.Status], Duration: r.Duration(now).Round(time.Millisecond).String(), Failed: r.Status == domain.StatusFailed}
	s := r.Stats
	var parts []string
	add := func(n int, one, many string) {
		if n == 1 {
			parts = append(parts, "1 "+one)
		} else if n > 1 {
			parts = append(parts, fmt.Sprintf("%d %s", n, many))
		}
	}
	add(s.AccountsCreated, "account added", "accounts added")
	add(s.AccountsUpdated, "account updated", "accounts updated")
	add(s.Added, "transaction added", "transactions added")
	add(s.Modified, "transaction changed", "transactions changed")
	add(s.Removed, "transaction removed", "transactions removed")
	add(s.LinkedPending, "pending transaction posted", "pending transactions posted")
	add(s.Suggestions, "possible match to check", "possible matches to check")
	add(s.Duplicates, "already known", "already known")
	if len(parts) == 0 {
		parts = append(parts, "nothing new")
	}
	v.Summary = strings.Join(parts, ", ") + "."
	if r.Error != nil {
		v.ErrorText = r.Error.Message
		v.Fix, v.FixURL, v.FixText = fixFor(r)
	}
	return v
}

// fixFor says what mends a failed run, with a link when a person must act.
func fixFor(r domain.Run) (string, string, string) {
	conn := "/connections/" + r.ConnectionID.String()
	switch r.Error.Code {
	case "auth_expired", "auth_revoked", "consent_denied":
		return "Scheduled syncs are paused until you reconnect the bank.", conn, "Reconnect"
	case "token_compromised":
		return "Disable the token at SimpleFIN Bridge, create a new one and give it to Kontor.", conn, "Enter a new setup token"
	case "rate_limited":
		return "The provider asked Kontor to slow down; Kontor retries on its own when it allows.", "", ""
	case "provider_unavailable", app.CodePaginationUnstable, app.CodeInterrupted, app.CodeInternal:
		return "Kontor retries on its own; nothing was lost.", ConnectionPath(r.ConnectionID), "Try again now"
	case "bad_data":
		return "Kontor kept everything it had before; try again later, and if it persists the provider's data needs fixing.", ConnectionPath(r.ConnectionID), "Try again"
	case string(apperr.SyncTooSoon):
		return "The provider's daily request budget is spent; the next sync runs when it renews.", "", ""
	}
	return "", "", ""
}

// suggestionView is a pending-match suggestion as the page shows it.
type suggestionView struct {
	ID, AccountURL  string
	Pending, Posted string
}

func factText(f domain.Fact) string {
	name := f.Description
	if name == "" {
		name = f.Counterparty
	}
	return fmt.Sprintf("%s · %s · %s", f.Date.Format("2 Jan 2006"), name, f.Amount.String())
}
