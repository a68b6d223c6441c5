-- Short-lived access tokens issued by a dialect's token endpoint (Huawei Meeting App ID auth). Only a
-- SHA-256 of each token is stored; a token dies with its key.
CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL REFERENCES access_keys (id) ON DELETE CASCADE,
    account_id TEXT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);
