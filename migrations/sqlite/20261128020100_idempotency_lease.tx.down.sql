ALTER TABLE idempotency_keys DROP COLUMN lease_expires_at;
--bun:split
ALTER TABLE idempotency_keys DROP COLUMN owner;
