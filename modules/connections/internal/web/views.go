package web

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/connections/internal/app"
	"github.com/kontor-app/kontor/modules/connections/internal/domain"
	"github.com/kontor-app/kontor/modules/connections/internal/provider"
)

// providerNames name the providers in words.
var providerNames = map[string]string{"sandbox": "Sandbox bank", "simplefin": "SimpleFIN Bridge", "ofx": "OFX/QFX files"}

func providerName(slug string) string {
	if n, ok := providerNames[slug]; ok {
		return n
	}
	return slug
}

// titleOf is how a connection is named: its alias, else its provider.
func titleOf(v app.ConnectionView) string {
	if v.Alias != "" {
		return v.Alias
	}
	return providerName(v.Provider)
}

// statusWords say each status in words.
var statusWords = map[domain.Status]string{
	domain.StatusPending:      "Waiting for consent",
	domain.StatusActive:       "Working",
	domain.StatusNeedsReauth:  "Needs you to reconnect",
	domain.StatusError:        "Not working",
	domain.StatusDisconnected: "Disconnected",
}

// badgeClass is the shell's badge style for a status; the words carry the meaning.
func badgeClass(s domain.Status) string {
	switch s {
	case domain.StatusActive:
		return "account-badge account-badge--linked"
	case domain.StatusPending, domain.StatusDisconnected:
		return "account-badge account-badge--pending"
	}
	return "account-badge account-badge--closed"
}

// reasonText says why a connection is where it is.
func reasonText(c domain.Connection) string {
	if c.Reason != nil && c.Reason.Message != "" {
		return capitalize(c.Reason.Message)
	}
	switch c.Status {
	case domain.StatusPending:
		return "The bank's consent was not given yet."
	case domain.StatusDisconnected:
		return "Its credentials are destroyed; its accounts keep their history."
	case domain.StatusActive:
		// A failed sync counts while the failures go on; a reauthorization that
		// mended the connection starts the count again, and then the failure
		// that asked for it is no reason any more.
		if c.LastSyncStatus == domain.SyncFailed && c.ConsecutiveFailures > 0 {
			if c.AutoSync {
				return "The last sync failed; Kontor will try again."
			}
			return "The last sync failed; sync again when you like."
		}
	}
	return ""
}

// capitalize upper-cases the first letter of a provider's message ("the bank
// refused …"), rune by rune so that a message in any script stays valid text.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || !unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// fixKind is the button that mends a connection.
type fixKind int

const (
	fixNone fixKind = iota
	fixReconnect
	fixContinue
	fixNewToken
	fixRetry
)

func fixOf(c domain.Connection) fixKind {
	switch c.Status {
	case domain.StatusPending:
		return fixContinue
	case domain.StatusNeedsReauth, domain.StatusError:
		if c.Reason == nil {
			return fixNone
		}
		switch c.Reason.Action {
		case domain.ActionReauthorize:
			return fixReconnect
		case domain.ActionNewSetupToken:
			return fixNewToken
		case domain.ActionRetry:
			return fixRetry
		}
	}
	return fixNone
}

// connectionView is a connection as the pages show it.
type connectionView struct {
	ID            uuid.UUID
	Title         string
	Provider      string
	ProviderName  string
	Status        domain.Status
	StatusWords   string
	Badge         string
	Reason        string
	Fix           fixKind
	OAuth         bool
	File          bool
	LastSync      string
	NextSync      string
	AccountsCount int
	Version       int64
}

func when(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

func viewOf(v app.ConnectionView) connectionView {
	out := connectionView{
		ID: v.ID, Title: titleOf(v), Provider: v.Provider, ProviderName: providerName(v.Provider), Status: v.Status,
		StatusWords: statusWords[v.Status], Badge: badgeClass(v.Status), Reason: reasonText(v.Connection), Fix: fixOf(v.Connection),
		OAuth: v.Provider == "sandbox", File: v.Provider == "ofx", LastSync: when(v.LastSyncAt),
		AccountsCount: v.AccountsCount, Version: v.Version,
	}
	if v.NextSyncAt != nil {
		out.NextSync = when(v.NextSyncAt)
	}
	return out
}

// listView is the connections list.
type listView struct {
	Connections []connectionView
	NextURL     string
}

// newForm is what the person typed into "Link an account".
type newForm struct {
	Provider string
	Alias    string
}

// newView is the "Link an account" page: one form per provider.
type newView struct {
	Providers []provider.Info
	Form      newForm
	Errors    formErrors
}

// chosen returns the provider the person chose, if it is one on offer.
func (v newView) chosen() (provider.Info, bool) {
	for _, p := range v.Providers {
		if p.Slug == v.Form.Provider {
			return p, true
		}
	}
	return provider.Info{}, false
}

// settingsForm is the settings form's values.
type settingsForm struct {
	Alias    string
	AutoSync bool
	Interval string
	Version  int64
}

// detailView is a connection's page.
type detailView struct {
	Connection     connectionView
	Accounts       []accountRow
	History        []domain.History
	Settings       settingsForm
	SettingsErrors formErrors
	ImportErrors   formErrors
	Summary        *app.ImportSummary
	SummaryFile    string
}

func historyWhen(h domain.History) string { return h.At.UTC().Format("2 Jan 2006, 15:04 UTC") }

func historyChange(h domain.History) string {
	if h.From == "" {
		return statusWords[h.To]
	}
	return statusWords[h.From] + " → " + statusWords[h.To]
}

var actionWords = map[domain.Action]string{
	domain.ActionReauthorize:   "Reconnect",
	domain.ActionRetry:         "Retry",
	domain.ActionNewSetupToken: "New setup token",
}

func historyAction(h domain.History) string { return actionWords[h.Action] }

func itoa(n int) string { return strconv.Itoa(n) }

// typeWords spell the account types whose names are initialisms.
var typeWords = map[string]string{
	"cd": "CD", "ira": "IRA", "roth_ira": "Roth IRA", "sep_ira": "SEP IRA", "simple_ira": "SIMPLE IRA",
	"401k": "401(k)", "403b": "403(b)", "hsa": "HSA",
}

func accountTypeWords(t string) string {
	if w, ok := typeWords[t]; ok {
		return w
	}
	if t == "" {
		return ""
	}
	return strings.ToUpper(t[:1]) + strings.ReplaceAll(t[1:], "_", " ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// accountsWords counts accounts in words: "1 account", "5 accounts".
func accountsWords(n int) string {
	if n == 1 {
		return "1 account"
	}
	return itoa(n) + " accounts"
}
