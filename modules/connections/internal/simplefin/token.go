package simplefin

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/outbound"
)

// TokenReason says why a setup token was refused before anything was claimed.
type TokenReason string

// The reasons a setup token is refused.
const (
	ReasonEmpty          TokenReason = "empty"           // nothing was pasted
	ReasonNotBase64      TokenReason = "not_base64"      // not Base64 text
	ReasonNotURL         TokenReason = "not_url"         // decodes to something that is not an absolute URL
	ReasonNotHTTPS       TokenReason = "not_https"       // an http (or other scheme) URL, or a redirect to one
	ReasonPrivateAddress TokenReason = "private_address" // the claim URL is, or resolves to, a non-public address
	ReasonNotClaimable   TokenReason = "not_claimable"   // the claim URL answered neither 200 nor SimpleFIN's 403
)

// TokenError is a setup token refused with a precise reason; callers answer 422. It
// converts to an *apperr.Error (ValidationFailed on the field setup_token) through
// errors.As, so an API layer that knows only apperr renders it as it should. Message
// never repeats the token.
type TokenError struct {
	Reason  TokenReason
	Message string
	Err     error
}

func (e *TokenError) Error() string { return "simplefin: setup token refused: " + e.Message }

// Unwrap returns the cause, e.g. an outbound.ErrForbiddenAddress.
func (e *TokenError) Unwrap() error { return e.Err }

// AppError returns e as a 422 validation problem on the field setup_token.
func (e *TokenError) AppError() *apperr.Error {
	return &apperr.Error{
		Code:    apperr.ValidationFailed,
		Message: e.Message,
		Details: map[string]any{"reason": string(e.Reason)},
		Fields:  []apperr.FieldError{{Field: "setup_token", Message: e.Message}},
	}
}

// As lets errors.As(err, &appErr) with appErr an *apperr.Error find e.
func (e *TokenError) As(target any) bool {
	if p, ok := target.(**apperr.Error); ok {
		*p = e.AppError()
		return true
	}
	return false
}

func tokenErr(reason TokenReason, cause error, format string, args ...any) *TokenError {
	return &TokenError{Reason: reason, Message: fmt.Sprintf(format, args...), Err: cause}
}

// ParseSetupToken checks a pasted SimpleFIN setup token and returns its claim URL:
// the token must be Base64 (standard or URL-safe alphabet, padded or not; whitespace
// and line breaks from pasting are dropped) of an absolute https URL that is not a
// literal loopback, private or link-local address (names are checked again, after
// DNS, when dialling). With the client allowing private networks, http and private
// addresses pass. Every refusal is a *TokenError.
func (a *Adapter) ParseSetupToken(token string) (*url.URL, error) {
	return parseSetupToken(token, a.client)
}

func parseSetupToken(token string, client *outbound.Client) (*url.URL, error) {
	token = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, token)
	if token == "" {
		return nil, tokenErr(ReasonEmpty, nil, "The setup token is empty: paste the token SimpleFIN Bridge shows you.")
	}
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err = enc.DecodeString(token); err == nil {
			break
		}
	}
	if err != nil {
		return nil, tokenErr(ReasonNotBase64, nil, "The setup token is not valid Base64: paste the token exactly as SimpleFIN Bridge shows it.")
	}
	s := string(raw)
	if !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0 {
		return nil, tokenErr(ReasonNotURL, nil, "The setup token does not decode to a URL: it is not a SimpleFIN setup token.")
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return nil, tokenErr(ReasonNotURL, nil, "The setup token does not decode to an absolute URL: it is not a SimpleFIN setup token.")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "https" && (u.Scheme != "http" || !client.AllowsPrivateNetworks()) {
		return nil, tokenErr(ReasonNotHTTPS, nil, "The setup token's claim URL uses %s; SimpleFIN requires https.", u.Scheme)
	}
	if u.User != nil {
		return nil, tokenErr(ReasonNotURL, nil, "The setup token's claim URL carries a user name or password: it is not a SimpleFIN setup token.")
	}
	if err := client.CheckURL(u); err != nil {
		return nil, refusedTarget(err, u.Hostname())
	}
	return u, nil
}

// refusedTarget turns an outbound refusal of the claim URL into a TokenError, or nil
// when err is no refusal.
func refusedTarget(err error, host string) *TokenError {
	switch {
	case errors.Is(err, outbound.ErrForbiddenAddress):
		return tokenErr(ReasonPrivateAddress, err, "The setup token's claim URL points at %s, a loopback, private or link-local address, which Kontor does not call.", host)
	case errors.Is(err, outbound.ErrForbiddenScheme):
		return tokenErr(ReasonNotHTTPS, err, "The setup token's claim URL leads to a URL that is not https; SimpleFIN requires https.")
	}
	return nil
}
