-- The image or document an event carries (a customer's photo, a failed send's file), kept for
-- the integrations that forward it: one copy per event, written in the event's transaction only
-- when a forward was written, and dropped once no forward of the event is waiting.
CREATE TABLE forward_media (
    event_id    TEXT   PRIMARY KEY,
    data        BYTEA   NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX integration_forwards_event ON integration_forwards (event_id);

-- What the provider calls the message it made (Telegram's message_id), so that a reply to it
-- in the channel finds the conversation it came from.
ALTER TABLE integration_forwards ADD COLUMN reference TEXT;
CREATE INDEX integration_forwards_reference ON integration_forwards (integration_id, reference);

-- Replies from the channel (Telegram's webhook): the SHA-256 of the secret token Telegram sends
-- back with each update; NULL while replies are off.
ALTER TABLE integrations ADD COLUMN reply_token_hash TEXT;
