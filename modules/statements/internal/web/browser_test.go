package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/kontor-app/kontor/e2e/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const password = harness.Password

// seed registers a user over the API and gives them an account with a few months
// of transactions; it returns the account id and the user's e-mail address.
func seed(t *testing.T, inst *harness.Instance) (accountID, email string) {
	t.Helper()
	u := inst.Register(t, "Grace Hopper")
	c, email := u.Client, u.Email
	var acc struct {
		ID string `json:"id"`
	}
	c.Post(t, "/api/v1/accounts", map[string]any{"name": "Everyday", "account_type": "checking", "currency": "USD"}).Expect(t, http.StatusCreated).JSON(t, &acc)
	var card struct {
		ID string `json:"id"`
	}
	c.Post(t, "/api/v1/accounts", map[string]any{"name": "Travel card", "account_type": "credit_card", "currency": "USD"}).Expect(t, http.StatusCreated).JSON(t, &card)
	today := time.Now().UTC()
	for i := 0; i < 24; i++ {
		booked := today.AddDate(0, 0, -i*15).Format(time.RFC3339)
		c.Post(t, "/api/v1/accounts/"+acc.ID+"/transactions", map[string]string{"type": "deposit", "amount": "2500.00", "description": fmt.Sprintf("Salary %d", i), "booked_at": booked}).Expect(t, http.StatusCreated)
		c.Post(t, "/api/v1/accounts/"+acc.ID+"/transactions", map[string]string{"type": "payment", "amount": "1450.25", "description": fmt.Sprintf("Rent %d", i), "booked_at": booked}).Expect(t, http.StatusCreated)
		c.Post(t, "/api/v1/accounts/"+card.ID+"/transactions", map[string]string{"type": "purchase", "amount": "120.40", "description": fmt.Sprintf("Groceries %d", i), "booked_at": booked}).Expect(t, http.StatusCreated)
	}
	return acc.ID, email
}

// download clicks the link selector names and waits for the browser to save the
// file, which it returns.
func download(t *testing.T, b *harness.Browser, selector string) []byte {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(b.Context(), 30*time.Second)
	defer cancel()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: ptr(true),
			})
			return err
		}),
		chromedp.Click(chromedp.CSS(selector)),
	)
	if err != nil {
		t.Fatalf("click %s: %v", selector, err)
	}
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download %s: %v", selector, err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			body, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				t.Fatal(err)
			}
			return body
		case browser.DownloadProgressStateCanceled:
			t.Fatalf("download %s was cancelled", selector)
		}
	}
	t.Fatalf("download %s did not finish", selector)
	return nil
}

func ptr[T any](v T) *T { return &v }

