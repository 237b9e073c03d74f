CREATE TABLE devices (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    outlet_id         BIGINT  NOT NULL UNIQUE REFERENCES outlets (id) ON DELETE CASCADE,
    engine            TEXT    NOT NULL CHECK (engine IN ('web', 'sim')),
    status            TEXT    NOT NULL DEFAULT 'disconnected'
                      CHECK (status IN ('disconnected', 'connecting', 'qr', 'connected', 'logged_out', 'banned')),
    status_reason     TEXT    NOT NULL DEFAULT '',
    retries           BIGINT  NOT NULL DEFAULT 0,
    paired_account    TEXT,
    unlinked_reason   TEXT    NOT NULL DEFAULT '',
    last_connected_at BIGINT,
    status_changed_at BIGINT  NOT NULL,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
CREATE INDEX devices_status ON devices (status);

CREATE TABLE connection_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id   BIGINT  NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    from_status TEXT    NOT NULL,
    to_status   TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    at          BIGINT  NOT NULL
);
CREATE INDEX connection_events_device ON connection_events (device_id, id);
