// Package web serves the statements module's pages: the dashboard at "/" for a
// signed-in person (the landing page for a visitor), the statement page of an
// account with its period picker, and the CSV and PDF downloads the page links to.
package web

import (
	"context"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/statements/internal/app"
	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/money"
	kweb "github.com/kontor-app/kontor/web"
)

// Statements are the statement use cases the pages call; the downloads call the
// same Export as the API.
type Statements interface {
	View(ctx context.Context, s authn.Subject, in app.ViewInput) (app.View, error)
	Export(ctx context.Context, s authn.Subject, in app.ExportInput) (*app.Document, error)
}

// Dashboards is the dashboard use case.
type Dashboards interface {
	Dashboard(ctx context.Context, s authn.Subject) (app.Dashboard, error)
}

// Routes are the module's pages.
type Routes struct {
	statements Statements
	dashboards Dashboards
	log        *slog.Logger
}

// New returns the page routes.
func New(statements Statements, dashboards Dashboards, log *slog.Logger) *Routes {
	return &Routes{statements: statements, dashboards: dashboards, log: log}
}

// pageSize is how many statement lines one screen shows.
const pageSize = 100

// Register adds the dashboard at "/" and the statement pages.
func (r *Routes) Register(router *httpserver.Router) {
	router.PublicPage(fiber.MethodGet, "/", r.home)
	router.Page(fiber.MethodGet, "/accounts/:id/statement", httpserver.Authenticated(r.statementPage))
	router.Page(fiber.MethodGet, "/accounts/:id/statement.csv", httpserver.Authenticated(r.download(domain.CSV)))
	router.Page(fiber.MethodGet, "/accounts/:id/statement.pdf", httpserver.Authenticated(r.download(domain.PDF)))
}

// home shows a visitor the landing page and a signed-in person their dashboard.
func (r *Routes) home(c *fiber.Ctx) error {
	s, ok := authn.FromContext(c.UserContext())
	if !ok {
		return kweb.Render(c, fiber.StatusOK, kweb.HomePage(kweb.Meta(c, "Kontor")))
	}
	d, err := r.dashboards.Dashboard(c.UserContext(), s)
	if err != nil {
		return err
	}
	return kweb.Render(c, fiber.StatusOK, dashboardPage(kweb.Meta(c, "Dashboard"), dashboardModel{Dashboard: d, Currency: money.Currency(strings.ToUpper(c.Query("currency")))}))
}

// dashboardModel is the dashboard and the currency its chart shows, picked by the
// ?currency= links so the switch works without script.
type dashboardModel struct {
	app.Dashboard
	Currency money.Currency
}

// selected is the net worth whose history the chart shows: the currency asked for,
// else the first; an unknown currency falls back to the first too.
func (d dashboardModel) selected() (domain.CurrencyWorth, bool) {
	for _, w := range d.NetWorth {
		if w.Currency == d.Currency {
			return w, true
		}
	}
	if len(d.NetWorth) == 0 {
		return domain.CurrencyWorth{}, false
	}
	return d.NetWorth[0], true
}

// periodInput reads the period picker's fields from the query string.
func periodInput(c *fiber.Ctx) domain.PeriodInput {
	return domain.PeriodInput{Preset: c.Query("period"), StartDate: c.Query("start_date"), EndDate: c.Query("end_date")}
}

func accountID(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, apperr.New(apperr.NotFound, "There is no account %s.", c.Params("id"))
	}
	return id, nil
}

func (r *Routes) statementPage(c *fiber.Ctx, s authn.Subject) error {
	id, err := accountID(c)
	if err != nil {
		return err
	}
	in := pagePeriodInput(c)
	page, _ := strconv.Atoi(c.Query("page"))
	v, err := r.statements.View(c.UserContext(), s, app.ViewInput{StatementInput: app.StatementInput{AccountID: id, Period: in}, Page: page, PageSize: pageSize})
	if e, ok := apperr.As(err); ok && e.Code == apperr.ValidationFailed {
		// A bad period is the reader's to fix: show the picker with the problems,
		// under a heading that still names the account (read with this month's
		// period, which cannot be wrong; any error there is the one to answer).
		head, herr := r.statements.View(c.UserContext(), s, app.ViewInput{StatementInput: app.StatementInput{AccountID: id}, PageSize: 1})
		if herr != nil {
			return herr
		}
		name := head.Header.Account.Name
		m := kweb.Meta(c, "Statement · "+name)
		return kweb.Render(c, fiber.StatusUnprocessableEntity, statementPage(m, statementModel{AccountID: id, AccountName: name, Input: in, Errors: e.Fields}))
	}
	if err != nil {
		return err
	}
	m := kweb.Meta(c, "Statement · "+v.Header.Account.Name)
	return kweb.Render(c, fiber.StatusOK, statementPage(m, statementModel{AccountID: id, AccountName: v.Header.Account.Name, Input: in, View: &v, Page: max(page, 1)}))
}

