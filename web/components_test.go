package web_test

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/kontor-app/kontor/web"
)

func assertContains(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q in:\n%s", want, body)
		}
	}
}

func assertNotContains(t *testing.T, body string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(body, u) {
			t.Errorf("unexpected %q in:\n%s", u, body)
		}
	}
}

// assertDescribedByResolves checks every id an aria-describedby names exists.
func assertDescribedByResolves(t *testing.T, body string) {
	t.Helper()
	for _, m := range regexp.MustCompile(`aria-describedby="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		for _, id := range strings.Fields(m[1]) {
			if !strings.Contains(body, `id="`+id+`"`) {
				t.Errorf("aria-describedby names %q, which is not on the page", id)
			}
		}
	}
}

func TestCSRFField(t *testing.T) {
	body := renderString(t, web.CSRFField(`t"ok`))
	assertContains(t, body, `<input type="hidden" name="_csrf" value="t&#34;ok">`)
}

func TestFieldWithErrorAndHint(t *testing.T) {
	body := renderString(t, web.Field(web.FieldProps{
		Name: "opening_balance", Label: "Opening balance", Type: "number", Value: "12.50",
		Error: "Enter an amount", Hint: "Leave empty to start at zero.",
		Required: true, Min: "0", Max: "1000000", Step: "0.01", Placeholder: "0.00",
		Autocomplete: "off",
	}))
	assertContains(t, body,
		`<label for="field-opening_balance">Opening balance</label>`,
		`id="field-opening_balance"`, `name="opening_balance"`, `type="number"`, `value="12.50"`,
		` required`, `min="0"`, `max="1000000"`, `step="0.01"`, `placeholder="0.00"`, `autocomplete="off"`,
		`aria-invalid="true"`,
		`aria-describedby="field-opening_balance-error field-opening_balance-hint"`,
		`Enter an amount`, `Leave empty to start at zero.`,
	)
	assertDescribedByResolves(t, body)
}

func TestFieldPlain(t *testing.T) {
	body := renderString(t, web.Field(web.FieldProps{Name: "lines[0].memo", Label: "Memo"}))
	assertContains(t, body, `type="text"`, `id="field-lines-0--memo"`, `name="lines[0].memo"`)
	assertNotContains(t, body, "aria-invalid", "aria-describedby", "required", "min=", "placeholder")
}

func TestFieldNeverEchoesPassword(t *testing.T) {
	body := renderString(t, web.Field(web.FieldProps{Name: "password", Label: "Password", Type: "password", Value: "hunter2"}))
	assertNotContains(t, body, "hunter2")
}

func TestSelect(t *testing.T) {
	body := renderString(t, web.Select(web.SelectProps{
		Name: "currency", Label: "Currency", Prompt: "Choose a currency",
		Options:  []web.Option{{Value: "EUR", Label: "Euro"}, {Value: "USD", Label: "US dollar"}},
		Selected: "USD", Error: "Choose a supported currency", Hint: "Cannot be changed later.",
	}))
	assertContains(t, body,
		`<label for="field-currency">Currency</label>`,
		`<select id="field-currency" name="currency"`,
		`<option value="">Choose a currency</option>`,
		`<option value="EUR">Euro</option>`,
		`<option value="USD" selected>US dollar</option>`,
		`aria-invalid="true"`,
	)
	assertDescribedByResolves(t, body)
}

func TestCheckbox(t *testing.T) {
	body := renderString(t, web.Checkbox(web.CheckboxProps{Name: "remember", Label: "Keep me signed in", Checked: true, Hint: "On this device only."}))
	assertContains(t, body, `type="checkbox"`, `name="remember"`, `value="true"`, ` checked`, `Keep me signed in`, `aria-describedby="field-remember-hint"`)
	assertDescribedByResolves(t, body)

	body = renderString(t, web.Checkbox(web.CheckboxProps{Name: "x", Label: "X", Value: "yes"}))
	assertContains(t, body, `value="yes"`)
	assertNotContains(t, body, "checked")
}

func TestFormErrors(t *testing.T) {
	if body := renderString(t, web.FormErrors(nil)); body != "" {
		t.Errorf("no errors rendered %q", body)
	}
	body := renderString(t, web.FormErrors([]string{"Enter a name", "Choose a currency"}))
	assertContains(t, body, `role="alert"`, "Please fix 2 problems", "<li>Enter a name</li>", "<li>Choose a currency</li>")
	assertContains(t, renderString(t, web.FormErrors([]string{"One"})), "Please fix 1 problem<")
}

func TestPager(t *testing.T) {
	if body := renderString(t, web.Pager(web.PagerProps{})); body != "" {
		t.Errorf("a pager with nowhere to go rendered %q", body)
	}
	body := renderString(t, web.Pager(web.PagerProps{NextURL: "/accounts?cursor=abc", Summary: "1–20 of 45"}))
	assertContains(t, body, `<nav class="pager" aria-label="Pagination">`, `href="/accounts?cursor=abc" rel="next"`, "1–20 of 45")
	assertNotContains(t, body, `rel="prev"`)

	body = renderString(t, web.Pager(web.PagerProps{PrevURL: "/accounts?page=1", NextURL: "/accounts?page=3"}))
	assertContains(t, body, `href="/accounts?page=1" rel="prev"`, `href="/accounts?page=3" rel="next"`)
}

func TestEmptyState(t *testing.T) {
	body := renderString(t, web.EmptyState(web.EmptyStateProps{
		Title: "No accounts yet", Text: "Add one to get started.", ActionURL: "/accounts/new", ActionLabel: "Add an account",
	}))
	assertContains(t, body, "No accounts yet", "Add one to get started.", `<a href="/accounts/new" role="button">Add an account</a>`)

	body = renderString(t, web.EmptyState(web.EmptyStateProps{Title: "Nothing here"}))
	assertNotContains(t, body, "<a ")
}

func TestCardAndDataTable(t *testing.T) {
	row := templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, `<tr><td>Savings</td><td class="num">1.00</td></tr>`)
		return err
	})
	table := web.DataTable("Your accounts", []string{"Account", "Balance"})
	var b strings.Builder
	ctx := templ.WithChildren(context.Background(), row)
	if err := table.Render(ctx, &b); err != nil {
		t.Fatal(err)
	}
	assertContains(t, b.String(),
		`<figure class="table-scroll" role="region" aria-label="Your accounts" tabindex="0">`,
		`<caption>Your accounts</caption>`,
		`<th scope="col">Account</th>`,
		`<tbody><tr><td>Savings</td><td class="num">1.00</td></tr></tbody>`,
	)

	b.Reset()
	cols := web.DataTableColumns("Money", []web.Column{{Label: "Amount", Numeric: true}})
	if err := cols.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	assertContains(t, b.String(), `<th scope="col" class="num">Amount</th>`)

	b.Reset()
	// Rendering consumes the children in a context, so the card gets its own.
	ctx = templ.WithChildren(context.Background(), row)
	if err := web.Card("Balances").Render(ctx, &b); err != nil {
		t.Fatal(err)
	}
	assertContains(t, b.String(), `<article class="card">`, `<h2 class="card__title">Balances</h2>`, `<td>Savings</td>`)
}

func TestMoneyText(t *testing.T) {
	for _, tc := range []struct {
		amount   string
		negative bool
		want     string
	}{
		{"1,234.50", false, `<span class="money">1,234.50</span>`},
		{"-12.00", true, `<span class="money money--negative">-12.00</span>`},
		{"12.00", true, `<span class="money money--negative">−12.00</span>`},
		{"(12.00)", true, `<span class="money money--negative">(12.00)</span>`},
	} {
		if got := renderString(t, web.MoneyText(tc.amount, tc.negative)); got != tc.want {
			t.Errorf("MoneyText(%q, %v) = %s, want %s", tc.amount, tc.negative, got, tc.want)
		}
	}
}
