-- An image or document sent with a template's text (as its caption, or just before it, as the
-- template's caption_mode says). One per template; the bytes are copied into message_media for
-- each message sent from it, so a message never depends on the template staying as it was.
CREATE TABLE template_media (
    template_id BIGINT PRIMARY KEY REFERENCES templates (id) ON DELETE CASCADE,
    kind        TEXT   NOT NULL CHECK (kind IN ('image', 'document')),
    mime        TEXT   NOT NULL,
    file_name   TEXT   NOT NULL,
    size        BIGINT NOT NULL,
    data        BLOB   NOT NULL
);
