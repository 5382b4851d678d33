DROP TABLE sandbox_tokens;
--bun:split
DROP TABLE sandbox_grants;
--bun:split
DROP TABLE sandbox_transactions;
--bun:split
DROP TABLE sandbox_accounts;
--bun:split
DROP TABLE sandbox_personas;
