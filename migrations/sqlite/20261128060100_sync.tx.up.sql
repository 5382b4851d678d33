-- The sync module: a lease with a fence per connection, the state kept between
-- runs (committed cursor, window watermark, request budget), the audit trail of
-- runs, the provider accounts mirrored, the provider transactions as raw facts,
-- and the pending-match suggestions the owner decides.
CREATE TABLE sync_leases (
    connection_id  TEXT PRIMARY KEY,
    owner          TEXT NOT NULL DEFAULT '',
    until          TIMESTAMP,
    fence          INTEGER NOT NULL DEFAULT 0
);
--bun:split
CREATE TABLE sync_states (
    connection_id        TEXT PRIMARY KEY,
    cursor               TEXT NOT NULL DEFAULT '',
    watermark            TIMESTAMP,
    budget_window_start  TIMESTAMP,
    budget_used          INTEGER NOT NULL DEFAULT 0,
    updated_at           TIMESTAMP NOT NULL
);
--bun:split
CREATE TABLE sync_runs (
    id             TEXT PRIMARY KEY,
    connection_id  TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    kind           TEXT NOT NULL,
    trigger        TEXT NOT NULL,
    status         TEXT NOT NULL,
    started_at     TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP,
    stats          TEXT NOT NULL,
    error_code     TEXT,
    error_message  TEXT,
    cursor_from    TEXT NOT NULL DEFAULT '',
    cursor_to      TEXT NOT NULL DEFAULT '',
    fence          INTEGER NOT NULL
);
--bun:split
CREATE INDEX sync_runs_user ON sync_runs (user_id, id);
--bun:split
CREATE INDEX sync_runs_connection ON sync_runs (connection_id, id);
--bun:split
CREATE TABLE sync_accounts (
    connection_id        TEXT NOT NULL,
    provider_account_id  TEXT NOT NULL,
    account_id           TEXT NOT NULL,
    PRIMARY KEY (connection_id, provider_account_id)
);
--bun:split
CREATE TABLE sync_provider_transactions (
    connection_id        TEXT NOT NULL,
    provider_account_id  TEXT NOT NULL,
    provider_id          TEXT NOT NULL,
    canonical_id         TEXT NOT NULL,
    pending              BOOLEAN NOT NULL,
    amount               TEXT NOT NULL,
    booked_on            TIMESTAMP NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    counterparty         TEXT NOT NULL DEFAULT '',
    pending_id           TEXT NOT NULL DEFAULT '',
    linked_posted        TEXT NOT NULL DEFAULT '',
    removed              BOOLEAN NOT NULL DEFAULT FALSE,
    hash                 TEXT NOT NULL,
    last_run_id          TEXT,
    PRIMARY KEY (connection_id, provider_account_id, provider_id)
);
--bun:split
CREATE INDEX sync_provider_transactions_id ON sync_provider_transactions (connection_id, provider_id);
--bun:split
CREATE INDEX sync_provider_transactions_open_pending ON sync_provider_transactions (connection_id, provider_account_id)
    WHERE pending AND NOT removed AND linked_posted = '';
--bun:split
CREATE TABLE sync_suggestions (
    id                   TEXT PRIMARY KEY,
    connection_id        TEXT NOT NULL,
    user_id              TEXT NOT NULL,
    account_id           TEXT NOT NULL,
    provider_account_id  TEXT NOT NULL,
    posted_id            TEXT NOT NULL,
    pending_id           TEXT NOT NULL,
    status               TEXT NOT NULL,
    created_at           TIMESTAMP NOT NULL,
    resolved_at          TIMESTAMP,
    UNIQUE (connection_id, provider_account_id, posted_id, pending_id)
);
--bun:split
CREATE INDEX sync_suggestions_user ON sync_suggestions (user_id, status, account_id);
