-- Events as a product: an app's event-type catalog, its validation mode, payload filters on subscriptions,
-- the schema check's outcome on each event, erasure and per-app retention.

-- One row per event type of an app. `versions` is the JSON list of its schema versions, oldest first:
-- [{"version", "schema", "examples", "created_at"}]; a version never changes once stored.
CREATE TABLE event_types (
    account_id  TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT,
    group_name  TEXT,
    deprecated  BOOLEAN NOT NULL DEFAULT FALSE,
    archived_at BIGINT,
    versions    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, app_id, name),
    FOREIGN KEY (account_id, app_id) REFERENCES apps (account_id, id) ON DELETE CASCADE
);

-- off | warn | enforce (SchemaValidation).
ALTER TABLE apps ADD COLUMN schema_validation TEXT NOT NULL DEFAULT 'off';
-- TRUE: a subscription may only list types of the catalog that are not archived.
ALTER TABLE apps ADD COLUMN catalog_only BOOLEAN NOT NULL DEFAULT FALSE;
-- How long the app's payloads and attempt logs are kept; NULL: the server's retention.
ALTER TABLE apps ADD COLUMN retention_ms BIGINT;

-- A subscription's payload filter (docs/FILTERS.md) as the JSON it was saved with; NULL: none.
ALTER TABLE subscriptions ADD COLUMN payload_filter TEXT;

-- The schema version a payload was checked against, and (warn) the JSON list of its violations.
ALTER TABLE events ADD COLUMN schema_version BIGINT;
ALTER TABLE events ADD COLUMN schema_violations TEXT;
-- When the payload was erased on request (`payload_expired_at` is set too, so nothing sends it).
ALTER TABLE events ADD COLUMN erased_at BIGINT;

-- Event search: by type (and type prefix) and by channel, newest first within an app.
CREATE INDEX events_app_type ON events (account_id, app_id, event_type, id);
CREATE INDEX events_app_channel ON events (account_id, app_id, channel_id, id) WHERE channel_id IS NOT NULL;
