// Package api serves the sync module's JSON endpoints under /api/v1 (API.md
// "Sync"): manual account and transaction syncs, and the audit trail of runs.
// Handlers parse the request into the use case's input, call it, and map the
// run to the contract in openapi.json; errors go to the one error handler.
package api

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/sync/internal/app"
	"github.com/kontor-app/kontor/modules/sync/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/money"
	"github.com/kontor-app/kontor/platform/openapi"
	"github.com/kontor-app/kontor/platform/ratelimit"
)

// Service is the part of the sync use cases the JSON API calls.
type Service interface {
	SyncAccounts(ctx context.Context, sub authn.Subject, in app.SyncInput) (domain.Run, error)
	SyncTransactions(ctx context.Context, sub authn.Subject, in app.SyncInput) (domain.Run, error)
	ListRuns(ctx context.Context, sub authn.Subject, in app.ListInput) (app.RunList, error)
	GetRun(ctx context.Context, sub authn.Subject, id uuid.UUID) (domain.Run, error)
	Balances(ctx context.Context, sub authn.Subject, accountID uuid.UUID, from, to time.Time) (app.BalanceHistory, error)
}

// Routes are the sync module's JSON endpoints.
type Routes struct {
	svc Service
}

// New returns the JSON endpoints over svc.
func New(svc Service) *Routes { return &Routes{svc: svc} }

//go:embed openapi.json
var openapiJSON []byte

// Spec returns the sync module's part of the OpenAPI document.
func Spec() openapi.Spec { return openapi.Spec{Name: "sync", JSON: openapiJSON} }

// Register adds the endpoints of API.md's "Sync".
func (r *Routes) Register(rt *httpserver.Router) {
	rt.APISync(fiber.MethodPost, "/accounts/syncs", SyncKey, httpserver.Authenticated(r.syncAccounts))
	rt.APISync(fiber.MethodPost, "/transactions/syncs", SyncKey, httpserver.Authenticated(r.syncTransactions))
	rt.APIRead("/syncs", httpserver.Authenticated(r.list))
	rt.APIRead("/syncs/balances", httpserver.Authenticated(r.balances)) // before /syncs/:id
	rt.APIRead("/syncs/:id", httpserver.Authenticated(r.get))
}

// SyncKey keys the PROVIDER_SYNC bucket by user and the connection the body
// names (a body that names none shares one bucket per user).
func SyncKey(c *fiber.Ctx) string {
	var body struct {
		ConnectionID string `json:"connection_id"`
	}
	_ = json.Unmarshal(c.Body(), &body)
	if _, err := uuid.Parse(body.ConnectionID); err != nil {
		body.ConnectionID = ""
	}
	return ratelimit.ByUser(c) + ":" + body.ConnectionID
}

type syncRequest struct {
	ConnectionID *string `json:"connection_id"`
	Force        *bool   `json:"force"`
	StartDate    *string `json:"start_date"`
}

func parseSync(c *fiber.Ctx, allowStart bool) (app.SyncInput, error) {
	var req syncRequest
	if err := httpserver.DecodeJSON(c, &req); err != nil {
		return app.SyncInput{}, err
	}
	var in app.SyncInput
	var errs apperr.Fields
	switch {
	case req.ConnectionID == nil:
		errs.Add("connection_id", "is required")
	default:
		id, err := uuid.Parse(*req.ConnectionID)
		if err != nil {
			errs.Add("connection_id", "must be a UUID")
		}
		in.ConnectionID = id
	}
	if req.Force != nil {
		in.Force = *req.Force
	}
	if req.StartDate != nil {
		if !allowStart {
			return in, apperr.New(apperr.UnknownField, "Unknown field \"start_date\".")
		}
		d, err := time.Parse(time.DateOnly, *req.StartDate)
		switch {
		case err != nil:
			errs.Add("start_date", "must be a date YYYY-MM-DD")
		case d.After(time.Now().UTC()):
			errs.Add("start_date", "must not lie in the future")
		case d.Before(time.Now().UTC().AddDate(-2, 0, 0)):
			errs.Add("start_date", "must lie within the last two years")
		default:
			in.StartDate = &d
		}
	}
	return in, errs.Err()
}

