DROP TABLE casbin_rules;
--bun:split
DROP TABLE idempotency_keys;
