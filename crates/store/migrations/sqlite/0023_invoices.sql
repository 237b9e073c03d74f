-- What an owner is asked to pay for a plan and cycle. The row is written before the gateway
-- is called, and its number is the gateway's order id (Midtrans' order_id, Xendit's
-- external_id), so a retried creation can never charge twice; a paid invoice activates or
-- extends the subscription once, in the transaction that marks it paid.
CREATE TABLE invoices (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    number      TEXT   NOT NULL UNIQUE,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan        TEXT   NOT NULL,
    cycle       TEXT   NOT NULL CHECK (cycle IN ('monthly', 'yearly')),
    amount      BIGINT NOT NULL CHECK (amount > 0),
    status      TEXT   NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'paid', 'expired', 'failed', 'refunded')),
    gateway     TEXT   NOT NULL CHECK (gateway IN ('midtrans', 'xendit', 'manual', 'sandbox')),
    external_id TEXT,
    payment_url TEXT,
    error       TEXT   NOT NULL DEFAULT '',
    paid_at     BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX invoices_user ON invoices (user_id, id);
-- Revenue: paid invoices by the time they were paid.
CREATE INDEX invoices_paid ON invoices (status, paid_at);

-- A gateway's keys, set by an admin: sealed, shown only by their end.
CREATE TABLE payment_gateways (
    gateway      TEXT    PRIMARY KEY CHECK (gateway IN ('midtrans', 'xendit')),
    production   BOOLEAN NOT NULL DEFAULT FALSE,
    sealed_key   BLOB   NOT NULL,
    key_hint     TEXT    NOT NULL,
    updated_at   BIGINT  NOT NULL
);
