// Package apperr defines Kontor's one error type. Use cases return *Error values with a
// machine code; the HTTP error handler maps each code to a status exactly once, through
// the registry here. The platform's own codes are registered below; a module declares
// its domain codes itself and registers them with Register when its package is
// initialised, so a new module adds codes without editing platform/.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// Code is a machine-readable, snake_case error code that clients can switch on.
type Code string

// The codes Kontor uses. Each has exactly one HTTP status in the statuses table.
const (
	Internal              Code = "internal_error"
	BadRequest            Code = "bad_request"
	MalformedJSON         Code = "malformed_json"
	UnknownField          Code = "unknown_field"
	InvalidCursor         Code = "invalid_cursor"
	InvalidParameter      Code = "invalid_parameter"
	ValidationFailed      Code = "validation_failed"
	Unauthenticated       Code = "unauthenticated"
	InvalidCredentials    Code = "invalid_credentials"
	InvalidToken          Code = "invalid_token"
	Forbidden             Code = "forbidden"
	CSRFFailed            Code = "csrf_failed"
	NotFound              Code = "not_found"
	MethodNotAllowed      Code = "method_not_allowed"
	Conflict              Code = "conflict"
	EmailTaken            Code = "email_taken"
	IdempotencyInProgress Code = "idempotency_request_in_progress"
	IdempotencyKeyReused  Code = "idempotency_key_reused"
	PreconditionFailed    Code = "precondition_failed"
	PreconditionRequired  Code = "precondition_required"
	PayloadTooLarge       Code = "payload_too_large"
	UnsupportedMediaType  Code = "unsupported_media_type"
	NotAcceptable         Code = "not_acceptable"
	RateLimited           Code = "rate_limited"
	AccountLocked         Code = "account_locked"
	ConnectionNotActive   Code = "connection_not_active"
	SyncTooSoon           Code = "sync_too_soon"
	ServiceUnavailable    Code = "service_unavailable"
	HeaderFieldsTooLarge  Code = "request_header_fields_too_large"
	URITooLong            Code = "uri_too_long"
)

var statuses = map[Code]int{
	Internal:              http.StatusInternalServerError,
	BadRequest:            http.StatusBadRequest,
	MalformedJSON:         http.StatusBadRequest,
	UnknownField:          http.StatusBadRequest,
	InvalidCursor:         http.StatusBadRequest,
	InvalidParameter:      http.StatusBadRequest,
	ValidationFailed:      http.StatusUnprocessableEntity,
	Unauthenticated:       http.StatusUnauthorized,
	InvalidCredentials:    http.StatusUnauthorized,
	InvalidToken:          http.StatusUnauthorized,
	Forbidden:             http.StatusForbidden,
	CSRFFailed:            http.StatusForbidden,
	NotFound:              http.StatusNotFound,
	MethodNotAllowed:      http.StatusMethodNotAllowed,
	Conflict:              http.StatusConflict,
	EmailTaken:            http.StatusConflict,
	IdempotencyInProgress: http.StatusConflict,
	IdempotencyKeyReused:  http.StatusUnprocessableEntity,
	PreconditionFailed:    http.StatusPreconditionFailed,
	PreconditionRequired:  http.StatusPreconditionRequired,
	PayloadTooLarge:       http.StatusRequestEntityTooLarge,
	UnsupportedMediaType:  http.StatusUnsupportedMediaType,
	NotAcceptable:         http.StatusNotAcceptable,
	RateLimited:           http.StatusTooManyRequests,
	AccountLocked:         http.StatusTooManyRequests,
	ConnectionNotActive:   http.StatusConflict,
	SyncTooSoon:           http.StatusTooManyRequests,
	ServiceUnavailable:    http.StatusServiceUnavailable,
	HeaderFieldsTooLarge:  http.StatusRequestHeaderFieldsTooLarge,
	URITooLong:            http.StatusRequestURITooLong,
}

// registered holds the codes modules registered: their status and title.
var registered sync.Map // Code -> registration

type registration struct {
	status int
	title  string
}

// Register declares a module's code with the HTTP status it maps to and a short
// human title, and returns the code so a module can declare it in one line:
//
//	var InsufficientFunds = apperr.Register("insufficient_funds", http.StatusUnprocessableEntity, "Insufficient funds")
//
// Registering a code again with the same status is harmless; registering a code of
// the platform, or one already registered with another status, is a programming
// error that panics at start-up, before any request is served.
func Register(code Code, status int, title string) Code {
	if _, ok := statuses[code]; ok {
		panic(fmt.Sprintf("apperr: code %q belongs to the platform", code))
	}
	if status < 400 || status > 599 {
		panic(fmt.Sprintf("apperr: code %q registered with status %d, not an error status", code, status))
	}
	if prev, loaded := registered.LoadOrStore(code, registration{status: status, title: title}); loaded && prev.(registration).status != status {
		panic(fmt.Sprintf("apperr: code %q registered twice with different statuses", code))
	}
	return code
}

// Status returns the HTTP status for code; unknown codes are internal errors.
func Status(code Code) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	if r, ok := registered.Load(code); ok {
		return r.(registration).status
	}
	return http.StatusInternalServerError
}

// Title returns the title registered with code, or the text of its HTTP status for
// the platform's codes and for codes registered without one.
func Title(code Code) string {
	if r, ok := registered.Load(code); ok && r.(registration).title != "" {
		return r.(registration).title
	}
	return http.StatusText(Status(code))
}

// FieldError names one invalid input field and says what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the error every use case returns. Message is safe to show to the caller;
// Details carries structured extras (e.g. the current balance); Fields lists invalid
// inputs for ValidationFailed; RetryAfter, in seconds, becomes a Retry-After header.
type Error struct {
	Code       Code
	Message    string
	Details    map[string]any
	Fields     []FieldError
	RetryAfter int
	cause      error
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap exposes the underlying cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.cause }

// New returns an error with code and a caller-safe message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an internal error that keeps cause for the log but never shows it.
func Wrap(cause error, format string, args ...any) *Error {
	return &Error{Code: Internal, Message: fmt.Sprintf(format, args...), cause: cause}
}

// Validation returns a ValidationFailed error listing the invalid fields.
func Validation(fields ...FieldError) *Error {
	return &Error{Code: ValidationFailed, Message: "The request has invalid fields.", Fields: fields}
}

// WithDetails returns e with the details attached.
func (e *Error) WithDetails(details map[string]any) *Error {
	e.Details = details
	return e
}

// WithRetryAfter returns e with a Retry-After of seconds.
func (e *Error) WithRetryAfter(seconds int) *Error {
	e.RetryAfter = seconds
	return e
}

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// CodeOf returns the code of err, or Internal when err is not an *Error.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool {
	e, ok := As(err)
	return ok && e.Code == code
}

// Fields collects field errors while validating an input, so a use case can report
// every problem at once.
type Fields []FieldError

// Add records that field is invalid.
func (f *Fields) Add(field, format string, args ...any) {
	*f = append(*f, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns a ValidationFailed error when any field was added, else nil.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return Validation(f...)
}
