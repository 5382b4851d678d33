-- Linked accounts keep the balance their provider last reported beside the ledger's,
-- and the difference (provider balance minus balance; NULL when they agree or for a
-- manual account), so a drift is never hidden and can be listed.
ALTER TABLE accounts ADD COLUMN provider_balance_amount TEXT;
--bun:split
ALTER TABLE accounts ADD COLUMN balance_drift TEXT;
