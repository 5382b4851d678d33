-- Failed logins counted per (address, client IP), per client IP and per address,
-- whether or not the address belongs to a user, so that the lockout answers alike
-- for known and unknown addresses and hurts the guesser, not the owner (issue 10,
-- item 4). A key is locked until locked_until once it reached its limit in a window.
CREATE TABLE login_throttles (
    key                TEXT PRIMARY KEY,
    failures           INTEGER NOT NULL,
    window_started_at  TIMESTAMP NOT NULL,
    locked_until       TIMESTAMP
);
