package sandbox_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/modules/sandbox"
	"github.com/kontor-app/kontor/platform/config"
)

func TestSettings(t *testing.T) {
	for _, c := range []struct {
		env     map[string]string
		sandbox bool
		url     string
	}{
		{map[string]string{}, true, "http://localhost:8080/sandbox"},
		{map[string]string{"KONTOR_ENV": "production", "KONTOR_SECRET_KEY": strings.Repeat("k", 32), "KONTOR_BASE_URL": "https://money.example/"}, false, "https://money.example/sandbox"},
		{map[string]string{"KONTOR_ENV": "production", "KONTOR_SECRET_KEY": strings.Repeat("k", 32), "KONTOR_SANDBOX": "true"}, true, "http://localhost:8080/sandbox"},
		{map[string]string{"KONTOR_SANDBOX": "false", "KONTOR_SANDBOX_URL": "https://bank.example/sandbox"}, false, "https://bank.example/sandbox"},
	} {
		cfg, err := config.Load(nil, func(k string) string { return c.env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Sandbox != c.sandbox || cfg.SandboxURL != c.url {
			t.Errorf("%v: sandbox %v at %q, want %v at %q", c.env, cfg.Sandbox, cfg.SandboxURL, c.sandbox, c.url)
		}
	}
	for _, env := range []map[string]string{{"KONTOR_SANDBOX": "maybe"}, {"KONTOR_SANDBOX_URL": "ftp://bank"}} {
		if _, err := config.Load(nil, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "KONTOR_SANDBOX") {
			t.Errorf("%v: want an error naming the setting, got %v", env, err)
		}
	}
}

// TestServedByKontor links through the bank as Kontor serves it: its POST forms and
// token endpoint are outside Kontor's session and CSRF middleware.
func TestServedByKontor(t *testing.T) {
	inst := harness.Start(t, harness.Options{})
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	callback := inst.Config.BaseURL + sandbox.CallbackPath
	q := url.Values{"response_type": {"code"}, "client_id": {sandbox.ClientID}, "redirect_uri": {callback}, "state": {"kontor-state"}}
	resp, err := browser.Get(inst.BaseURL + "/sandbox/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := hiddenRequest.FindSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("consent page through Kontor: %d %s", resp.StatusCode, page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' http://localhost") {
		t.Errorf("the consent page's CSP does not let the form return to Kontor: %q", csp)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Error("the bank's answers miss Kontor's request id")
	}
	resp, err = browser.PostForm(inst.BaseURL+"/sandbox/oauth/authorize", url.Values{"request": {string(m[1])}, "persona": {"standard"}, "decision": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc.String(), callback+"?") || loc.Query().Get("code") == "" {
		t.Fatalf("consent through Kontor: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	req, _ := http.NewRequest(http.MethodPost, inst.BaseURL+"/sandbox/oauth/token",
		strings.NewReader(url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {callback}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(sandbox.ClientID, sandbox.ClientSecret)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"access_token"`) {
		t.Fatalf("token endpoint through Kontor: %d %s", resp.StatusCode, body)
	}
	resp, err = http.Post(inst.BaseURL+"/sandbox/api/personas/standard/advance", "application/json", strings.NewReader(`{"days":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("advance through Kontor: %d", resp.StatusCode)
	}

	off := harness.Start(t, harness.Options{Env: map[string]string{"KONTOR_SANDBOX": "false"}})
	resp, err = http.Get(off.BaseURL + "/sandbox/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("KONTOR_SANDBOX=false still serves the bank: %d", resp.StatusCode)
	}
}
