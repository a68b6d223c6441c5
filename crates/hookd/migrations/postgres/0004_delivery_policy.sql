-- Per-subscription delivery policy and signing: a retry policy (JSON: a profile name or a list of delays in seconds;
-- NULL means the format's profile) and a request timeout in milliseconds (NULL means the server's).
ALTER TABLE subscriptions ADD COLUMN retry TEXT;
ALTER TABLE subscriptions ADD COLUMN timeout_ms BIGINT;
-- The `whpk_` public key of the subscription's ed25519 (`v1a`) signing key, when it has one; the private
-- key is sealed with the other secrets.
ALTER TABLE subscriptions ADD COLUMN public_key TEXT;
-- Deliveries per second at most; NULL: unlimited.
ALTER TABLE subscriptions ADD COLUMN rate_limit INTEGER;
-- `none` or `fifo` (one delivery at a time, in publish order).
ALTER TABLE subscriptions ADD COLUMN ordering TEXT NOT NULL DEFAULT 'none';
-- Batching (JSON {max_events, max_wait_ms}) for array formats; NULL: one event per request.
ALTER TABLE subscriptions ADD COLUMN batch TEXT;
-- Health: when the current run of failed attempts began (NULL after a success), and how many deliveries
-- went dead since; the automatic lock reads both.
ALTER TABLE subscriptions ADD COLUMN failing_since BIGINT;
ALTER TABLE subscriptions ADD COLUMN dead_count INTEGER NOT NULL DEFAULT 0;
-- Retention: when an event's payload was dropped (its text is then `null`); the event and its deliveries
-- stay, so counts do.
ALTER TABLE events ADD COLUMN payload_expired_at BIGINT;
