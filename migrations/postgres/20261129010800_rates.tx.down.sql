DROP TABLE exchange_rates;
--bun:split
DROP TABLE currency_preferences;
