-- The account list serves every favourite first, then the other accounts, each part
-- in the chosen sort's order: a keyset walk per part over (user_id, is_favourite,
-- sort column, id), so neither engine sorts. These replace the list's indexes
-- without is_favourite; (user_id, sort_order, id) stays for the dashboard, which
-- reads every account in sort order.
CREATE INDEX accounts_user_favourite_sort_order ON accounts (user_id, is_favourite, sort_order, id);
CREATE INDEX accounts_user_favourite_name ON accounts (user_id, is_favourite, name_key, id);
CREATE INDEX accounts_user_favourite_balance ON accounts (user_id, is_favourite, balance_key, id);
CREATE INDEX accounts_user_favourite_created_at ON accounts (user_id, is_favourite, created_at, id);
DROP INDEX accounts_user_name;
DROP INDEX accounts_user_balance;
DROP INDEX accounts_user_created_at;
