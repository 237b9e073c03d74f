-- Messages in both directions. An outgoing row is the outbox: it is written before anything is
-- sent, claimed by its device's session, and records the result.
CREATE TABLE messages (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id       BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    outlet_id      BIGINT  NOT NULL REFERENCES outlets (id) ON DELETE CASCADE,
    direction      TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    peer           TEXT    NOT NULL,
    kind           TEXT    NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'image', 'document')),
    body           TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL
                   CHECK (status IN ('pending', 'sending', 'sent', 'delivered', 'read', 'failed', 'received')),
    error          TEXT    NOT NULL DEFAULT '',
    wa_message_id  TEXT,
    api_key_id     BIGINT  REFERENCES api_keys (id) ON DELETE SET NULL,
    idempotency_key TEXT,
    attempts       BIGINT  NOT NULL DEFAULT 0,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    sent_at        BIGINT,
    delivered_at   BIGINT,
    read_at        BIGINT,
    expires_at     BIGINT
);
CREATE UNIQUE INDEX messages_inbound_once ON messages (outlet_id, wa_message_id) WHERE direction = 'in';
CREATE UNIQUE INDEX messages_idempotency ON messages (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_outbox ON messages (outlet_id, status, id);
CREATE INDEX messages_owner ON messages (owner_id, id);
CREATE INDEX messages_wa_id ON messages (outlet_id, wa_message_id);
