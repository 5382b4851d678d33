// Package statements is Kontor's statements module: account statements for a period
// in JSON, CSV and PDF, the statement page, and the dashboard every signed-in person
// lands on, with net worth, its change, allocation, accounts that need attention and
// recent transactions.
//
// Statements read the ledger only through the accounts module's Ledger contract, the
// dashboard reads a person's accounts only through its Insight contract, and holders
// are named through the identity module's Directory; the module owns no tables. No
// other module depends on statements, so this contract is empty apart from Module,
// in module.go; the balance-history chart the account page embeds lives in the
// shared web package (web.BalanceHistoryChart), which imports no module.
package statements
