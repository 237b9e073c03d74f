-- Plans as data an admin edits: prices in rupiah, messages a month and the limits on what an
-- owner may have (NULL: unlimited), and the footer its messages carry (empty: none). Seeded
-- with the original product's four plans (shared/spec/origins.md); API keys, webhooks and
-- integrations, which it did not limit, get room to grow with the plan.
CREATE TABLE plans (
    code               TEXT    PRIMARY KEY CHECK (code IN ('free', 'pro', 'enterprise', 'unlimited')),
    name               TEXT    NOT NULL,
    price_monthly      BIGINT  NOT NULL CHECK (price_monthly >= 0),
    price_yearly       BIGINT  NOT NULL CHECK (price_yearly >= 0),
    messages_per_month BIGINT,
    max_outlets        BIGINT,
    max_auto_replies   BIGINT,
    max_chatbots       BIGINT,
    max_contacts       BIGINT,
    max_templates      BIGINT,
    max_api_keys       BIGINT,
    max_webhooks       BIGINT,
    max_integrations   BIGINT,
    footer             TEXT    NOT NULL DEFAULT '',
    position           INTEGER NOT NULL,
    updated_at         BIGINT  NOT NULL DEFAULT 0
);
INSERT INTO plans (code, name, price_monthly, price_yearly, messages_per_month, max_outlets, max_auto_replies,
    max_chatbots, max_contacts, max_templates, max_api_keys, max_webhooks, max_integrations, footer, position)
VALUES
    ('free', 'Free', 0, 0, 1500, 1, 5, 2, 100, 5, 2, 2, 2, 'Sent via kewhats', 1),
    ('pro', 'Pro', 20000, 200000, 5000, 3, NULL, NULL, 5000, 20, 10, 10, 10, '', 2),
    ('enterprise', 'Enterprise', 50000, 500000, 15000, 10, NULL, 10, 50000, 100, 50, 50, 50, '', 3),
    ('unlimited', 'Unlimited', 100000, 1000000, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '', 4);

-- A paid plan's period. users.plan stays the plan shown and counted; past period_end without
-- payment the account is on free (the charge reads it so, before the sweep writes it).
CREATE TABLE subscriptions (
    user_id      BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    plan         TEXT   NOT NULL,
    cycle        TEXT   NOT NULL CHECK (cycle IN ('monthly', 'yearly')),
    status       TEXT   NOT NULL CHECK (status IN ('active', 'past_due', 'expired', 'cancelled')),
    period_start BIGINT NOT NULL,
    period_end   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX subscriptions_due ON subscriptions (status, period_end);

-- Messages accepted per owner and quota month (months counted from the subscription's start,
-- or from when the account began on free). A message records the month it was charged to, so
-- a failure before sending gives it back there.
CREATE TABLE message_quota (
    owner_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    period_start BIGINT NOT NULL,
    used         BIGINT NOT NULL DEFAULT 0 CHECK (used >= 0),
    PRIMARY KEY (owner_id, period_start)
);
ALTER TABLE messages ADD COLUMN quota_period BIGINT;
