CREATE TABLE password_resets (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
--bun:split
CREATE UNIQUE INDEX password_resets_token_hash ON password_resets (token_hash);
--bun:split
CREATE INDEX password_resets_user_id ON password_resets (user_id);
