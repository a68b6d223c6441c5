-- The claim walks `deliveries_due` oldest first and passes over the deliveries of subscriptions with
-- every slot taken. With the subscription in the index it tells those apart from the index entry alone,
-- instead of reading each one's row: a slow receiver's growing backlog no longer makes every claim
-- read its whole length.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id, subscription_id) WHERE status IN ('pending', 'retrying');
