-- Connections between a user and a provider, their status history, and pending
-- OAuth consents (only the hash of a state value is kept).
CREATE TABLE connections (
    id                     TEXT PRIMARY KEY,
    user_id                TEXT NOT NULL,
    provider               TEXT NOT NULL,
    alias                  TEXT NOT NULL DEFAULT '',
    status                 TEXT NOT NULL,
    reason_code            TEXT,
    reason_message         TEXT,
    reason_action          TEXT,
    auto_sync              BOOLEAN NOT NULL DEFAULT TRUE,
    sync_interval_minutes  INTEGER NOT NULL,
    last_sync_at           TIMESTAMP,
    last_sync_status       TEXT,
    last_attempt_at        TIMESTAMP,
    next_sync_at           TIMESTAMP,
    consecutive_failures   INTEGER NOT NULL DEFAULT 0,
    credentials            BLOB,
    created_at             TIMESTAMP NOT NULL,
    updated_at             TIMESTAMP NOT NULL,
    version                INTEGER NOT NULL
);
--bun:split
CREATE INDEX connections_user_id ON connections (user_id, id);
--bun:split
CREATE INDEX connections_due ON connections (next_sync_at) WHERE status = 'active' AND auto_sync;
--bun:split
CREATE TABLE connection_status_history (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id  TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    reason_code    TEXT,
    message        TEXT NOT NULL,
    action         TEXT,
    changed_at     TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX connection_status_history_connection ON connection_status_history (connection_id, id);
--bun:split
CREATE TABLE connection_oauth_states (
    state_hash     TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    connection_id  TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX connection_oauth_states_expires_at ON connection_oauth_states (expires_at);
