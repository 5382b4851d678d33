// Package domain holds the identity rules in plain Go: what a valid user, e-mail
// address, name and password are; when repeated login failures lock an account;
// how refresh tokens rotate within a family; and what makes an API key or a web
// session usable. It imports no framework, so every rule can be tested alone.
package domain
