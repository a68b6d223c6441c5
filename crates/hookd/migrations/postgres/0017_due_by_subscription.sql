-- The due deliveries of one subscription in the order they are claimed. While some subscriptions have
-- every attempt slot taken and a backlog at the head of `deliveries_due`, a claim takes the due work of the
-- subscriptions that have room by this index (a few entries each) instead of walking `deliveries_due` past
-- that backlog, reading each entry's row on the way.
CREATE INDEX deliveries_due_by_subscription ON deliveries (subscription_id, next_attempt_at, id)
    WHERE status IN ('pending', 'retrying');
