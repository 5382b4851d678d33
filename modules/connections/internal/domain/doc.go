// Package domain holds the connections module's aggregate: a Connection between a
// user and a provider, and the state machine that provider outcomes drive
// (pending → active → needs_reauth | error → active, any → disconnected). Every
// change of status is recorded with its reason and the action that fixes it, and
// announced as a ConnectionStatusChanged event. Plain Go: no framework, no store.
package domain
