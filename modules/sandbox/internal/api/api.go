// Package api serves the sandbox bank over HTTP with Fiber: the OAuth 2.0
// authorization and token endpoints, the bearer-protected accounts and
// transactions/sync API, and the persona controls. Errors are RFC 6749 JSON bodies
// ({"error","error_description"}); the consent page's errors are HTML pages.
package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/modules/sandbox/internal/app"
	"github.com/kontor-app/kontor/modules/sandbox/internal/domain"
	"github.com/kontor-app/kontor/modules/sandbox/internal/web"
)

// Prefix is where the bank lives in the URL space.
const Prefix = "/sandbox"

// consentCookie binds a consent form to the browser that loaded it.
const consentCookie = "sandbox_consent"

const personaLocal = "sandbox_persona"

// NewApp returns the bank as a self-contained Fiber application whose routes carry
// the full /sandbox path.
func NewApp(svc *app.Service, log *slog.Logger, secureCookies bool) *fiber.App {
	if log == nil {
		log = slog.Default()
	}
	h := &handlers{svc: svc, log: log, secure: secureCookies}
	a := fiber.New(fiber.Config{
		AppName:               "Kontor sandbox bank",
		DisableStartupMessage: true,
		Immutable:             true,
		ErrorHandler:          h.errorHandler,
	})
	a.Get(Prefix+"/oauth/authorize", h.authorizePage)
	a.Post(Prefix+"/oauth/authorize", h.authorizeDecision)
	a.Post(Prefix+"/oauth/token", h.token)
	a.Get(Prefix+"/api/accounts", h.bearer, h.accounts)
	a.Get(Prefix+"/api/transactions/sync", h.bearer, h.sync)
	a.Post(Prefix+"/api/personas/:persona/advance", h.advance)
	a.Post(Prefix+"/api/personas/:persona/revoke", h.revoke)
	a.Post(Prefix+"/api/personas/:persona/faults", h.faults)
	return a
}

type handlers struct {
	svc    *app.Service
	log    *slog.Logger
	secure bool
}

