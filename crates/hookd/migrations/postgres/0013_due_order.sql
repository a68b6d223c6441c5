-- Due deliveries are claimed oldest due first, in (next_attempt_at, id) order: with the id in the index
-- a claim walks it in that order and stops at its limit, instead of reading every due delivery and
-- sorting them (with a large backlog, and PostgreSQL's statistics not yet caught up with a table that
-- grew fast, that read took most of a claim).
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status IN ('pending', 'retrying');
