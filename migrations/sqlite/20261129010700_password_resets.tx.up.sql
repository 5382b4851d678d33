CREATE TABLE password_resets (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
--bun:split
CREATE UNIQUE INDEX password_resets_token_hash ON password_resets (token_hash);
--bun:split
CREATE INDEX password_resets_user_id ON password_resets (user_id);
