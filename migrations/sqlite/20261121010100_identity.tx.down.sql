DROP TABLE web_sessions;
--bun:split
DROP TABLE api_keys;
--bun:split
DROP TABLE refresh_tokens;
--bun:split
DROP TABLE users;
