package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// person is a registered user with two clients: a browser session, logged in
// through the login form, and a JSON API client for quick setup.
type person struct {
	browser *harness.Client
	api     *harness.Client
	csrf    string
	email   string
}

// newPerson registers through the JSON API and logs in through the login form.
func newPerson(t *testing.T, inst *harness.Instance, name string) *person {
	t.Helper()
	u := inst.Register(t, name)
	b, tok := u.Browser(t, inst)
	return &person{browser: b, api: u.Client, csrf: tok, email: u.Email}
}

// post submits a form with the person's CSRF token.
func (p *person) post(t *testing.T, path string, v url.Values) *harness.Response {
	t.Helper()
	if v == nil {
		v = url.Values{}
	}
	v.Set("_csrf", p.csrf)
	return p.browser.PostForm(t, path, v)
}

// get opens a page in the person's browser session.
func (p *person) get(t *testing.T, path string) *harness.Response {
	t.Helper()
	res := p.browser.Get(t, path)
	if res.Status >= 500 {
		t.Fatalf("GET %s: server error %d:\n%s", path, res.Status, res.Body)
	}
	return res
}

// page opens a page that must answer 200 and keep to the CSP, and returns its text.
func (p *person) page(t *testing.T, path string) string {
	t.Helper()
	res := p.get(t, path).Expect(t, http.StatusOK)
	res.ExpectPage(t)
	return res.Text()
}

// follow expects a 303 to want (when not empty) and opens where it leads.
func (p *person) follow(t *testing.T, res *harness.Response, want string) string {
	t.Helper()
	if res.Status != http.StatusSeeOther {
		t.Fatalf("status %d, want 303; body:\n%s", res.Status, res.Body)
	}
	loc := res.Header.Get("Location")
	if want != "" && loc != want {
		t.Fatalf("redirect to %q, want %q", loc, want)
	}
	return p.page(t, loc)
}

// account is the part of the JSON account the tests read.
type account struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Balance  string `json:"balance_amount"`
	Status   string `json:"status"`
	Archived bool   `json:"is_archived"`
	Version  int64  `json:"version"`
}

// createAccount adds an account through the JSON API, for setup.
func (p *person) createAccount(t *testing.T, body map[string]any) account {
	t.Helper()
	var a account
	p.api.Post(t, "/api/v1/accounts", body).Expect(t, http.StatusCreated).JSON(t, &a)
	return a
}

// account reads an account through the JSON API.
func (p *person) account(t *testing.T, id string) account {
	t.Helper()
	var a account
	p.api.Get(t, "/api/v1/accounts/"+id).Expect(t, http.StatusOK).JSON(t, &a)
	return a
}

// contains fails t for each of wants that page lacks.
func contains(t *testing.T, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

// lacks fails t for each of unwanted that page has.
func lacks(t *testing.T, page string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(page, w) {
			t.Errorf("page has %q", w)
		}
	}
}

var idInLocation = regexp.MustCompile(`^/accounts/([0-9a-f-]{36})$`)

// createdID returns the id of the account a create form redirected to.
func createdID(t *testing.T, res *harness.Response) string {
	t.Helper()
	m := idInLocation.FindStringSubmatch(res.Header.Get("Location"))
	if res.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("create answered %d to %q:\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}
	return m[1]
}

// section returns the part of page from the element with id to the end of its
// section, for assertions about one group of the list.
func section(t *testing.T, page, id string) string {
	t.Helper()
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no element with id %q", id)
	}
	rest := page[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

var (
	formTag   = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)"[^>]*>(.*?)</form>`)
	fieldName = regexp.MustCompile(`<(?:input|select|textarea)[^>]*\sname="([^"]+)"`)
)

// formFields returns the names of the fields the POST form with action posts, so
// tests can hold the forms to the names the handlers read.
func formFields(t *testing.T, page, action string) []string {
	t.Helper()
	for _, m := range formTag.FindAllStringSubmatch(page, -1) {
		if m[1] != action {
			continue
		}
		var names []string
		for _, f := range fieldName.FindAllStringSubmatch(m[2], -1) {
			names = append(names, f[1])
		}
		return names
	}
	t.Fatalf("no form posts to %s", action)
	return nil
}

// sameFields fails t unless a form posts exactly the fields want.
func sameFields(t *testing.T, page, action string, want ...string) {
	t.Helper()
	got := formFields(t, page, action)
	if strings.Join(sorted(got), ",") != strings.Join(sorted(append(want, "_csrf")), ",") {
		t.Errorf("the form to %s posts %v, want %v and _csrf", action, got, want)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
