-- Integrations: channels (Telegram, Discord, Slack, e-mail, a custom webhook) that an owner's
-- events are forwarded to. What is secret (a bot token, a webhook URL with its key, an SMTP
-- password, a signing secret) is sealed by the server before it gets here; `settings` holds the
-- rest as JSON.
CREATE TABLE integrations (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id           BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    kind               TEXT    NOT NULL CHECK (kind IN ('telegram', 'discord', 'slack', 'email', 'webhook')),
    settings           TEXT    NOT NULL,
    sealed_secret      BLOB    NOT NULL,
    secret_hint        TEXT    NOT NULL,
    events             TEXT    NOT NULL,
    all_outlets        BOOLEAN NOT NULL,
    format             TEXT    NOT NULL DEFAULT '',
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    status             TEXT    NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'connected', 'error')),
    last_error         TEXT    NOT NULL DEFAULT '',
    last_delivered_at  BIGINT,
    -- The provider asked to wait (a 429): nothing more is sent to it before then.
    held_until         BIGINT,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL
);
CREATE UNIQUE INDEX integrations_name ON integrations (owner_id, lower(name));
CREATE INDEX integrations_active_owner ON integrations (owner_id) WHERE active;

CREATE TABLE integration_outlets (
    integration_id BIGINT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    outlet_id      BIGINT NOT NULL REFERENCES outlets (id) ON DELETE CASCADE,
    PRIMARY KEY (integration_id, outlet_id)
);

-- One row per event and integration, written in the transaction of the change it reports
-- (as webhook deliveries are), claimed with a lease by the integrations worker.
CREATE TABLE integration_forwards (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    integration_id   BIGINT  NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    owner_id         BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id         TEXT    NOT NULL,
    event            TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivering', 'delivered', 'failed')),
    attempts         BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL,
    lease_until      BIGINT,
    last_error       TEXT    NOT NULL DEFAULT '',
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    delivered_at     BIGINT
);
CREATE UNIQUE INDEX integration_forwards_once ON integration_forwards (integration_id, event_id);
CREATE INDEX integration_forwards_due ON integration_forwards (status, next_attempt_at);

-- The monitoring numbers, kept with every change: integrations per owner and type.
CREATE TABLE integration_counts (
    owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind     TEXT   NOT NULL,
    total    BIGINT NOT NULL DEFAULT 0,
    active   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (owner_id, kind)
);
