-- Nonces of signed dialect requests, kept until they expire, so a captured request stays refused after a
-- restart.
CREATE TABLE nonces (
    key TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX nonces_expiry ON nonces (expires_at);
