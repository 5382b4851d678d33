DROP TABLE account_daily_deltas;
--bun:split
DROP TABLE transfers;
--bun:split
DROP TABLE transactions;
--bun:split
DROP TABLE accounts;
