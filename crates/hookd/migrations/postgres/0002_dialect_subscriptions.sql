-- Subscriptions made through a vendor dialect: which dialect config they are (e.g. `ess`,
-- `live-rtc:<SubscribeId>`), and the vendor's own secrets (sealed, like the signing secrets).
ALTER TABLE subscriptions ADD COLUMN source TEXT;
ALTER TABLE subscriptions ADD COLUMN vendor_secrets BYTEA;
CREATE INDEX subscriptions_source ON subscriptions (account_id, app_id, source);
