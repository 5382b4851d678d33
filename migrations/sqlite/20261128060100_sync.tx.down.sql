DROP TABLE sync_suggestions;
--bun:split
DROP TABLE sync_provider_transactions;
--bun:split
DROP TABLE sync_accounts;
--bun:split
DROP TABLE sync_runs;
--bun:split
DROP TABLE sync_states;
--bun:split
DROP TABLE sync_leases;
