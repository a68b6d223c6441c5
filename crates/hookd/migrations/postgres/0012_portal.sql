-- The customer portal. A session lets an end customer manage one app's endpoints for a while; only a
-- SHA-256 of its token's secret is stored. Revoked and expired sessions stay until a day after they end,
-- so that a revoked link says so instead of "unknown".
CREATE TABLE portal_sessions (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    app_id      TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    capability  TEXT NOT NULL,
    event_types TEXT,
    description TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX portal_sessions_app ON portal_sessions (account_id, app_id, expires_at);

-- Per account: the origins that may embed the portal (a JSON list, sent as CSP frame-ancestors) and its
-- theme.
CREATE TABLE portal_settings (
    account_id      TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    allowed_origins TEXT NOT NULL,
    product_name    TEXT,
    logo_url        TEXT,
    primary_color   TEXT,
    updated_at      BIGINT NOT NULL
);