// pagePeriodInput reads the statement page's picker. The form shows the period's
// dates in From and To and sends them back beside what it showed (shown_start,
// shown_end); dates the reader typed differ from those, and then they win over the
// preset, so typed dates are never silently ignored. A preset chosen without
// touching the dates is used as chosen.
func pagePeriodInput(c *fiber.Ctx) domain.PeriodInput {
	in := periodInput(c)
	if in.Preset == string(domain.Custom) || (in.StartDate == "" && in.EndDate == "") {
		return in
	}
	if in.StartDate != c.Query("shown_start") || in.EndDate != c.Query("shown_end") {
		in.Preset = string(domain.Custom)
		return in
	}
	in.StartDate, in.EndDate = "", ""
	return in
}

// download streams the statement in f through the same use case as the API.
func (r *Routes) download(f domain.Format) httpserver.SubjectHandler {
	return func(c *fiber.Ctx, s authn.Subject) error {
		id, err := accountID(c)
		if err != nil {
			return err
		}
		doc, err := r.statements.Export(c.UserContext(), s, app.ExportInput{StatementInput: app.StatementInput{AccountID: id, Period: periodInput(c)}, Format: f})
		if err != nil {
			return err
		}
		httpserver.StreamDownload(c, r.log, httpserver.Download{
			ContentType: doc.Format.MediaType(), FileName: doc.FileName, Write: doc.WriteTo,
			LogAttrs: []any{"account_id", id.String(), "format", string(f)},
		})
		return nil
	}
}

// statementModel is what the statement page shows: the picker's input, any
// problems with it, and the statement when there is one.
type statementModel struct {
	AccountID   uuid.UUID
	AccountName string
	Input       domain.PeriodInput
	Errors      []apperr.FieldError
	View        *app.View
	Page        int
}

// query is the period as a query string, for the download links and the pager.
func (m statementModel) query(extra ...string) string {
	q := url.Values{}
	if m.View != nil {
		// Links name the resolved dates, so a download made just after midnight on
		// the first of a month still covers the month on screen.
		q.Set("start_date", m.View.Header.Period.StartDate())
		q.Set("end_date", m.View.Header.Period.EndDate())
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q.Encode()
}

func (m statementModel) base() string { return "/accounts/" + m.AccountID.String() + "/statement" }

func (m statementModel) downloadURL(f domain.Format) string {
	return m.base() + "." + string(f) + "?" + m.query()
}

func (m statementModel) pager() kweb.PagerProps {
	if m.View == nil {
		return kweb.PagerProps{}
	}
	var p kweb.PagerProps
	total := m.View.Totals.Count
	if m.Page > 1 {
		p.PrevURL = m.base() + "?" + m.query("page", strconv.Itoa(m.Page-1))
	}
	if m.View.Offset+len(m.View.Lines) < total {
		p.NextURL = m.base() + "?" + m.query("page", strconv.Itoa(m.Page+1))
	}
	if total > 0 && (p.PrevURL != "" || p.NextURL != "") {
		p.Summary = "Showing " + strconv.Itoa(m.View.Offset+1) + "–" + strconv.Itoa(m.View.Offset+len(m.View.Lines)) + " of " + strconv.Itoa(total)
	}
	return p
}

// preset is the picker's current choice.
func (m statementModel) preset() string {
	if m.Input.Preset != "" {
		return m.Input.Preset
	}
	if m.Input.StartDate != "" || m.Input.EndDate != "" {
		return string(domain.Custom)
	}
	return string(domain.ThisMonth)
}

// shownStart and shownEnd are the dates the picker shows: the statement's own
// period when there is one, else what the reader typed.
func (m statementModel) shownStart() string {
	if m.View != nil {
		return m.View.Header.Period.StartDate()
	}
	return m.Input.StartDate
}

func (m statementModel) shownEnd() string {
	if m.View != nil {
		return m.View.Header.Period.EndDate()
	}
	return m.Input.EndDate
}

// periodForm is the picker's labels and order, so problems read in the form's
// words ("From: must not be after “To”."), not the API's, top to bottom.
var periodForm = kweb.Form{
	Labels: map[string]string{"period": "Period", "start_date": "From", "end_date": "To"},
	Order:  []string{"period", "start_date", "end_date"},
}

// problems are the period's problems as the form shows them.
func (m statementModel) problems() kweb.FormProblems {
	if len(m.Errors) == 0 {
		return kweb.FormProblems{}
	}
	f, _, _ := periodForm.ErrorsOf(apperr.Validation(m.Errors...))
	return f
}

func (m statementModel) fieldError(name string) string { return m.problems().Field(name) }

// errorList is the summary above the form, in the form's order: Period, From, To.
func (m statementModel) errorList() []string { return m.problems().Summary }

func presetOptions() []kweb.Option {
	out := make([]kweb.Option, len(domain.Presets))
	for i, p := range domain.Presets {
		out[i] = kweb.Option{Value: string(p), Label: p.Label()}
	}
	return out
}
