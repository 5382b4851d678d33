-- Daily balance snapshots of linked accounts, upserted by each sync: the
-- provider's reported balance and the ledger's balance, one row per account,
-- source and day; and each account's drift across successful runs, so a drift
-- that persists over two runs is announced once.
CREATE TABLE sync_balance_snapshots (
    account_id     TEXT NOT NULL,
    source         TEXT NOT NULL,
    as_of          TEXT NOT NULL,
    connection_id  TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    currency       TEXT NOT NULL DEFAULT '',
    balance        TEXT NOT NULL,
    available      TEXT,
    sync_run_id    TEXT NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, source, as_of)
);
--bun:split
CREATE INDEX sync_balance_snapshots_user ON sync_balance_snapshots (user_id, account_id, as_of);
--bun:split
CREATE TABLE sync_account_drift (
    account_id     TEXT PRIMARY KEY,
    connection_id  TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    drift          TEXT NOT NULL,
    streak         INTEGER NOT NULL DEFAULT 0,
    announced      BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at     TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE INDEX sync_account_drift_user ON sync_account_drift (user_id, streak);
