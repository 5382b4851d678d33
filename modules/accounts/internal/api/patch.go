package api

import (
	"bytes"
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/httpserver"
)

// readOnlyFields are account fields a client may read but not patch.
var readOnlyFields = map[string]bool{
	"id": true, "connection_id": true, "provider": true, "provider_account_id": true,
	"account_number_masked": true, "balance_currency": true, "available_balance_currency": true,
	"is_active": true, "is_investment": true, "is_bank": true, "is_retirement": true, "is_credit": true,
	"is_liability": true, "provider_balance_amount": true, "balance_drift": true, "last_synced_at": true, "created_at": true, "updated_at": true,
	"closed_at": true, "archived_at": true, "version": true,
}

// decodeMergePatch reads an RFC 7396 merge patch of an account (content type
// application/merge-patch+json or application/json): a named field is set, null
// clears a nullable one, and metadata merges key by key.
func decodeMergePatch(c *fiber.Ctx) (app.AccountFieldsText, error) {
	var f app.AccountFieldsText
	var raw map[string]json.RawMessage
	if err := httpserver.DecodeJSON(c, &raw); err != nil {
		return f, err
	}
	if raw == nil {
		return f, apperr.New(apperr.MalformedJSON, "The body must be a JSON object.")
	}
	var errs apperr.Fields
	str := func(name string, dst *app.Patch[string]) {
		v, ok := raw[name]
		if !ok {
			return
		}
		if isNull(v) {
			*dst = app.Clear[string]()
			return
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			errs.Add(name, "must be a string or null")
			return
		}
		*dst = app.Set(s)
	}
	dec := func(name string, dst *app.Patch[string]) {
		v, ok := raw[name]
		if !ok {
			return
		}
		if isNull(v) {
			*dst = app.Clear[string]()
			return
		}
		var d decimal
		if err := d.UnmarshalJSON(v); err != nil {
			errs.Add(name, "must be a decimal number, as a string or a JSON number")
			return
		}
		*dst = app.Set(string(d))
	}
	boolean := func(name string, dst *app.Patch[bool]) {
		v, ok := raw[name]
		if !ok {
			return
		}
		if isNull(v) {
			*dst = app.Clear[bool]()
			return
		}
		var b bool
		if err := json.Unmarshal(v, &b); err != nil {
			errs.Add(name, "must be true or false")
			return
		}
		*dst = app.Set(b)
	}
	for name := range raw {
		if readOnlyFields[name] {
			errs.Add(name, "is read-only")
		}
	}
	for name := range raw {
		if !knownPatchFields[name] && !readOnlyFields[name] {
			return f, &apperr.Error{Code: apperr.UnknownField, Message: "The field \"" + name + "\" is not known here.",
				Fields: []apperr.FieldError{{Field: name, Message: "is not a known field"}}}
		}
	}
	str("name", &f.Name)
	str("account_type", &f.AccountType)
	str("subtype", &f.Subtype)
	str("currency", &f.Currency)
	str("external_id", &f.ExternalID)
	str("account_number", &f.AccountNumber)
	dec("balance_amount", &f.BalanceAmount)
	dec("available_balance_amount", &f.AvailableBalanceAmount)
	dec("overdraft_limit", &f.OverdraftLimit)
	dec("interest_rate", &f.InterestRate)
	str("status", &f.Status)
	boolean("is_archived", &f.IsArchived)
	boolean("is_hidden", &f.IsHidden)
	boolean("is_favourite", &f.IsFavourite)
	boolean("show_in_dashboard", &f.ShowInDashboard)
	str("color", &f.Color)
	str("icon", &f.Icon)
	str("notes", &f.Notes)
	str("linked_account_id", &f.LinkedAccountID)
	if v, ok := raw["sort_order"]; ok {
		var n int
		if isNull(v) {
			f.SortOrder = app.Clear[int]()
		} else if err := json.Unmarshal(v, &n); err != nil {
			errs.Add("sort_order", "must be a whole number")
		} else {
			f.SortOrder = app.Set(n)
		}
	}
	if v, ok := raw["custom_fields"]; ok {
		if isNull(v) {
			f.CustomFields = app.Clear[[]domain.CustomField]()
		} else {
			var cf []customFieldJSON
			if err := httpserver.DecodeJSONBytes(v, &cf); apperr.Is(err, apperr.UnknownField) {
				// An unknown nested field is refused as POST refuses it.
				return f, err
			} else if err != nil {
				errs.Add("custom_fields", "must be an array of {\"label\", \"value\"} objects")
			} else {
				f.CustomFields = app.Set(customFields(cf))
			}
		}
	}
	if v, ok := raw["metadata"]; ok {
		if isNull(v) {
			f.Metadata = app.Clear[map[string]*string]()
		} else {
			var m map[string]*string
			if err := json.Unmarshal(v, &m); err != nil || m == nil {
				errs.Add("metadata", "must be an object of strings; null removes a key")
			} else {
				f.Metadata = app.Set(m)
			}
		}
	}
	return f, errs.Err()
}

var knownPatchFields = map[string]bool{
	"name": true, "account_type": true, "subtype": true, "currency": true, "external_id": true,
	"account_number": true, "balance_amount": true, "available_balance_amount": true, "overdraft_limit": true,
	"interest_rate": true, "status": true, "is_archived": true, "is_hidden": true, "is_favourite": true,
	"show_in_dashboard": true, "color": true, "icon": true, "notes": true, "sort_order": true,
	"custom_fields": true, "metadata": true, "linked_account_id": true,
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }
