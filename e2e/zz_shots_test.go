package e2e

import (
	"net/http"
	"os"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

func TestZZShots(t *testing.T) {
	inst := harness.Start(t, harness.Options{Engine: harness.SQLite})
	email, eurID, ethID := pagesSeed(t, inst)
	b := harness.NewBrowser(t)
	b.BaseURL = inst.BaseURL
	b.Navigate("/login")
	b.Fill(`form[action="/login"] input[name="email"]`, email)
	b.Fill(`form[action="/login"] input[name="password"]`, pagesPassword)
	if status := b.Submit(`form[action="/login"] button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("login: status %d", status)
	}
	b.Navigate("/settings/currency")
	b.Fill(`input[name="base_currency"]`, "EUR")
	b.Submit(`form[action="/settings/currency"] button[type="submit"]`)
	for _, r := range [][2]string{{"GBP", "1.17"}, {"ETH", "3012.50"}} {
		b.Fill(`input[name="currency"]`, r[0])
		b.Fill(`input[name="rate"]`, r[1])
		evaluate[any](t, b, `document.querySelector('input[name="date"]').value = "2026-11-28"`)
		b.Submit(`form[action="/rates"] button[type="submit"]`)
	}
	for _, w := range []int64{1366, 390} {
		for _, s := range []string{"light", "dark"} {
			emulate(t, b, w, 900, w == 390, s)
			for name, p := range map[string]string{"dash": "/", "eur": "/accounts/" + eurID, "eth": "/accounts/" + ethID, "rates": "/rates", "docs": "/docs"} {
				b.Navigate(p)
				os.WriteFile("/tmp/shot-"+name+"-"+s+"-"+map[bool]string{true: "390", false: "1366"}[w == 390]+".png", b.Screenshot(name), 0o644)
			}
		}
	}
}