type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// errorHandler answers every failure with an RFC 6749 style JSON body.
func (h *handlers) errorHandler(c *fiber.Ctx, err error) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if e, ok := app.IsError(err); ok {
		switch e.Status {
		case fiber.StatusUnauthorized:
			if e.Code == "invalid_client" {
				c.Set(fiber.HeaderWWWAuthenticate, `Basic realm="sandbox"`)
			} else {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="sandbox", error="`+e.Code+`", error_description="`+e.Description+`"`)
			}
		}
		return c.Status(e.Status).JSON(oauthError{Error: e.Code, Description: e.Description})
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code := "invalid_request"
		switch fe.Code {
		case fiber.StatusNotFound:
			code = "not_found"
		case fiber.StatusMethodNotAllowed:
			code = "method_not_allowed"
		}
		return c.Status(fe.Code).JSON(oauthError{Error: code, Description: fe.Message})
	}
	h.log.Error("sandbox bank failed", "path", c.Path(), "error", err)
	return c.Status(fiber.StatusInternalServerError).JSON(oauthError{Error: "server_error", Description: "the sandbox bank failed; see its log"})
}

func render(c *fiber.Ctx, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.UserContext(), &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(buf.Bytes())
}

func (h *handlers) errorPage(c *fiber.Ctx, err error) error {
	if e, ok := app.IsError(err); ok {
		return render(c, e.Status, web.ErrorPage("this request cannot go on", e.Description))
	}
	return err
}

// redirectTo builds redirect_uri with params added to its query.
func redirectTo(redirectURI string, params map[string]string) (string, error) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		return "", err
	}
	q := u.Query()
	for k, v := range params {
		if v != "" {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// authorizePage validates the authorization request and shows the consent form.
func (h *handlers) authorizePage(c *fiber.Ctx) error {
	clientID, redirectURI, state := c.Query("client_id"), c.Query("redirect_uri"), c.Query("state")
	if err := h.svc.CheckClient(clientID, redirectURI); err != nil {
		return h.errorPage(c, err)
	}
	if rt := c.Query("response_type"); rt != "code" {
		to, err := redirectTo(redirectURI, map[string]string{"error": "unsupported_response_type", "state": state})
		if err != nil {
			return err
		}
		return c.Redirect(to, fiber.StatusSeeOther)
	}
	nonce := c.Cookies(consentCookie)
	if len(nonce) < 32 {
		nonce = app.RandomToken("")
		c.Cookie(&fiber.Cookie{Name: consentCookie, Value: nonce, Path: Prefix + "/oauth", HTTPOnly: true,
			SameSite: fiber.CookieSameSiteLaxMode, Secure: h.secure})
	}
	signed := h.svc.SignConsent(app.Consent{ClientID: clientID, RedirectURI: redirectURI, State: state, Scope: c.Query("scope"), Nonce: nonce})
	opts := make([]web.Option, 0, len(domain.Personas))
	for _, p := range domain.Personas {
		opts = append(opts, web.Option{Value: p, Label: domain.Describe(p)})
	}
	// The form posts here and the answer redirects to the client, which a browser
	// checks against form-action: allow the client's origin too.
	formAction := "'self'"
	if u, err := url.Parse(redirectURI); err == nil && u.Scheme != "" && u.Host != "" {
		formAction += " " + u.Scheme + "://" + u.Host
	}
	c.Set("Content-Security-Policy", "default-src 'none'; form-action "+formAction+"; base-uri 'none'; frame-ancestors 'none'")
	return render(c, fiber.StatusOK, web.ConsentPage(web.Consent{
		Action: c.Path(), ClientID: clientID, Scope: c.Query("scope"), Signed: signed, Personas: opts,
	}))
}

// authorizeDecision takes the consent form and sends the browser back to the client
// with a code, or with error=access_denied.
func (h *handlers) authorizeDecision(c *fiber.Ctx) error {
	consent, err := h.svc.VerifyConsent(c.FormValue("request"), c.Cookies(consentCookie))
	if err != nil {
		return h.errorPage(c, err)
	}
	params := map[string]string{"state": consent.State}
	switch c.FormValue("decision") {
	case "deny":
		params["error"] = "access_denied"
		params["error_description"] = "the account holder denied access"
	case "allow":
		persona := c.FormValue("persona")
		if !domain.Known(persona) {
			return render(c, fiber.StatusBadRequest, web.ErrorPage("unknown persona", "Choose one of the personas the form offers."))
		}
		code, err := h.svc.Authorize(c.UserContext(), consent, persona)
		if err != nil {
			return h.errorPage(c, err)
		}
		params["code"] = code
	default:
		return render(c, fiber.StatusBadRequest, web.ErrorPage("no decision", "Press Allow or Deny."))
	}
	to, err := redirectTo(consent.RedirectURI, params)
	if err != nil {
		return err
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// basicAuth reads RFC 6749 §2.3.1 client credentials (form-encoded, then Basic).
func basicAuth(c *fiber.Ctx) (string, string, bool) {
	hdr := c.Get(fiber.HeaderAuthorization)
	scheme, rest, ok := strings.Cut(hdr, " ")
	if !ok || !strings.EqualFold(scheme, "basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", "", false
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", false
	}
	uid, err1 := url.QueryUnescape(id)
	usecret, err2 := url.QueryUnescape(secret)
	if err1 != nil || err2 != nil {
		return "", "", false
	}
	return uid, usecret, true
}

// token is the token endpoint: authorization_code and refresh_token grants.
func (h *handlers) token(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Pragma", "no-cache")
	id, secret, ok := basicAuth(c)
	if !ok {
		return &app.Error{Status: 401, Code: "invalid_client", Description: "client credentials are required by HTTP Basic authentication"}
	}
	if err := h.svc.AuthenticateClient(id, secret); err != nil {
		return err
	}
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationForm) {
		return &app.Error{Status: 400, Code: "invalid_request", Description: "the body must be application/x-www-form-urlencoded"}
	}
	var (
		res app.TokenResponse
		err error
	)
	switch gt := c.FormValue("grant_type"); gt {
	case "authorization_code":
		res, err = h.svc.ExchangeCode(c.UserContext(), c.FormValue("code"), c.FormValue("redirect_uri"))
	case "refresh_token":
		res, err = h.svc.Refresh(c.UserContext(), c.FormValue("refresh_token"))
	case "":
		err = &app.Error{Status: 400, Code: "invalid_request", Description: "grant_type is required"}
	default:
		err = &app.Error{Status: 400, Code: "unsupported_grant_type", Description: "grant_type " + strconv.Quote(gt) + " is not supported"}
	}
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// bearer authenticates an API call and applies the flaky persona's failures.
func (h *handlers) bearer(c *fiber.Ctx) error {
	hdr := c.Get(fiber.HeaderAuthorization)
	scheme, tok, ok := strings.Cut(hdr, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		tok = ""
	}
	persona, err := h.svc.Authenticate(c.UserContext(), strings.TrimSpace(tok))
	if err != nil {
		return err
	}
	fe, retry, err := h.svc.Flaky(c.UserContext(), persona)
	if err != nil {
		return err
	}
	if fe != nil {
		if retry > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(retry.Seconds())))
		}
		return fe
	}
	c.Locals(personaLocal, persona)
	return c.Next()
}

func (h *handlers) accounts(c *fiber.Ctx) error {
	accs, err := h.svc.Accounts(c.UserContext(), c.Locals(personaLocal).(string))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"accounts": accs})
}

func (h *handlers) sync(c *fiber.Ctx) error {
	count := app.DefaultSyncCount
	if v := c.Query("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > app.MaxSyncCount {
			return &app.Error{Status: 400, Code: "invalid_request", Description: "count must be a whole number from 1 to " + strconv.Itoa(app.MaxSyncCount)}
		}
		count = n
	}
	page, err := h.svc.Sync(c.UserContext(), c.Locals(personaLocal).(string), c.Query("cursor"), count)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h *handlers) advance(c *fiber.Ctx) error {
	persona := c.Params("persona")
	if !domain.Known(persona) {
		return &app.Error{Status: 404, Code: "unknown_persona", Description: "no persona " + strconv.Quote(persona) + " (try standard, bulk or flaky)"}
	}
	var body struct {
		Days *json.Number `json:"days"`
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		return &app.Error{Status: 400, Code: "invalid_request", Description: `the body must be JSON {"days": N}: ` + err.Error()}
	}
	if dec.More() {
		return &app.Error{Status: 400, Code: "invalid_request", Description: "the body must hold one JSON object"}
	}
	if body.Days == nil {
		return &app.Error{Status: 400, Code: "invalid_request", Description: "days is required"}
	}
	days, err := strconv.Atoi(body.Days.String())
	if err != nil {
		return &app.Error{Status: 400, Code: "invalid_request", Description: "days must be a whole number from 1 to " + strconv.Itoa(app.MaxAdvanceDays)}
	}
	res, err := h.svc.Advance(c.UserContext(), persona, days)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (h *handlers) revoke(c *fiber.Ctx) error {
	persona := c.Params("persona")
	n, err := h.svc.Revoke(c.UserContext(), persona)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"persona": persona, "revoked_grants": n})
}

// faults arms a persona's injected feed failures (a test control, like advance).
func (h *handlers) faults(c *fiber.Ctx) error {
	persona := c.Params("persona")
	var body app.Faults
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return &app.Error{Status: 400, Code: "invalid_request", Description: `the body must be JSON {"mutation_during_pagination": N, "page_size": M}: ` + err.Error()}
	}
	if dec.More() {
		return &app.Error{Status: 400, Code: "invalid_request", Description: "the body must hold one JSON object"}
	}
	if err := h.svc.SetFaults(persona, body); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"persona": persona, "faults": body})
}
