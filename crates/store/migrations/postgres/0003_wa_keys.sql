-- whatsapp-rust device state (identity, Signal sessions, pre-keys, app-state keys), one row per
-- value, encrypted by the server before it gets here.
CREATE TABLE wa_keys (
    device_id BIGINT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    namespace TEXT   NOT NULL,
    key       TEXT   NOT NULL,
    value     BYTEA  NOT NULL,
    PRIMARY KEY (device_id, namespace, key)
);
