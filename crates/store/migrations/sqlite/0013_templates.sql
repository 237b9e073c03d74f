-- Message templates, per owner: a body with {{variables}} and {a|b} spintax, checked when saved.
-- Media (an image or document sent with the text) comes later; caption_mode already says how.
CREATE TABLE templates (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    category     TEXT   NOT NULL DEFAULT 'other',
    body         TEXT   NOT NULL,
    caption_mode TEXT   NOT NULL DEFAULT 'caption',
    usage_count  BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (owner_id, name)
);
