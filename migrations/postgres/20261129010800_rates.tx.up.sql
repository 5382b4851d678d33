-- The rates module: a person's base currency, and the exchange rates they enter,
-- each for one day (1 currency = rate quote_currency). Both go with the user.
CREATE TABLE currency_preferences (
    user_id        UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    base_currency  TEXT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE TABLE exchange_rates (
    id              UUID PRIMARY KEY,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    currency        TEXT NOT NULL,
    quote_currency  TEXT NOT NULL,
    rate            NUMERIC(38,18) NOT NULL,
    rate_date       TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE UNIQUE INDEX exchange_rates_user_pair_day ON exchange_rates (user_id, currency, quote_currency, rate_date);
