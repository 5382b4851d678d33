// Package spreadsheet holds what every CSV Kontor writes needs so that a
// spreadsheet opening it does no harm.
package spreadsheet

// SafeCell keeps text from banks and other people from running as a formula when
// a CSV is opened in a spreadsheet: text starting with =, +, -, @, a tab or a
// carriage return gets a leading apostrophe, which spreadsheets hide and read as
// "this is text". Amounts are numbers, written as they are, and keep their sign.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
