package harness

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

// Password is the password Register gives every user.
const Password = "correct horse battery staple"

var userSeq atomic.Int64

// User is a registered user of an Instance, logged in over the API: Client carries
// its access token.
type User struct {
	Client       *Client
	ID           uuid.UUID
	Name         string
	Email        string
	Password     string
	AccessToken  string
	RefreshToken string
}

// Register registers a new user named name over the JSON API, with an e-mail
// address no other test of the binary uses and Password, and logs it in with a JWT.
// It is the one register-and-login every package's tests share.
func (i *Instance) Register(t testing.TB, name string) *User {
	t.Helper()
	local := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(name))
	email := fmt.Sprintf("%s-%d-%d@example.test", local, time.Now().UnixNano(), userSeq.Add(1))
	return i.RegisterAs(t, name, email, Password)
}

// RegisterAs is Register with the e-mail address and password given.
func (i *Instance) RegisterAs(t testing.TB, name, email, password string) *User {
	t.Helper()
	c := i.Client()
	var me struct {
		ID uuid.UUID `json:"id"`
	}
	c.Post(t, "/api/v1/auth/register", map[string]string{"email": email, "password": password, "name": name}).
		Expect(t, http.StatusCreated).JSON(t, &me)
	var pair struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	c.Post(t, "/api/v1/auth/login", map[string]string{"email": email, "password": password}).
		Expect(t, http.StatusOK).JSON(t, &pair)
	c.Token = pair.AccessToken
	return &User{Client: c, ID: me.ID, Name: name, Email: email, Password: password, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken}
}

// Browser returns a new client signed in as u through the login form, holding the
// session cookie a browser would (and no bearer token), and the CSRF token its forms
// send.
func (u *User) Browser(t testing.TB, i *Instance) (*Client, string) {
	t.Helper()
	b := i.Client()
	tok := b.CSRFToken(t, "/login")
	res := b.PostForm(t, "/login", url.Values{"_csrf": {tok}, "email": {u.Email}, "password": {u.Password}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("log in through the form: %d\n%s", res.Status, truncate(res.Body))
	}
	// Login rotates the CSRF token: the one from the login page is void now.
	return b, b.CSRFToken(t, "/")
}
