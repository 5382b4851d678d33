// Package sandbox is the demo bank of API.md ("The sandbox bank"), served by the same
// binary under /sandbox when KONTOR_SANDBOX is true. It is a bank, not a Kontor
// module: it imports none of Kontor's modules, keeps its own state in its own tables
// (sandbox_*), and is reached by Kontor's sandbox adapter only over HTTP, through
// OAuth 2.0 exactly as a real bank would be.
//
// Routes (all under /sandbox, none under /api/v1, no Kontor authentication):
//
//	GET  /sandbox/oauth/authorize                  consent page (response_type=code, client_id, redirect_uri, state, scope)
//	POST /sandbox/oauth/authorize                  the consent form: 303 to redirect_uri with code+state or error=access_denied+state
//	POST /sandbox/oauth/token                      grant_type=authorization_code | refresh_token, client by HTTP Basic
//	GET  /sandbox/api/accounts                     bearer: {"accounts":[{id,name,type,currency,mask,balance,available_balance,balance_date}]}
//	GET  /sandbox/api/transactions/sync            bearer, cursor?, count (1..500, default 100): {added,modified,removed,next_cursor,has_more}
//	POST /sandbox/api/personas/{persona}/advance   {"days": N}: the world moves on N days
//	POST /sandbox/api/personas/{persona}/revoke    every consent of the persona is revoked
//
// The one OAuth client is ClientID / ClientSecret (fixed, documented constants: the
// sandbox is a demo and is off in production); its redirect URIs are Kontor's
// callback (KONTOR_BASE_URL + CallbackPath). Codes live 10 minutes and are
// single-use; access tokens live 1 hour; refresh tokens rotate on use and live 30
// days; a spent code or refresh token presented again revokes its grant. Only
// SHA-256 hashes of codes and tokens are stored.
//
// Each consent is a grant (Plaid's "item") on the chosen persona's one shared world,
// so consenting again to the same persona reaches the same account and transaction
// ids. Amounts are decimal strings signed from the owner's side: credits positive,
// debits negative, a card owing 500 has balance "-500.00". A balance is the
// account's opening balance plus its posted transactions; available_balance adds
// the pending ones (and a card's credit limit; investment accounts have none).
//
// The change feed is Plaid's /transactions/sync: each change takes the next
// sequence number of its persona, a cursor is an opaque encoding of the last one a
// client has seen, and a page lists what changed after it (added, modified,
// removed), oldest change first. When a pending transaction posts, the pending id is
// removed and a new posted id is added naming it in pending_transaction_id.
package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/modules/sandbox/internal/api"
	"github.com/kontor-app/kontor/modules/sandbox/internal/app"
	"github.com/kontor-app/kontor/modules/sandbox/internal/domain"
	"github.com/kontor-app/kontor/modules/sandbox/internal/store"
	"github.com/kontor-app/kontor/platform/database"
)

// The sandbox bank's one registered OAuth client.
const (
	ClientID     = "kontor"
	ClientSecret = "kontor-sandbox-secret"
)

// CallbackPath is Kontor's OAuth redirect path; KONTOR_BASE_URL + CallbackPath is
// the redirect URI the bank accepts when it runs inside Kontor.
const CallbackPath = "/connections/callback"

// Prefix is where the bank is served.
const Prefix = api.Prefix

// The personas a consent may choose.
const (
	PersonaStandard = domain.Standard
	PersonaBulk     = domain.Bulk
	PersonaFlaky    = domain.Flaky
)

// BulkCount is how many transactions the bulk persona starts with.
const BulkCount = domain.BulkCount

// Options configure a sandbox bank.
type Options struct {
	// DB holds the bank's tables (migrated by Kontor's migrator).
	DB *database.DB
	// RedirectURIs are the client's registered redirect URIs, matched exactly.
	RedirectURIs []string
	// SecretKey signs the consent form (Kontor passes KONTOR_SECRET_KEY; a key for
	// the bank is derived from it).
	SecretKey string
	// Now is the clock of token lifetimes and of a new world's first day; nil means
	// time.Now.
	Now func() time.Time
	// Log receives the bank's internal errors; nil means slog.Default().
	Log *slog.Logger
	// SecureCookies marks the consent cookie Secure (an https deployment).
	SecureCookies bool
}

// NewApp returns the bank as a self-contained Fiber application (routes carry the
// /sandbox prefix). Kontor mounts it through httpserver.Mount; tests may serve it on
// a listener of their own.
func NewApp(o Options) *fiber.App {
	m := hmac.New(sha256.New, []byte(o.SecretKey))
	m.Write([]byte("kontor sandbox bank consent form"))
	svc := app.New(store.New(o.DB), app.Settings{
		ClientID: ClientID, ClientSecret: ClientSecret, RedirectURIs: o.RedirectURIs,
		SigningKey: m.Sum(nil), Now: o.Now,
	})
	return api.NewApp(svc, o.Log, o.SecureCookies)
}
