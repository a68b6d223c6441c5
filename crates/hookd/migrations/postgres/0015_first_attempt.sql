-- A delivery whose first attempt succeeds, the usual case, keeps that attempt in its own row instead of a
-- row of `attempts`: finishing it is then one update of the delivery rather than an inserted attempt (with
-- its three index entries) and the update. Every later attempt, and a first one that failed, is a row of
-- `attempts` as before; the readers of attempts read both. NULL when the first attempt is in `attempts`
-- or none succeeded.
ALTER TABLE deliveries ADD COLUMN first_attempt_id TEXT;
ALTER TABLE deliveries ADD COLUMN first_started_at BIGINT;
ALTER TABLE deliveries ADD COLUMN first_duration_ms BIGINT;
ALTER TABLE deliveries ADD COLUMN first_status_code BIGINT;
ALTER TABLE deliveries ADD COLUMN first_response_excerpt TEXT;
-- The attempt feed, newest first, and counts over time, as `attempts`' primary key and `attempts_started`.
CREATE INDEX deliveries_first_attempt ON deliveries (first_attempt_id) WHERE first_attempt_id IS NOT NULL;
CREATE INDEX deliveries_first_started ON deliveries (first_started_at) WHERE first_attempt_id IS NOT NULL;
