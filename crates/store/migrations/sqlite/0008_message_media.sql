-- Images and documents to send. What they are is on the message; the bytes wait in their own
-- table (so lists never read them) until the message is sent or fails, then are dropped.
ALTER TABLE messages ADD COLUMN media_mime TEXT;
ALTER TABLE messages ADD COLUMN media_name TEXT;
ALTER TABLE messages ADD COLUMN media_size BIGINT;
CREATE TABLE message_media (
    message_id  BIGINT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    data        BLOB   NOT NULL
);
