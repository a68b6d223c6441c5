-- State the nodes share for the guards each used to keep in memory.
-- Nonces of signed dialect requests, kept until they expire, so a captured request is refused by every node.
CREATE TABLE nonces (
    key TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX nonces_expiry ON nonces (expires_at);
-- Request rates: the call times (Unix ms, database clock) of the last second per account and action.
CREATE TABLE call_windows (
    key TEXT PRIMARY KEY,
    calls BIGINT[] NOT NULL
);
-- Delivery pacing: when each rate-limited subscription's next slot opens (Unix ms, database clock).
CREATE TABLE pace_slots (
    key TEXT PRIMARY KEY,
    next_at DOUBLE PRECISION NOT NULL
);
