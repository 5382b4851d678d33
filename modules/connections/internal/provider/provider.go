// Package provider is the port between Kontor's connections module and the banks it
// links: what a provider is, what it reports, and the typed errors that drive a
// connection's state. Adapters (the sandbox bank over OAuth 2.0, SimpleFIN Bridge,
// OFX files) implement it; the connections and sync use cases call it and know no
// protocol. Nothing here imports an adapter or a framework.
package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kontor-app/kontor/platform/money"
)

// AuthKind says how a person links a provider.
type AuthKind string

// The ways a provider is linked, as API.md names them in auth_type.
const (
	// AuthOAuth2 links through an OAuth 2.0 authorization-code consent.
	AuthOAuth2 AuthKind = "oauth2"
	// AuthSetupToken links by claiming a one-time setup token (SimpleFIN).
	AuthSetupToken AuthKind = "setup_token"
	// AuthFile links nothing remote: statements are uploaded as files (OFX/QFX).
	AuthFile AuthKind = "file"
)

// Info describes a provider for GET /providers.
type Info struct {
	Slug        string
	Name        string
	AuthKind    AuthKind
	Description string
}

// Credentials are what a provider needs to be called again. They never leave the
// server and are sealed at rest by the connections store; an adapter fills the
// fields its protocol uses and may return refreshed ones from any call.
type Credentials struct {
	// AccessToken, RefreshToken and Expiry are an OAuth 2.0 token.
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	// AccessURL is a SimpleFIN access URL, user name and password included.
	AccessURL string `json:"access_url,omitempty"`
}

// IsZero reports whether c holds nothing usable.
func (c Credentials) IsZero() bool {
	return c.AccessToken == "" && c.RefreshToken == "" && c.AccessURL == ""
}

// Account is an account as the provider reports it. Type is one of API.md's account
// types (the adapter maps its protocol's kinds onto them). Balance is signed from the
// owner's side (a card owing 500 is -500) as of BalanceDate.
type Account struct {
	ID               string
	Name             string
	Type             string
	Subtype          string
	Currency         string
	Mask             string
	Institution      string
	Balance          money.Amount
	AvailableBalance money.NullAmount
	BalanceDate      time.Time
}

// Transaction is a transaction as the provider reports it. Amount is signed: credits
// positive, debits negative. Date is the booking day (posted) or the day it was
// authorised (pending). PendingTransactionID names the pending transaction that this
// posted one replaces, when the provider says so.
type Transaction struct {
	ID                   string
	AccountID            string
	Amount               money.Amount
	Date                 time.Time
	Description          string
	Counterparty         string
	Pending              bool
	PendingTransactionID string
}

// Removed names a transaction the provider withdrew.
type Removed struct {
	ID        string
	AccountID string
}

// Window is the date range a window-based provider (SimpleFIN) answered for, and for
// each account whether that answer was complete: a pending transaction that is absent
// from a complete window may be removed, one absent from an incomplete window may not.
type Window struct {
	From, To   time.Time
	Incomplete map[string]bool // provider account id -> the provider said data is missing
}

// AccountError is a problem the provider reported for one account only (SimpleFIN
// act.* codes); the connection as a whole stays usable.
type AccountError struct {
	AccountID string
	Code      string
	Message   string
}

// TransactionsRequest asks for changes since Cursor (cursor-based providers) or for
// the window From..To (window-based providers); Count bounds a page.
type TransactionsRequest struct {
	Cursor string
	From   time.Time
	To     time.Time
	Count  int
}

// Changes is one page of a provider's change feed. A cursor-based provider fills
// Added, Modified, Removed, NextCursor and HasMore; a window-based provider fills
// Added with everything in the window, Window, and Accounts (it reports balances
// with transactions in one call).
type Changes struct {
	Added         []Transaction
	Modified      []Transaction
	Removed       []Removed
	NextCursor    string
	HasMore       bool
	Window        *Window
	Accounts      []Account
	AccountErrors []AccountError
}

// Provider is what every adapter is.
type Provider interface {
	Info() Info
}

// OAuth2 is a provider linked through an OAuth 2.0 authorization-code consent.
type OAuth2 interface {
	Provider
	// AuthCodeURL is where the person's browser goes to consent; state is Kontor's
	// single-use value and redirectURI Kontor's callback.
	AuthCodeURL(state, redirectURI string) string
	// Exchange trades the code the callback received for credentials.
	Exchange(ctx context.Context, code, redirectURI string) (Credentials, error)
}

