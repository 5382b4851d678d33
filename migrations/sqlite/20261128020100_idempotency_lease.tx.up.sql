-- A running key carries a lease, renewed while its request runs, and the token of
-- the request that holds it: a retry after the lease lapsed takes the key over, and
-- a stale holder can no longer settle it (issue 10, item 18). Rows from before have
-- no lease, so a key left running by an older version is free for the next retry.
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE idempotency_keys ADD COLUMN lease_expires_at TIMESTAMP;
