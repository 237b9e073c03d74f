-- Webhook deliveries: the outbox of events for webhooks. A row is written in the same
-- transaction as the change it reports, then claimed (with a lease) and posted by the worker.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id       BIGINT  NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    owner_id         BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id         TEXT    NOT NULL,
    event            TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivering', 'delivered', 'failed')),
    attempts         BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL,
    lease_until      BIGINT,
    last_status_code BIGINT,
    last_error       TEXT    NOT NULL DEFAULT '',
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    delivered_at     BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhooks_active_owner ON webhooks (owner_id) WHERE active;
