// Package domain holds the rules of a statement in plain Go: which period a request
// names, how a statement is built from the ledger one entry at a time with its running
// balance and totals, and what the dashboard's figures mean (net worth, its change,
// allocation, accounts that need attention). It imports no framework, so every rule
// can be tested alone, and it never holds a whole ledger: a statement of a hundred
// thousand entries is folded entry by entry.
package domain
