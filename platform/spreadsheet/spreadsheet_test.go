package spreadsheet

import "testing"

func TestSafeCell(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                  "",
		"Coffee":            "Coffee",
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
		"+1":                "'+1",
		"-1":                "'-1",
		"@SUM(A1)":          "'@SUM(A1)",
		"\tcmd":             "'\tcmd",
		"\rcmd":             "'\rcmd",
		"a=b":               "a=b",
	} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}
