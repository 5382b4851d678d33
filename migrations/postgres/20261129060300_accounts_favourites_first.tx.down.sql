CREATE INDEX accounts_user_name ON accounts (user_id, name_key, id);
CREATE INDEX accounts_user_balance ON accounts (user_id, balance_key, id);
CREATE INDEX accounts_user_created_at ON accounts (user_id, created_at, id);
DROP INDEX accounts_user_favourite_sort_order;
DROP INDEX accounts_user_favourite_name;
DROP INDEX accounts_user_favourite_balance;
DROP INDEX accounts_user_favourite_created_at;
