package domain

import (
	"net/http"

	"github.com/kontor-app/kontor/platform/apperr"
)

// The accounts module's own error codes. Each is registered with apperr (its HTTP
// status and title) when this package is initialised, so the one error handler maps
// it like the platform's codes; the module's contract re-exports them for callers
// that switch on a code.
var (
	// InsufficientFunds refuses a debit past a bank account's balance plus its
	// overdraft limit.
	InsufficientFunds = apperr.Register("insufficient_funds", http.StatusUnprocessableEntity, "Insufficient funds")
	// ProviderManaged refuses a change to what a provider keeps on a linked account.
	ProviderManaged = apperr.Register("provider_managed", http.StatusConflict, "Managed by the provider")
	// AccountNotEmpty refuses to close an account whose balance is not zero.
	AccountNotEmpty = apperr.Register("account_not_empty", http.StatusConflict, "Account not empty")
	// AccountClosed refuses a new or changed entry on a closed account.
	AccountClosed = apperr.Register("account_closed", http.StatusConflict, "Account closed")
	// CurrencyMismatch refuses an entry or a transfer across currencies.
	CurrencyMismatch = apperr.Register("currency_mismatch", http.StatusUnprocessableEntity, "Currency mismatch")
	// DuplicateExternalID refuses an external id another account or entry has.
	DuplicateExternalID = apperr.Register("duplicate_external_id", http.StatusConflict, "Duplicate external id")
	// NothingToReconcile refuses a reconciliation of an account without drift.
	NothingToReconcile = apperr.Register("nothing_to_reconcile", http.StatusConflict, "Nothing to reconcile")
)
