// Package web renders the sandbox bank's pages: the consent page and its error page.
package web

func scopeText(scope string) string {
	if scope == "" {
		return ""
	}
	return " (scope: " + scope + ")"
}
