ALTER TABLE accounts DROP COLUMN balance_drift;
--bun:split
ALTER TABLE accounts DROP COLUMN provider_balance_amount;
