-- The console's activity reads: an account's attempts by id (the attempt feed), attempts by start time and
-- events by creation time (the per-minute and per-hour charts).
CREATE INDEX deliveries_account ON deliveries (account_id, app_id, id);
CREATE INDEX attempts_started ON attempts (started_at);
CREATE INDEX events_created ON events (created_at);