// TestDashboardAndStatementDownloadsInTheBrowser logs in, keeps a screenshot of the
// dashboard, opens a statement, picks a period and downloads its CSV and PDF.
func TestDashboardAndStatementDownloadsInTheBrowser(t *testing.T) {
	inst := harness.Start(t, harness.Options{Engine: harness.Auto})
	accountID, email := seed(t, inst)
	b := harness.NewBrowser(t)
	b.BaseURL = inst.BaseURL

	b.Navigate("/login")
	b.Fill(`form[action="/login"] input[name="email"]`, email)
	b.Fill(`form[action="/login"] input[name="password"]`, password)
	if status := b.Submit(`form[action="/login"] button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("login: status %d", status)
	}

	if status := b.Navigate("/"); status != http.StatusOK {
		t.Fatalf("dashboard: status %d", status)
	}
	b.WaitVisible("#dashboard-title")
	if got := b.Text("#dashboard-title"); !strings.Contains(got, "Grace Hopper") {
		t.Fatalf("dashboard title %q", got)
	}
	html := b.HTML()
	for _, want := range []string{"Net worth", "net-worth-usd", "allocation-usd", "Recent transactions", "Groceries 0", "Travel card", "All accounts look fine"} {
		if !strings.Contains(html, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	t.Logf("dashboard screenshot: %s", b.KeepScreenshot("dashboard"))
	for _, line := range b.Console() {
		if strings.Contains(line, "Content Security Policy") || strings.Contains(line, "Refused") {
			t.Errorf("console: %s", line)
		}
	}

	b.Navigate("/accounts/" + accountID + "/statement")
	b.WaitVisible("form.period-picker")
	year := time.Now().UTC().Year() - 1
	b.Navigate(fmt.Sprintf("/accounts/%s/statement?period=custom&start_date=%d-01-01&end_date=%d-12-31", accountID, year-1, year+1))
	b.WaitVisible("#closing-balance")
	closing := b.Text("#closing-balance")
	count := b.Text("#transaction-count")
	if count != "48" {
		t.Fatalf("statement shows %s transactions, want 48", count)
	}

	csvBody := download(t, b, "#download-csv")
	if !bytes.HasPrefix(csvBody, []byte("date,booked_at,transaction_id,description,type,amount,currency,balance_after,counterparty,account_number\r\n")) || bytes.Count(csvBody, []byte("\r\n")) != 49 {
		t.Fatalf("CSV download: %q", csvBody[:min(200, len(csvBody))])
	}
	lines := strings.Split(strings.TrimSpace(string(csvBody)), "\r\n")
	last := strings.Split(lines[len(lines)-1], ",")
	if got := last[7]; strings.ReplaceAll(closing, ",", "") != got {
		t.Fatalf("CSV closing balance %s, page says %s", got, closing)
	}
	pdfBody := download(t, b, "#download-pdf")
	if !bytes.HasPrefix(pdfBody, []byte("%PDF-")) {
		t.Fatalf("PDF download starts %q", pdfBody[:min(16, len(pdfBody))])
	}

	// Dates typed into From and To win over the preset the form still sends; what
	// the form showed comes back in shown_start and shown_end.
	b.Navigate(fmt.Sprintf("/accounts/%s/statement", accountID))
	b.WaitVisible("form.period-picker")
	shownStart, shownEnd := b.Value(`input[name="start_date"]`), b.Value(`input[name="end_date"]`)
	b.Navigate(fmt.Sprintf("/accounts/%s/statement?period=this_month&start_date=%d-01-01&end_date=%d-01-31&shown_start=%s&shown_end=%s", accountID, year, year, shownStart, shownEnd))
	if lead := b.Text("p.lead"); !strings.Contains(lead, fmt.Sprintf("1 Jan %d to 31 Jan %d", year, year)) {
		t.Fatalf("typed dates were ignored: %q", lead)
	}
	// Untouched dates leave the preset alone.
	b.Navigate(fmt.Sprintf("/accounts/%s/statement?period=last_month&start_date=%s&end_date=%s&shown_start=%s&shown_end=%s", accountID, shownStart, shownEnd, shownStart, shownEnd))
	shown, err := time.Parse(time.DateOnly, shownStart)
	if err != nil {
		t.Fatalf("the form's start date %q: %v", shownStart, err)
	}
	if lead := b.Text("p.lead"); strings.Contains(lead, shown.Format("2 Jan 2006")+" to") {
		t.Fatalf("the preset was ignored: %q", lead)
	}
	// A bad period keeps the account's name in the heading and speaks the form's words.
	b.Navigate(fmt.Sprintf("/accounts/%s/statement?period=custom&start_date=%d-02-01&end_date=%d-01-01", accountID, year, year))
	if h := b.Text("h1"); h != "Statement of Everyday" {
		t.Fatalf("heading on a bad period: %q", h)
	}
	if html := b.HTML(); !strings.Contains(html, "From: must not be after “To”") || strings.Contains(html, "start_date must") {
		t.Fatalf("the error is not in the form's words:\n%s", html)
	}

	// The landing page still greets a visitor at "/".
	anon := inst.Client()
	if res := anon.Get(t, "/"); res.Status != http.StatusOK || !bytes.Contains(res.Body, []byte("hero-title")) {
		t.Fatalf("landing page: %d", res.Status)
	}
}
