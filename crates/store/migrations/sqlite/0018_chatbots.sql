-- Chatbot flows, per owner: the steps as JSON (checked when saved by domain::chatbot), what
-- starts them (trigger JSON), and the outlets they answer on (all, or chatbot_outlets).
CREATE TABLE chatbots (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id         BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    active           BOOLEAN NOT NULL DEFAULT FALSE,
    trigger_spec     TEXT    NOT NULL,
    all_outlets      BOOLEAN NOT NULL DEFAULT TRUE,
    steps            TEXT    NOT NULL,
    session_minutes  BIGINT  NOT NULL DEFAULT 30,
    end_keyword      TEXT    NOT NULL DEFAULT '#selesai',
    hand_over_minutes BIGINT NOT NULL DEFAULT 60,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE UNIQUE INDEX chatbots_name ON chatbots (owner_id, lower(name));
CREATE TABLE chatbot_outlets (
    chatbot_id BIGINT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
    outlet_id  BIGINT NOT NULL REFERENCES outlets (id) ON DELETE CASCADE,
    PRIMARY KEY (chatbot_id, outlet_id)
);
CREATE INDEX chatbot_outlets_outlet ON chatbot_outlets (outlet_id);
-- Monitoring counters, one row per owner, changed in the transaction that creates, deletes,
-- activates or deactivates a flow.
CREATE TABLE chatbot_counts (
    owner_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    total    BIGINT NOT NULL DEFAULT 0,
    active   BIGINT NOT NULL DEFAULT 0
);
-- One conversation per (outlet, contact number): the flow, the ask it waits on, the
-- variables, and when it expires or the bot may speak again after a hand-over. resume_at: a
-- delay step's due time.
CREATE TABLE chatbot_sessions (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id           BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    outlet_id          BIGINT NOT NULL REFERENCES outlets (id) ON DELETE CASCADE,
    peer               TEXT   NOT NULL,
    chatbot_id         BIGINT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
    step               TEXT,
    variables          TEXT   NOT NULL DEFAULT '{}',
    status             TEXT   NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'handed_over', 'closed')),
    retries            BIGINT NOT NULL DEFAULT 0,
    started_at         BIGINT NOT NULL,
    last_activity_at   BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    handed_over_until  BIGINT,
    resume_at          BIGINT,
    UNIQUE (outlet_id, peer)
);
-- "Active sessions" for monitoring: a range count on this index (see store::chatbots).
CREATE INDEX chatbot_sessions_activity ON chatbot_sessions (last_activity_at);
CREATE INDEX chatbot_sessions_owner ON chatbot_sessions (owner_id, status, last_activity_at);
CREATE INDEX chatbot_sessions_due ON chatbot_sessions (resume_at) WHERE resume_at IS NOT NULL;
