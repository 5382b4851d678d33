-- The account list's totals (total_count, active_count, total_balance_by_currency)
-- read every matching account of the user on each request. This index holds all the
-- columns that summary reads for the default filters, ordered by currency, so both
-- engines answer it from the index alone, already grouped: no table lookups and no
-- sort (docs/PERFORMANCE.md, "Accounts and transactions").
CREATE INDEX accounts_user_summary ON accounts (user_id, currency, archived_at, status, balance_amount);
