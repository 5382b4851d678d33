-- The sandbox bank's own state (modules/sandbox). It shares the database but no table
-- with Kontor's modules. Money is whole cents (the sandbox only speaks USD), summed
-- exactly by the engine; times are unix seconds; dates are YYYY-MM-DD text.
CREATE TABLE sandbox_personas (
    persona     TEXT PRIMARY KEY,
    today       TEXT NOT NULL,
    next_seq    INTEGER NOT NULL,
    next_txn    INTEGER NOT NULL,
    api_calls   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
--bun:split
CREATE TABLE sandbox_accounts (
    id             TEXT PRIMARY KEY,
    persona        TEXT NOT NULL REFERENCES sandbox_personas (persona) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    name           TEXT NOT NULL,
    type           TEXT NOT NULL,
    currency       TEXT NOT NULL,
    mask           TEXT NOT NULL,
    opening_cents  INTEGER NOT NULL,
    limit_cents    INTEGER
);
--bun:split
CREATE INDEX sandbox_accounts_persona ON sandbox_accounts (persona, position);
--bun:split
-- One row per transaction in its latest state; seq is the change-log position of its
-- last change and added_seq that of its first, so a cursor (a seq) splits a persona's
-- rows into added, modified and removed. No foreign keys: the bank writes its own
-- worlds, and per-row key checks made the 100,000-row bulk world slow to create.
CREATE TABLE sandbox_transactions (
    id                      TEXT PRIMARY KEY,
    persona                 TEXT NOT NULL,
    account_id              TEXT NOT NULL,
    amount_cents            INTEGER NOT NULL,
    date                    TEXT NOT NULL,
    description             TEXT NOT NULL,
    pending                 BOOLEAN NOT NULL,
    pending_transaction_id  TEXT,
    tag                     TEXT NOT NULL DEFAULT '',
    added_seq               INTEGER NOT NULL,
    seq                     INTEGER NOT NULL,
    removed                 BOOLEAN NOT NULL DEFAULT FALSE
);
--bun:split
CREATE UNIQUE INDEX sandbox_transactions_feed ON sandbox_transactions (persona, seq);
--bun:split
CREATE INDEX sandbox_transactions_pending ON sandbox_transactions (persona, pending, removed);
--bun:split
-- A grant is one consent (an "item"): tokens belong to it and die with it.
CREATE TABLE sandbox_grants (
    id          TEXT PRIMARY KEY,
    persona     TEXT NOT NULL REFERENCES sandbox_personas (persona) ON DELETE CASCADE,
    client_id   TEXT NOT NULL,
    scope       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
--bun:split
CREATE INDEX sandbox_grants_persona ON sandbox_grants (persona);
--bun:split
-- Authorization codes, access and refresh tokens, stored as SHA-256 hashes only.
CREATE TABLE sandbox_tokens (
    hash          TEXT PRIMARY KEY,
    grant_id      TEXT NOT NULL REFERENCES sandbox_grants (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    redirect_uri  TEXT NOT NULL DEFAULT '',
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER,
    created_at    INTEGER NOT NULL
);
--bun:split
CREATE INDEX sandbox_tokens_grant ON sandbox_tokens (grant_id);
