// Package bench is Kontor's load harness for the accounts module: a seeder that
// writes one user's accounts and a million-entry ledger through the accounts
// contract's bulk-seeding system call, a closed-loop HTTP load generator that
// records every latency, a query counter that shows how many SQL statements a
// request costs, and the floor of the transaction page (NewFloor: the least a
// correct server does for it) to measure Kontor against. The benchmarks in
// bench_test.go put them together against the real application on PostgreSQL and
// on SQLite; cmd/benchdb and wrk.sh measure the kontor binary and the floor with
// wrk; docs/PERFORMANCE.md records their figures.
//
// Nothing here asserts a timing: the benchmarks report, people judge.
package bench
