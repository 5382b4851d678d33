package web

import (
	"testing"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/money"
	kweb "github.com/kontor-app/kontor/web"
)

// TestOneDateAndSignConvention holds the PDF's date layout to the pages' and
// the statement page's figures to the U+2212 minus.
func TestOneDateAndSignConvention(t *testing.T) {
	if domain.HumanDateLayout != kweb.DateLayout {
		t.Errorf("the PDF writes days as %q, pages as %q", domain.HumanDateLayout, kweb.DateLayout)
	}
	if got := signed(money.MustParse("-35.1"), "EUR"); got != "−35.10" {
		t.Errorf("signed = %q", got)
	}
	if got := amount(money.MustParse("-1234.5"), "EUR"); got != "−1,234.50" {
		t.Errorf("amount = %q", got)
	}
}
