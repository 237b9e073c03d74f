-- Webhook endpoints. The signing secret is encrypted by the server before it gets here.
CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url         TEXT    NOT NULL,
    events      TEXT    NOT NULL,
    secret      BLOB    NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX webhooks_owner ON webhooks (owner_id, id);
