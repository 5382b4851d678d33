package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// shUser registers a user on inst and returns a client carrying its access token.
func shUser(t *testing.T, inst *harness.Instance, email string) *harness.Client {
	t.Helper()
	return inst.RegisterAs(t, "Self Hoster", email, "a long enough password").Client
}

// shLogin logs email in on inst.
func shLogin(t *testing.T, inst *harness.Instance, email string) *harness.Client {
	t.Helper()
	c := inst.Client()
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	c.Post(t, "/api/v1/auth/login", map[string]string{"email": email, "password": "a long enough password"}).
		Expect(t, http.StatusOK).JSON(t, &tokens)
	c.Token = tokens.AccessToken
	return c
}

// shAccount creates a manual account and returns its id.
func shAccount(t *testing.T, c *harness.Client, body map[string]any) string {
	t.Helper()
	var a struct {
		ID string `json:"id"`
	}
	c.Post(t, "/api/v1/accounts", body).Expect(t, http.StatusCreated).JSON(t, &a)
	return a.ID
}

// shPoster posts JSON from any goroutine (harness.Client fails the test, which only
// the test's own goroutine may do) and returns the status and the "id" of the body.
type shPoster struct {
	base, token string
	http        *http.Client
}

func newPoster(c *harness.Client) *shPoster {
	jar, _ := cookiejar.New(nil)
	return &shPoster{base: c.BaseURL, token: c.Token, http: &http.Client{Timeout: time.Minute, Jar: jar}}
}

func (p *shPoster) post(path string, body any) (int, string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, "", err
	}
	req, err := http.NewRequest(http.MethodPost, p.base+path, bytes.NewReader(b))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+p.token)
	res, err := p.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, "", err
	}
	var out struct {
		ID string `json:"id"`
	}
	if res.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(raw, &out); err != nil {
			return res.StatusCode, "", fmt.Errorf("decode %s: %w", raw, err)
		}
	} else {
		return res.StatusCode, "", fmt.Errorf("POST %s: %d %s", path, res.StatusCode, raw)
	}
	return res.StatusCode, out.ID, nil
}
