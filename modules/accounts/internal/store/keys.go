package store

import (
	"strings"
)

// nameKey is the case-folded name the account list sorts and searches by.
func nameKey(name string) string { return strings.ToLower(name) }

// likePattern returns a LIKE pattern matching s anywhere, with LIKE's wildcards in
// s escaped by a backslash.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}
