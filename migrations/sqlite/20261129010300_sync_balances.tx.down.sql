DROP TABLE sync_account_drift;
--bun:split
DROP TABLE sync_balance_snapshots;