// accountSyncJSON is the Dashtam statistics of an account sync.
type accountSyncJSON struct {
	SyncID          string `json:"sync_id"`
	Status          string `json:"status"`
	Created         int    `json:"created"`
	Updated         int    `json:"updated"`
	Unchanged       int    `json:"unchanged"`
	Errors          int    `json:"errors"`
	Message         string `json:"message"`
	AccountsCreated int    `json:"accounts_created"`
	AccountsUpdated int    `json:"accounts_updated"`
}

// transactionSyncJSON is the statistics of a transaction sync.
type transactionSyncJSON struct {
	SyncID     string `json:"sync_id"`
	Status     string `json:"status"`
	Added      int    `json:"added"`
	Modified   int    `json:"modified"`
	Removed    int    `json:"removed"`
	Duplicates int    `json:"duplicates"`
	Errors     int    `json:"errors"`
	Message    string `json:"message"`
}

func (r *Routes) syncAccounts(c *fiber.Ctx, sub authn.Subject) error {
	in, err := parseSync(c, false)
	if err != nil {
		return err
	}
	run, err := r.svc.SyncAccounts(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	s := run.Stats
	return c.Status(fiber.StatusCreated).JSON(accountSyncJSON{SyncID: run.ID.String(), Status: string(run.Status), Created: s.Created,
		Updated: s.Updated, Unchanged: s.Unchanged, Errors: s.Errors, Message: run.Message(), AccountsCreated: s.AccountsCreated,
		AccountsUpdated: s.AccountsUpdated})
}

func (r *Routes) syncTransactions(c *fiber.Ctx, sub authn.Subject) error {
	in, err := parseSync(c, true)
	if err != nil {
		return err
	}
	run, err := r.svc.SyncTransactions(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	s := run.Stats
	return c.Status(fiber.StatusCreated).JSON(transactionSyncJSON{SyncID: run.ID.String(), Status: string(run.Status), Added: s.Added,
		Modified: s.Modified, Removed: s.Removed, Duplicates: s.Duplicates, Errors: s.Errors, Message: run.Message()})
}

type errorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// RunJSON is a run as GET /syncs shows it.
type RunJSON struct {
	ID           string       `json:"id"`
	ConnectionID string       `json:"connection_id"`
	Kind         string       `json:"kind"`
	Trigger      string       `json:"trigger"`
	Status       string       `json:"status"`
	StartedAt    string       `json:"started_at"`
	FinishedAt   *string      `json:"finished_at"`
	DurationMS   int64        `json:"duration_ms"`
	Stats        domain.Stats `json:"stats"`
	Error        *errorJSON   `json:"error"`
	CursorFrom   *string      `json:"cursor_from"`
	CursorTo     *string      `json:"cursor_to"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// RunOf maps a run to its JSON.
func RunOf(r domain.Run, now time.Time) RunJSON {
	out := RunJSON{ID: r.ID.String(), ConnectionID: r.ConnectionID.String(), Kind: string(r.Kind), Trigger: string(r.Trigger),
		Status: string(r.Status), StartedAt: r.StartedAt.UTC().Format(time.RFC3339), DurationMS: r.Duration(now).Milliseconds(),
		Stats: r.Stats, CursorFrom: optString(r.CursorFrom), CursorTo: optString(r.CursorTo)}
	if r.FinishedAt != nil {
		s := r.FinishedAt.UTC().Format(time.RFC3339)
		out.FinishedAt = &s
	}
	if r.Error != nil {
		out.Error = &errorJSON{Code: r.Error.Code, Message: r.Error.Message}
	}
	return out
}

func (r *Routes) list(c *fiber.Ctx, sub authn.Subject) error {
	var in app.ListInput
	if v := c.Query("connection_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return apperr.Validation(apperr.FieldError{Field: "connection_id", Message: "must be a UUID"})
		}
		in.ConnectionID = uuid.NullUUID{UUID: id, Valid: true}
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return apperr.Validation(apperr.FieldError{Field: "limit", Message: "must be a whole number between 1 and 200"})
		}
		in.Limit = n
	}
	if v := c.Query("cursor"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		id, perr := uuid.ParseBytes(raw)
		if err != nil || perr != nil {
			return apperr.New(apperr.InvalidCursor, "The cursor is not one this list handed out.")
		}
		in.Before = uuid.NullUUID{UUID: id, Valid: true}
	}
	list, err := r.svc.ListRuns(c.UserContext(), sub, in)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	out := make([]RunJSON, len(list.Runs))
	for i, run := range list.Runs {
		out[i] = RunOf(run, now)
	}
	var next *string
	if list.Next.Valid {
		s := base64.RawURLEncoding.EncodeToString([]byte(list.Next.UUID.String()))
		next = &s
	}
	return c.JSON(fiber.Map{"syncs": out, "next_cursor": next, "has_more": next != nil})
}

func (r *Routes) get(c *fiber.Ctx, sub authn.Subject) error {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return apperr.New(apperr.NotFound, "No sync with this id exists.")
	}
	run, err := r.svc.GetRun(c.UserContext(), sub, id)
	if err != nil {
		return err
	}
	return c.JSON(RunOf(run, time.Now().UTC()))
}

// optAmount writes a in currency c's minor units (see money.Plain), or nil when
// it is absent.
func optAmount(a money.NullAmount, c money.Currency) *string {
	if !a.Valid {
		return nil
	}
	s := money.Plain(a.Amount, c)
	return &s
}

// dayJSON is one day of an account's balance snapshots.
type dayJSON struct {
	Date             string  `json:"date"`
	ProviderBalance  *string `json:"provider_balance"`
	AvailableBalance *string `json:"available_balance"`
	LedgerBalance    *string `json:"ledger_balance"`
	BalanceDrift     *string `json:"balance_drift"`
	SyncID           *string `json:"sync_id"`
}

func dateParam(c *fiber.Ctx, name string, def time.Time) (time.Time, *apperr.FieldError) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return def, &apperr.FieldError{Field: name, Message: "must be a date YYYY-MM-DD"}
	}
	return d, nil
}

// balances serves GET /syncs/balances: an account's daily provider and ledger
// balances as its syncs recorded them.
func (r *Routes) balances(c *fiber.Ctx, sub authn.Subject) error {
	var errs apperr.Fields
	var accountID uuid.UUID
	switch v := c.Query("account_id"); {
	case v == "":
		errs.Add("account_id", "is required")
	default:
		id, err := uuid.Parse(v)
		if err != nil {
			errs.Add("account_id", "must be a UUID")
		}
		accountID = id
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	to, fe := dateParam(c, "end_date", today)
	if fe != nil {
		errs.Add(fe.Field, "%s", fe.Message)
	}
	from, fe := dateParam(c, "start_date", to.AddDate(0, 0, -89))
	if fe != nil {
		errs.Add(fe.Field, "%s", fe.Message)
	}
	if err := errs.Err(); err != nil {
		return err
	}
	switch {
	case from.After(to):
		errs.Add("start_date", "must not lie after end_date")
	case to.Sub(from) >= app.MaxBalanceDays*24*time.Hour:
		errs.Add("start_date", "must lie within %d days of end_date", app.MaxBalanceDays)
	}
	if err := errs.Err(); err != nil {
		return err
	}
	h, err := r.svc.Balances(c.UserContext(), sub, accountID, from, to)
	if err != nil {
		return err
	}
	cur := money.Currency(h.Current.Currency)
	days := make([]dayJSON, len(h.Days))
	for i, d := range h.Days {
		days[i] = dayJSON{Date: d.Day.Format(time.DateOnly), ProviderBalance: optAmount(d.Provider, cur), AvailableBalance: optAmount(d.Available, cur),
			LedgerBalance: optAmount(d.Ledger, cur), BalanceDrift: optAmount(d.Drift, cur)}
		if d.SyncID != uuid.Nil {
			s := d.SyncID.String()
			days[i].SyncID = &s
		}
	}
	var drift *string
	if h.Current.Provider.Valid && !h.Current.Provider.Amount.Equal(h.Current.Ledger) {
		s := money.Plain(h.Current.Provider.Amount.Sub(h.Current.Ledger), cur)
		drift = &s
	}
	return c.JSON(fiber.Map{"account_id": h.AccountID.String(), "currency": h.Current.Currency, "start_date": from.Format(time.DateOnly),
		"end_date": to.Format(time.DateOnly), "provider_balance": optAmount(h.Current.Provider, cur), "ledger_balance": money.Plain(h.Current.Ledger, cur),
		"balance_drift": drift, "drift_runs": h.Drift.Streak, "drifting": h.Drift.Drifting(), "days": days})
}
