-- The domain event log (platform/events): each event written in the transaction of
-- the change it reports; AUTOINCREMENT ids never go back, and SQLite's single writer
-- makes them increase in commit order. data is the whole JSON payload.
CREATE TABLE event_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        TEXT NOT NULL,
    type           TEXT NOT NULL,
    connection_id  TEXT,
    account_id     TEXT,
    sync_id        TEXT,
    occurred_at    TIMESTAMP NOT NULL,
    data           TEXT NOT NULL
);

CREATE INDEX event_log_user_id ON event_log (user_id, id);

CREATE INDEX event_log_occurred_at ON event_log (occurred_at);

CREATE INDEX event_log_sync_id ON event_log (sync_id, id) WHERE sync_id IS NOT NULL;
