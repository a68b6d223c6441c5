-- The attempt feed reads the first attempts kept in deliveries' rows per account, newest first (or from a
-- cursor on). With the account leading the index, it reads one page of them in order; the index on the
-- attempt id alone could not serve a feed restricted to one account, so it goes.
DROP INDEX deliveries_first_attempt;
CREATE INDEX deliveries_account_first ON deliveries (account_id, first_attempt_id) WHERE first_attempt_id IS NOT NULL;
