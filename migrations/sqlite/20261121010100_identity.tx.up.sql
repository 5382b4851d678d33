CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   TIMESTAMP,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
--bun:split
CREATE UNIQUE INDEX users_email ON users (email);
--bun:split
CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   TEXT NOT NULL,
    token_hash  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    rotated_at  TIMESTAMP,
    revoked_at  TIMESTAMP
);
--bun:split
CREATE UNIQUE INDEX refresh_tokens_token_hash ON refresh_tokens (token_hash);
--bun:split
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
--bun:split
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);
--bun:split
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP,
    last_used_at  TIMESTAMP,
    revoked_at    TIMESTAMP
);
--bun:split
CREATE UNIQUE INDEX api_keys_key_hash ON api_keys (key_hash);
--bun:split
CREATE INDEX api_keys_user_id ON api_keys (user_id, created_at);
--bun:split
CREATE TABLE web_sessions (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);
--bun:split
CREATE UNIQUE INDEX web_sessions_token_hash ON web_sessions (token_hash);
--bun:split
CREATE INDEX web_sessions_user_id ON web_sessions (user_id);
