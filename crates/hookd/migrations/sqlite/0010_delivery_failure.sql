-- The failure kind of a delivery's last attempt (`FailureKind`'s code, as `attempts.failure`), so that a
-- subscription's failing deliveries can be grouped by why they fail; NULL when the last attempt succeeded or
-- none was made. Deliveries stored before it take their last attempt's code.
ALTER TABLE deliveries ADD COLUMN last_failure TEXT;
UPDATE deliveries SET last_failure = (
    SELECT a.failure FROM attempts a WHERE a.delivery_id = deliveries.id ORDER BY a.attempt_no DESC LIMIT 1
) WHERE attempts > 0 AND status <> 'succeeded';
-- A subscription's deliveries that still fail: its failure groups and "retry all failing" read only these.
CREATE INDEX deliveries_failing ON deliveries (subscription_id, status) WHERE status IN ('retrying', 'dead');
