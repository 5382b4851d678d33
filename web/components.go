package web

import (
	"net/http"
	"strconv"
	"strings"
)

// FieldProps describes one labelled input for Field. Name is the form field's
// name and also yields the element's id; Type defaults to "text". Error and
// Hint, when set, are shown under the label and tied to the input with
// aria-describedby. Min, Max and Step apply to number and date inputs.
type FieldProps struct {
	Name         string
	Label        string
	Type         string
	Value        string
	Error        string
	Hint         string
	Autocomplete string
	Required     bool
	Min          string
	Max          string
	Step         string
	Placeholder  string
	// InputMode hints the on-screen keyboard, such as "decimal" for amounts.
	InputMode string
}

// Option is one choice of a Select.
type Option struct {
	Value string
	Label string
}

// SelectProps describes one labelled drop-down for Select. The option whose
// Value equals Selected is preselected. Prompt, when set, becomes a first,
// empty option such as "Choose a currency", chosen while Selected is empty.
type SelectProps struct {
	Name     string
	Label    string
	Options  []Option
	Selected string
	Prompt   string
	Error    string
	Hint     string
	Required bool
}

// CheckboxProps describes one labelled checkbox for Checkbox. Value is what a
// ticked box submits and defaults to "true", which strconv.ParseBool and
// Fiber's form binding both read as true; an unticked box submits nothing.
type CheckboxProps struct {
	Name    string
	Label   string
	Value   string
	Checked bool
	Error   string
	Hint    string
}

// PagerProps links to the neighbouring pages of a list. Either URL may be
// empty on the first or last page; with both empty the pager renders
// nothing. Summary, when set, says where the reader is, such as
// "Showing 21–40 of 93".
type PagerProps struct {
	PrevURL string
	NextURL string
	Summary string
}

// EmptyStateProps is what to show instead of an empty list: a short Title,
// an explaining Text, and optionally the action that fills the list.
type EmptyStateProps struct {
	Title       string
	Text        string
	ActionURL   string
	ActionLabel string
}

// Column is one column heading of a DataTableColumns. Numeric columns, such
// as amounts, are right-aligned; give their cells the class "num" too.
type Column struct {
	Label   string
	Numeric bool
}

// fieldID turns a form field name into an element id: "field-" followed by
// the name with anything but letters, digits, "-" and "_" replaced by "-",
// so names like "lines[0].amount" still give valid, readable ids.
func fieldID(name string) string {
	var b strings.Builder
	b.WriteString("field-")
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

// hintID and errorID name the texts an input's aria-describedby points at.
func hintID(name string) string  { return fieldID(name) + "-hint" }
func errorID(name string) string { return fieldID(name) + "-error" }

// describedBy lists the ids of the hint and error shown for a field, error
// first so a screen reader announces the problem before the advice.
func describedBy(name, hint, err string) string {
	var ids []string
	if err != "" {
		ids = append(ids, errorID(name))
	}
	if hint != "" {
		ids = append(ids, hintID(name))
	}
	return strings.Join(ids, " ")
}

// inputType is the input's type, "text" unless the props say otherwise.
func (p FieldProps) inputType() string {
	if p.Type == "" {
		return "text"
	}
	return p.Type
}

// inputValue is the value to prefill. A password is never echoed back into
// the page, whatever the handler passes.
func (p FieldProps) inputValue() string {
	if strings.EqualFold(p.Type, "password") {
		return ""
	}
	return p.Value
}

// checkboxValue is what a ticked checkbox submits.
func (p CheckboxProps) checkboxValue() string {
	if p.Value == "" {
		return "true"
	}
	return p.Value
}

// columnsOf turns plain headings into text columns.
func columnsOf(headers []string) []Column {
	cols := make([]Column, len(headers))
	for i, h := range headers {
		cols[i] = Column{Label: h}
	}
	return cols
}

// moneyDisplay makes sure a negative amount carries a visible sign, so its
// meaning never rests on colour alone. Amounts already signed ("-12.00",
// "−12.00", "(12.00)") are shown as given.
func moneyDisplay(amount string, negative bool) string {
	if !negative {
		return amount
	}
	trimmed := strings.TrimSpace(amount)
	if strings.HasPrefix(trimmed, "-") || strings.HasPrefix(trimmed, "−") || strings.HasPrefix(trimmed, "(") {
		return amount
	}
	return "−" + trimmed
}

// formErrorsTitle heads the summary of a form's problems: title when the form
// gives one, else how many problems there are to fix.
func formErrorsTitle(title string, n int) string {
	if title != "" {
		return title
	}
	if n == 1 {
		return "Please fix 1 problem"
	}
	return "Please fix " + strconv.Itoa(n) + " problems"
}

// errorTitle falls back to the status's standard text when a handler gives
// no title of its own.
func errorTitle(status int, title string) string {
	if strings.TrimSpace(title) != "" {
		return title
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Something went wrong"
}

// flashRole is the ARIA live-region role for a flash message: an error
// interrupts ("alert"), good news and notes wait their turn ("status").
func flashRole(kind string) string {
	if kind == FlashError {
		return "alert"
	}
	return "status"
}
