-- A blast's image or document (one per blast), sent with each recipient's text as its caption or
-- as a message of its own just before it (caption_mode). The bytes are copied into message_media
-- for each message handed to the outbox, and dropped there once it is sent (or fails), so only
-- the blast and its in-flight messages hold a copy.
CREATE TABLE blast_media (
    blast_id     BIGINT PRIMARY KEY REFERENCES blasts (id) ON DELETE CASCADE,
    kind         TEXT   NOT NULL CHECK (kind IN ('image', 'document')),
    mime         TEXT   NOT NULL,
    file_name    TEXT   NOT NULL,
    size         BIGINT NOT NULL,
    data         BLOB   NOT NULL,
    caption_mode TEXT   NOT NULL CHECK (caption_mode IN ('caption', 'separate'))
);

-- A recipient from an uploaded file who is no contact: the file's name and custom columns as
-- JSON {"name": ..., "fields": {...}}, which its text is rendered from. NULL for contacts and
-- pasted numbers (rendered from the contact, if any).
ALTER TABLE blast_recipients ADD COLUMN vars TEXT;
-- In separate mode, the media message written just before the recipient's text message: its
-- failure fails the recipient (message_id stays the text's, whose receipts drive the status).
ALTER TABLE blast_recipients ADD COLUMN lead_message_id BIGINT REFERENCES messages (id) ON DELETE SET NULL;
CREATE INDEX blast_recipients_lead ON blast_recipients (lead_message_id) WHERE lead_message_id IS NOT NULL;
