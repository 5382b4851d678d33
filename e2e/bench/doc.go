// Package bench is Kontor's load harness for the accounts module: a seeder that
// writes one user's accounts and a million-entry ledger straight into the accounts
// tables in the store's exact format, a closed-loop HTTP load generator that records
// every latency, and a query counter that shows how many SQL statements a request
// costs. The benchmarks in bench_test.go put them together against the real
// application on PostgreSQL and on SQLite; docs/PERFORMANCE.md records their figures.
//
// Nothing here asserts a timing: the benchmarks report, people judge.
package bench