// SetupToken is a provider linked by claiming a one-time setup token.
type SetupToken interface {
	Provider
	// Claim exchanges the setup token for credentials. A token the provider refuses
	// as already claimed is an Error with CodeTokenCompromised.
	Claim(ctx context.Context, setupToken string) (Credentials, error)
}

// Remote is a provider Kontor calls to fetch data. Every method may return refreshed
// credentials, which the caller stores before anything else; zero Credentials mean
// unchanged.
type Remote interface {
	Provider
	// Accounts returns the accounts the credentials reach.
	Accounts(ctx context.Context, creds Credentials) ([]Account, Credentials, error)
	// Transactions returns one page of changes.
	Transactions(ctx context.Context, creds Credentials, req TransactionsRequest) (Changes, Credentials, error)
	// Refresh renews credentials that are about to expire.
	Refresh(ctx context.Context, creds Credentials) (Credentials, error)
}

// Statement is one account's part of an imported file: the account, its
// transactions, and transactions the file withdraws or corrects.
//
// Transaction IDs (OFX FITIDs) are unique per account only: the same ID in two
// accounts names two transactions. Removed lists IDs of this account's transactions
// that the file withdraws or replaces (OFX CORRECTACTION DELETE/REPLACE); apply a
// call's Removed before its Transactions, so that a replacement that reuses the ID of
// the transaction it replaces survives.
//
// One account may come in several statements of one file (one per period, as card
// issuers export them); each carries that period's balance as of its BalanceDate, and
// the latest date wins.
type Statement struct {
	Account      Account
	Transactions []Transaction
	Removed      []string
	// ZeroAmount counts the rows of this call the file lists with an amount of zero
	// (a fee waived, a memo line), which are not in Transactions: the ledger keeps
	// no zero entries. Importers report the count in their summary.
	ZeroAmount int
	// More is true when this call carries one chunk of a statement too large to hand
	// over at once (a file with 100,000 transactions is read in constant memory): fn
	// is called again for the same Account.ID with the transactions that follow, in
	// file order, and the statement's last call has More false. While More is true
	// Account identifies the account (ID, Name, Type, Subtype, Currency, Mask,
	// Institution) but carries no balance, because files state balances after the
	// transactions; the last call carries them.
	More bool
	// NoBalance is true on a statement's last call when the file states no balance
	// for the account (an investment statement without INVBAL, for example): then
	// Account.Balance, AvailableBalance and BalanceDate are zero and are no balance.
	NoBalance bool
}

// File is a provider whose data arrives as uploaded files.
type File interface {
	Provider
	// Parse reads a whole file and calls fn once per statement in it, streaming; an
	// unreadable file is a *ParseError and fn has then been called for nothing the
	// caller should keep (the caller applies statements only after Parse returns nil).
	// A large statement arrives in several calls (Statement.More), so a caller that
	// wants constant memory applies each call as it comes inside one database
	// transaction and rolls it back when Parse fails, rather than collecting them.
	// An error returned by fn stops Parse, which returns it unchanged.
	Parse(r io.Reader, fn func(Statement) error) error
}

// ParseError says where and why a file could not be read.
type ParseError struct {
	Line   int
	Reason string
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Code is a typed provider failure; API.md lists them as status_reason codes.
type Code string

// The provider failures and what they do to a connection.
const (
	CodeAuthExpired         Code = "auth_expired"         // needs_reauth; action reauthorize
	CodeAuthRevoked         Code = "auth_revoked"         // needs_reauth; action reauthorize
	CodeConsentDenied       Code = "consent_denied"       // error; action reauthorize
	CodeRateLimited         Code = "rate_limited"         // stays active, retry after RetryAfter
	CodeProviderUnavailable Code = "provider_unavailable" // stays active, retry with backoff
	CodeBadData             Code = "bad_data"             // error; action retry
	CodeTokenCompromised    Code = "token_compromised"    // needs_reauth; action new_setup_token
	// CodeMutationDuringPagination: a cursor feed changed while it was paged; the
	// sync restarts from the run's starting cursor (never a connection status).
	CodeMutationDuringPagination Code = "mutation_during_pagination"
)

// Error is a typed provider failure. Message is safe to show a person (adapters
// write it themselves or take it from the provider, never with a credential in it).
type Error struct {
	Code       Code
	Message    string
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the provider code of err, or "" when err is no *Error.
func CodeOf(err error) Code {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
