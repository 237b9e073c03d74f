-- Auto-reply rules, per owner: triggers (a JSON array of words or phrases) matched against
-- inbound texts, and the reply (a text with {{variables}}, or a template with its media).
-- all_outlets = FALSE answers only on the outlets in auto_reply_outlets (none left: nowhere).
CREATE TABLE auto_replies (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id          BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name              TEXT    NOT NULL,
    triggers          TEXT    NOT NULL DEFAULT '[]',
    match_type        TEXT    NOT NULL DEFAULT 'contains'
                      CHECK (match_type IN ('exact', 'contains', 'starts_with', 'ends_with', 'regex')),
    case_sensitive    BOOLEAN NOT NULL DEFAULT FALSE,
    priority          BIGINT  NOT NULL DEFAULT 100,
    reply             TEXT,
    template_id       BIGINT  REFERENCES templates (id) ON DELETE SET NULL,
    all_outlets       BOOLEAN NOT NULL DEFAULT TRUE,
    -- Business hours: a JSON array of ISO weekdays and local minutes; NULL days = always.
    hours_days        TEXT,
    hours_start_min   BIGINT,
    hours_end_min     BIGINT,
    -- Sent outside the business hours; NULL = nothing.
    outside_reply     TEXT,
    cooldown_secs     BIGINT  NOT NULL DEFAULT 0,
    is_welcome        BOOLEAN NOT NULL DEFAULT FALSE,
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    trigger_count     BIGINT  NOT NULL DEFAULT 0,
    last_triggered_at BIGINT,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
-- Names are one per owner whatever their case ("Harga" and "harga" are one rule to a reader).
CREATE UNIQUE INDEX auto_replies_name ON auto_replies (owner_id, lower(name));
CREATE INDEX auto_replies_owner ON auto_replies (owner_id, priority, id);
CREATE TABLE auto_reply_outlets (
    auto_reply_id BIGINT NOT NULL REFERENCES auto_replies (id) ON DELETE CASCADE,
    outlet_id     BIGINT NOT NULL REFERENCES outlets (id) ON DELETE CASCADE,
    PRIMARY KEY (auto_reply_id, outlet_id)
);
CREATE INDEX auto_reply_outlets_outlet ON auto_reply_outlets (outlet_id);
-- Every automatic reply, written with its outbox row: an inbound message is answered once
-- (unique), and the recent rows per number give the cooldown and the per-minute cap.
CREATE TABLE auto_reply_log (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id           BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    outlet_id          BIGINT NOT NULL REFERENCES outlets (id) ON DELETE CASCADE,
    peer               TEXT   NOT NULL,
    inbound_message_id BIGINT NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
    auto_reply_id      BIGINT REFERENCES auto_replies (id) ON DELETE SET NULL,
    message_id         BIGINT REFERENCES messages (id) ON DELETE SET NULL,
    created_at         BIGINT NOT NULL
);
CREATE INDEX auto_reply_log_peer ON auto_reply_log (owner_id, peer, created_at);
-- "The first message ever from this number": an earlier inbound one, found by index.
CREATE INDEX messages_peer_in ON messages (owner_id, peer, id) WHERE direction = 'in';
-- Who wrote an outgoing message: NULL a person, the API or a blast; 'auto_reply' a rule.
ALTER TABLE messages ADD COLUMN origin TEXT;
