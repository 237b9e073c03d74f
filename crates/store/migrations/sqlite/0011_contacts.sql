-- Contacts, per owner: one per WhatsApp number. Custom fields are a JSON object of text.
CREATE TABLE contacts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id         BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL DEFAULT '',
    wa_number        TEXT    NOT NULL,
    email            TEXT,
    notes            TEXT    NOT NULL DEFAULT '',
    home_outlet_id   BIGINT  REFERENCES outlets (id) ON DELETE SET NULL,
    fields           TEXT    NOT NULL DEFAULT '{}',
    opted_out_at     BIGINT,
    opted_out_reason TEXT    NOT NULL DEFAULT '',
    blocked          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    UNIQUE (owner_id, wa_number)
);
CREATE INDEX contacts_owner ON contacts (owner_id, id);
-- The numbers dashboards read, kept in the same transaction as each change (never COUNT(*)).
CREATE TABLE contact_counts (
    owner_id   BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    total      BIGINT NOT NULL DEFAULT 0,
    with_email BIGINT NOT NULL DEFAULT 0
);
