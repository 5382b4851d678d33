-- Accounts and their ledger. Money is NUMERIC(38,18), exact. Each money column that
-- is filtered or sorted on has a *_key twin (byte-ordered, COLLATE "C") with the same
-- fixed-width ordered encoding SQLite uses, so both engines page through it alike.
CREATE TABLE accounts (
    id                        UUID PRIMARY KEY,
    user_id                   UUID NOT NULL,
    connection_id             UUID,
    provider                  TEXT,
    provider_account_id       TEXT,
    external_id               TEXT,
    account_number            TEXT NOT NULL,
    name                      TEXT NOT NULL,
    name_key                  TEXT COLLATE "C" NOT NULL,
    account_type              TEXT NOT NULL,
    subtype                   TEXT,
    currency                  TEXT NOT NULL,
    balance_amount            NUMERIC(38,18) NOT NULL,
    balance_key               TEXT COLLATE "C" NOT NULL,
    available_balance_amount  NUMERIC(38,18),
    overdraft_limit           NUMERIC(38,18) NOT NULL,
    interest_rate             NUMERIC(38,18),
    status                    TEXT NOT NULL,
    is_hidden                 BOOLEAN NOT NULL DEFAULT FALSE,
    is_favourite              BOOLEAN NOT NULL DEFAULT FALSE,
    show_in_dashboard         BOOLEAN NOT NULL DEFAULT TRUE,
    color                     TEXT,
    icon                      TEXT,
    notes                     TEXT,
    sort_order                INTEGER NOT NULL DEFAULT 0,
    custom_fields             JSONB NOT NULL DEFAULT '[]',
    metadata                  JSONB NOT NULL DEFAULT '{}',
    linked_account_id         UUID REFERENCES accounts (id) ON DELETE SET NULL,
    transaction_count         INTEGER NOT NULL DEFAULT 0,
    last_synced_at            TIMESTAMPTZ,
    created_at                TIMESTAMPTZ NOT NULL,
    updated_at                TIMESTAMPTZ NOT NULL,
    closed_at                 TIMESTAMPTZ,
    archived_at               TIMESTAMPTZ,
    version                   INTEGER NOT NULL
);
--bun:split
CREATE UNIQUE INDEX accounts_user_account_number ON accounts (user_id, account_number);
--bun:split
CREATE UNIQUE INDEX accounts_user_external_id ON accounts (user_id, external_id);
--bun:split
CREATE UNIQUE INDEX accounts_connection_provider_account_id ON accounts (connection_id, provider_account_id);
--bun:split
CREATE INDEX accounts_user_sort_order ON accounts (user_id, sort_order, id);
--bun:split
CREATE INDEX accounts_user_name ON accounts (user_id, name_key, id);
--bun:split
CREATE INDEX accounts_user_balance ON accounts (user_id, balance_key, id);
--bun:split
CREATE INDEX accounts_user_created_at ON accounts (user_id, created_at, id);
--bun:split
CREATE TABLE transactions (
    id                        UUID PRIMARY KEY,
    account_id                UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id                   UUID NOT NULL,
    external_id               TEXT,
    provider_transaction_id   TEXT,
    type                      TEXT NOT NULL,
    amount                    NUMERIC(38,18) NOT NULL,
    magnitude_key             TEXT COLLATE "C" NOT NULL,
    currency                  TEXT NOT NULL,
    description               TEXT NOT NULL DEFAULT '',
    counterparty              TEXT,
    status                    TEXT NOT NULL,
    booked_at                 TIMESTAMPTZ NOT NULL,
    transfer_id               UUID,
    created_at                TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE INDEX transactions_account_booked ON transactions (account_id, booked_at, id);
--bun:split
CREATE INDEX transactions_user_booked ON transactions (user_id, booked_at, id);
--bun:split
CREATE UNIQUE INDEX transactions_account_external_id ON transactions (account_id, external_id);
--bun:split
CREATE UNIQUE INDEX transactions_account_provider_transaction_id ON transactions (account_id, provider_transaction_id);
--bun:split
CREATE TABLE transfers (
    id                          UUID PRIMARY KEY,
    user_id                     UUID NOT NULL,
    source_account_id           UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    destination_account_id      UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    source_transaction_id       UUID NOT NULL REFERENCES transactions (id) ON DELETE CASCADE,
    destination_transaction_id  UUID NOT NULL REFERENCES transactions (id) ON DELETE CASCADE,
    amount                      NUMERIC(38,18) NOT NULL,
    currency                    TEXT NOT NULL,
    created_at                  TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE INDEX transfers_user ON transfers (user_id, created_at);
--bun:split
CREATE TABLE account_daily_deltas (
    account_id  UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day         DATE NOT NULL,
    delta       NUMERIC(38,18) NOT NULL,
    tx_count    INTEGER NOT NULL,
    PRIMARY KEY (account_id, day)
);
