-- API keys: only the SHA-256 of the secret is stored; the prefix identifies a key in lists.
CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id      BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    prefix        TEXT    NOT NULL,
    secret_hash   TEXT    NOT NULL UNIQUE,
    requests_in   BIGINT  NOT NULL DEFAULT 0,
    messages_out  BIGINT  NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_keys_owner ON api_keys (owner_id, id);
