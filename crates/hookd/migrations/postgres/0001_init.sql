-- hookd schema, PostgreSQL flavour. Times are milliseconds since the Unix epoch.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    parent_id  TEXT REFERENCES accounts (id),
    products   TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX accounts_parent ON accounts (parent_id);

CREATE TABLE access_keys (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    sealed_secret BYTEA NOT NULL,
    policy        TEXT NOT NULL,
    user_id       TEXT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX access_keys_account ON access_keys (account_id, id);

CREATE TABLE apps (
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    id                TEXT NOT NULL,
    kind              TEXT NOT NULL,
    name              TEXT,
    max_subscriptions BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (account_id, id)
);

CREATE TABLE subscriptions (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    url         TEXT NOT NULL,
    status      TEXT NOT NULL,
    event_types TEXT NOT NULL,
    channel_id  TEXT,
    users       TEXT NOT NULL,
    format      TEXT NOT NULL,
    secrets     BYTEA NOT NULL,
    headers     TEXT NOT NULL,
    description TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    FOREIGN KEY (account_id, app_id) REFERENCES apps (account_id, id) ON DELETE CASCADE
);
CREATE INDEX subscriptions_app ON subscriptions (account_id, app_id, id);

CREATE TABLE events (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    app_id          TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    channel_id      TEXT,
    user_id         TEXT,
    idempotency_key TEXT,
    request_hash    TEXT,
    created_at      BIGINT NOT NULL,
    FOREIGN KEY (account_id, app_id) REFERENCES apps (account_id, id) ON DELETE CASCADE
);
CREATE INDEX events_app ON events (account_id, app_id, id);
CREATE UNIQUE INDEX events_idempotency ON events (account_id, app_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    subscription_id  TEXT NOT NULL,
    account_id       TEXT NOT NULL,
    app_id           TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    lease_owner      TEXT,
    lease_until      BIGINT,
    last_status_code BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_leased ON deliveries (lease_until) WHERE status = 'delivering';
CREATE INDEX deliveries_event ON deliveries (event_id, id);
CREATE INDEX deliveries_subscription ON deliveries (subscription_id, id);

CREATE TABLE attempts (
    id               TEXT PRIMARY KEY,
    delivery_id      TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt_no       BIGINT NOT NULL,
    started_at       BIGINT NOT NULL,
    duration_ms      BIGINT NOT NULL,
    status_code      BIGINT,
    error            TEXT,
    response_excerpt TEXT
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, attempt_no);
