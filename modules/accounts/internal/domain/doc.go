// Package domain holds the accounts module's entities and their rules: account types
// and the flags derived from them, the status lifecycle and the archive flag, manual
// accounts versus provider-linked ones, and the ledger whose entries are the only way
// a balance changes. It is plain Go: no web framework, no database.
package domain
