-- Blasts: a message to many recipients across an owner's outlets, paced per device. Every
-- recipient is a row (planned in one transaction); a handed-off one points at its outbox
-- message, whose status changes are mirrored onto it in the same transaction.

-- Recurring blasts: each run creates its own `blasts` row from `settings` (the request as JSON).
CREATE TABLE blast_schedules (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    recurrence  TEXT    NOT NULL,
    time_min    BIGINT  NOT NULL,
    time_zone   TEXT    NOT NULL,
    ends_at     BIGINT,
    max_runs    BIGINT,
    runs        BIGINT  NOT NULL DEFAULT 0,
    next_run_at BIGINT,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    settings    TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX blast_schedules_due ON blast_schedules (next_run_at) WHERE active;
CREATE INDEX blast_schedules_owner ON blast_schedules (owner_id, id);

CREATE TABLE blasts (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id               BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                   TEXT    NOT NULL,
    status                 TEXT    NOT NULL
                           CHECK (status IN ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled', 'failed')),
    template_id            BIGINT  REFERENCES templates (id) ON DELETE SET NULL,
    body                   TEXT    NOT NULL,
    gap_min_secs           BIGINT  NOT NULL,
    gap_max_secs           BIGINT  NOT NULL,
    daily_cap              BIGINT  NOT NULL,
    window_start_min       BIGINT  NOT NULL,
    window_end_min         BIGINT  NOT NULL,
    time_zone              TEXT    NOT NULL,
    skip_recent_duplicates BOOLEAN NOT NULL DEFAULT FALSE,
    outlet_choice          TEXT    NOT NULL,
    recipient_choice       TEXT    NOT NULL,
    start_at               BIGINT,
    schedule_id            BIGINT  REFERENCES blast_schedules (id) ON DELETE SET NULL,
    total                  BIGINT  NOT NULL DEFAULT 0,
    pending                BIGINT  NOT NULL DEFAULT 0,
    queued                 BIGINT  NOT NULL DEFAULT 0,
    sent                   BIGINT  NOT NULL DEFAULT 0,
    delivered              BIGINT  NOT NULL DEFAULT 0,
    read                   BIGINT  NOT NULL DEFAULT 0,
    failed                 BIGINT  NOT NULL DEFAULT 0,
    skipped                BIGINT  NOT NULL DEFAULT 0,
    pause_reason           TEXT    NOT NULL DEFAULT '',
    created_at             BIGINT  NOT NULL,
    updated_at             BIGINT  NOT NULL,
    started_at             BIGINT,
    finished_at            BIGINT
);
CREATE INDEX blasts_owner ON blasts (owner_id, id);
-- The dispatcher's look-ups: running blasts, scheduled ones that are due.
CREATE INDEX blasts_active ON blasts (status, start_at) WHERE status IN ('scheduled', 'running');
CREATE INDEX blasts_schedule ON blasts (schedule_id) WHERE schedule_id IS NOT NULL;

CREATE TABLE blast_recipients (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    blast_id    BIGINT  NOT NULL REFERENCES blasts (id) ON DELETE CASCADE,
    owner_id    BIGINT  NOT NULL,
    contact_id  BIGINT,
    wa_number   TEXT    NOT NULL,
    outlet_id   BIGINT,
    status      TEXT    NOT NULL
                CHECK (status IN ('pending', 'queued', 'sent', 'delivered', 'read', 'failed', 'skipped')),
    reason      TEXT    NOT NULL DEFAULT '',
    message_id  BIGINT  REFERENCES messages (id) ON DELETE SET NULL,
    updated_at  BIGINT  NOT NULL,
    -- A blast never sends two messages to one number.
    UNIQUE (blast_id, wa_number)
);
-- The next recipient of one outlet's share: only pending rows are indexed.
CREATE INDEX blast_recipients_next ON blast_recipients (blast_id, outlet_id, id) WHERE status = 'pending';
CREATE INDEX blast_recipients_status ON blast_recipients (blast_id, status, id);
CREATE INDEX blast_recipients_message ON blast_recipients (message_id) WHERE message_id IS NOT NULL;

-- One outlet's share of a blast: its pacing, why it is paused, and the counters of its
-- recipients (kept here, not on the blast's row, so that concurrent hand-offs and receipts of
-- different devices do not queue on one row; a blast's counters are its row's plus its shares').
CREATE TABLE blast_outlets (
    blast_id      BIGINT NOT NULL REFERENCES blasts (id) ON DELETE CASCADE,
    outlet_id     BIGINT NOT NULL REFERENCES outlets (id) ON DELETE CASCADE,
    pending       BIGINT NOT NULL DEFAULT 0,
    queued        BIGINT NOT NULL DEFAULT 0,
    sent          BIGINT NOT NULL DEFAULT 0,
    delivered     BIGINT NOT NULL DEFAULT 0,
    read          BIGINT NOT NULL DEFAULT 0,
    failed        BIGINT NOT NULL DEFAULT 0,
    skipped       BIGINT NOT NULL DEFAULT 0,
    next_send_at  BIGINT NOT NULL,
    paused_reason TEXT,
    PRIMARY KEY (blast_id, outlet_id)
);
CREATE INDEX blast_outlets_outlet ON blast_outlets (outlet_id);

-- Messages handed to each device per local day (the owner's time zone), for the daily cap.
CREATE TABLE outlet_daily_sends (
    outlet_id BIGINT NOT NULL REFERENCES outlets (id) ON DELETE CASCADE,
    day       TEXT   NOT NULL,
    count     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (outlet_id, day)
);

-- "The same text to this number in the last 24 hours" without reading the owner's whole history.
CREATE INDEX messages_peer_out ON messages (owner_id, peer, created_at) WHERE direction = 'out';
