//! Plans, subscriptions and what they allow. Limits are checked inside the transaction that
//! creates the resource, with the owner's row locked on PostgreSQL (SQLite has one writer), so
//! concurrent creations cannot pass a limit together; the monthly message quota is taken in
//! the transaction that writes the message, by a conditional update of one counter row.

use crate::{on_db, Result, Store, StoreError};
use domain::{
    effective_plan, quota_month_start, BillingCycle, Limit, Plan, PlanLimits, Rupiah, SubscriptionStatus, Timestamp,
    UserId,
};
use serde::Serialize;

/// A plan as the admin set it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlanDetails {
    #[serde(rename = "code")]
    pub plan: Plan,
    pub name: String,
    pub price_monthly: Rupiah,
    pub price_yearly: Rupiah,
    pub limits: PlanLimits,
    /// Added below every message of the plan's owners (empty: none).
    pub footer: String,
    pub updated_at: Timestamp,
}

/// What an admin changes of a plan, checked by the caller.
pub struct PlanFields<'a> {
    pub name: &'a str,
    pub price_monthly: Rupiah,
    pub price_yearly: Rupiah,
    pub limits: PlanLimits,
    pub footer: &'a str,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Subscription {
    pub plan: Plan,
    pub cycle: BillingCycle,
    pub status: SubscriptionStatus,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
}

/// What the owner's plan allows at a moment, read inside a transaction.
#[derive(Debug, Clone)]
pub(crate) struct Terms {
    pub plan: Plan,
    pub limits: PlanLimits,
    pub footer: String,
    /// The start of the current quota month.
    pub quota_start: Timestamp,
}

#[derive(sqlx::FromRow)]
pub(crate) struct TermsRow {
    pub plan: String,
    pub created_at: i64,
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
    #[sqlx(flatten)]
    pub limits: LimitsRow,
}

#[derive(sqlx::FromRow)]
pub(crate) struct LimitsRow {
    messages_per_month: Option<i64>,
    max_outlets: Option<i64>,
    max_auto_replies: Option<i64>,
    max_chatbots: Option<i64>,
    max_contacts: Option<i64>,
    max_templates: Option<i64>,
    max_api_keys: Option<i64>,
    max_webhooks: Option<i64>,
    max_integrations: Option<i64>,
    footer: String,
}

impl LimitsRow {
    fn limits(&self) -> PlanLimits {
        PlanLimits {
            messages_per_month: self.messages_per_month,
            outlets: self.max_outlets,
            auto_replies: self.max_auto_replies,
            chatbots: self.max_chatbots,
            contacts: self.max_contacts,
            templates: self.max_templates,
            api_keys: self.max_api_keys,
            webhooks: self.max_webhooks,
            integrations: self.max_integrations,
        }
    }
}

const LIMIT_COLUMNS: &str = "messages_per_month, max_outlets, max_auto_replies, max_chatbots, max_contacts,
    max_templates, max_api_keys, max_webhooks, max_integrations, footer";

/// The owner's plan in force and its limits: a paid period that ended unpaid reads as free.
/// `$1` owner, `$2` now.
pub(crate) fn terms_sql(lock: bool) -> String {
    // NO KEY: rows that point at the user (messages, quota) can still be written meanwhile.
    let lock = if lock { " FOR NO KEY UPDATE OF u" } else { "" };
    format!(
        "SELECT u.plan, u.created_at, s.period_start, s.period_end, p.messages_per_month, p.max_outlets,
             p.max_auto_replies, p.max_chatbots, p.max_contacts, p.max_templates, p.max_api_keys, p.max_webhooks,
             p.max_integrations, p.footer
         FROM users u LEFT JOIN subscriptions s ON s.user_id = u.id
         JOIN plans p ON p.code = CASE WHEN s.period_end IS NOT NULL AND s.period_end <= $2 THEN 'free' ELSE u.plan END
         WHERE u.id = $1{lock}"
    )
}

impl TermsRow {
    pub(crate) fn terms(&self, now: Timestamp) -> Result<Terms> {
        let plan: Plan = self.plan.parse().map_err(|e: domain::UnknownValue| StoreError::Corrupt(e.to_string()))?;
        let end = self.period_end.map(Timestamp);
        let plan = effective_plan(plan, end, now);
        // Months count from the paid period's start; after it ended, from its end (when the
        // account fell back to free); without one, from when the account began.
        let anchor = match (self.period_start, end) {
            (Some(start), Some(end)) if end > now => Timestamp(start),
            (_, Some(end)) => end,
            _ => Timestamp(self.created_at),
        };
        Ok(Terms {
            plan,
            limits: self.limits.limits(),
            footer: self.limits.footer.clone(),
            quota_start: quota_month_start(anchor, now),
        })
    }
}

/// Inside a transaction: the owner's [`Terms`] (`lock`: the owner's row locked, on PostgreSQL
/// only, so one owner's creations run one after the other).
macro_rules! terms {
    ($tx:expr, $owner:expr, $now:expr, lock: $lock:expr) => {{
        let row: Option<$crate::billing::TermsRow> = sqlx::query_as(&$crate::billing::terms_sql($lock))
            .bind($owner.0)
            .bind($now.millis())
            .fetch_optional(&mut *$tx)
            .await?;
        row.ok_or($crate::StoreError::NotFound)?.terms($now)?
    }};
}
pub(crate) use terms;

/// How many of a resource the owner has (`$1`), from its table or its counter.
pub(crate) fn count_sql(limit: Limit) -> &'static str {
    match limit {
        Limit::Outlets => "SELECT COUNT(*) FROM outlets WHERE owner_id = $1",
        Limit::AutoReplies => "SELECT COUNT(*) FROM auto_replies WHERE owner_id = $1",
        Limit::Chatbots => "SELECT COUNT(*) FROM chatbots WHERE owner_id = $1",
        Limit::Contacts => "SELECT COALESCE((SELECT total FROM contact_counts WHERE owner_id = $1), 0)",
        Limit::Templates => "SELECT COUNT(*) FROM templates WHERE owner_id = $1",
        Limit::ApiKeys => "SELECT COUNT(*) FROM api_keys WHERE owner_id = $1 AND revoked_at IS NULL",
        Limit::Webhooks => "SELECT COUNT(*) FROM webhooks WHERE owner_id = $1",
        Limit::Integrations => {
            "SELECT COALESCE(CAST((SELECT SUM(total) FROM integration_counts WHERE owner_id = $1) AS BIGINT), 0)"
        }
        Limit::Messages => {
            "SELECT COALESCE((SELECT used FROM message_quota WHERE owner_id = $1 ORDER BY period_start DESC LIMIT 1), 0)"
        }
    }
}

/// Inside the transaction that creates `$adding` of a resource: refuses with
/// [`Refusal::PlanLimit`] when the owner's plan has no room for them. Locks the owner first.
macro_rules! within_limit {
    ($store:expr, $tx:expr, $owner:expr, $limit:expr, $adding:expr, $now:expr) => {{
        let lock = $store.backend() == $crate::Backend::Postgres;
        let terms = $crate::billing::terms!($tx, $owner, $now, lock: lock);
        if let Some(max) = terms.limits.of($limit) {
            let have: i64 =
                sqlx::query_scalar($crate::billing::count_sql($limit)).bind($owner.0).fetch_one(&mut *$tx).await?;
            if have + $adding > max {
                return Err($crate::StoreError::Refused($crate::Refusal::PlanLimit {
                    limit: $limit,
                    plan: terms.plan,
                    max,
                }));
            }
        }
    }};
}
pub(crate) use within_limit;

/// Inside the transaction that accepts `$count` messages of the owner, under `$terms`: takes
/// them from the month's quota by one conditional update (concurrent writers queue on the row,
/// and none passes the limit). Evaluates to `Ok(())`, or the [`crate::Refusal::PlanLimit`].
macro_rules! take_quota {
    ($tx:expr, $owner:expr, $terms:expr, $count:expr) => {{
        let terms: &$crate::billing::Terms = $terms;
        sqlx::query(
            "INSERT INTO message_quota (owner_id, period_start, used) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING",
        )
        .bind($owner.0)
        .bind(terms.quota_start.millis())
        .execute(&mut *$tx)
        .await?;
        let taken = sqlx::query(
            "UPDATE message_quota SET used = used + $3
             WHERE owner_id = $1 AND period_start = $2 AND ($4 IS NULL OR used + $3 <= $4)",
        )
        .bind($owner.0)
        .bind(terms.quota_start.millis())
        .bind($count)
        .bind(terms.limits.messages_per_month)
        .execute(&mut *$tx)
        .await?
        .rows_affected();
        if taken == 0 {
            Err($crate::Refusal::PlanLimit {
                limit: domain::Limit::Messages,
                plan: terms.plan,
                max: terms.limits.messages_per_month.unwrap_or(0),
            })
        } else {
            Ok(())
        }
    }};
}
pub(crate) use take_quota;

/// [`terms!`] then [`take_quota!`], refusing with `StoreError::Refused`: evaluates to the
/// [`Terms`] (the footer to add, the quota month to record on the messages).
macro_rules! charge_messages {
    ($tx:expr, $owner:expr, $count:expr, $now:expr) => {{
        let terms = $crate::billing::terms!($tx, $owner, $now, lock: false);
        $crate::billing::take_quota!($tx, $owner, &terms, $count).map_err($crate::StoreError::Refused)?;
        terms
    }};
}
pub(crate) use charge_messages;

/// Inside a transaction: gives `$count` messages back to the owner's quota month `$period`.
macro_rules! give_back {
    ($tx:expr, $owner:expr, $period:expr, $count:expr) => {{
        sqlx::query(
            "UPDATE message_quota SET used = CASE WHEN used >= $3 THEN used - $3 ELSE 0 END
             WHERE owner_id = $1 AND period_start = $2",
        )
        .bind($owner.0)
        .bind($period.millis())
        .bind($count)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use give_back;

/// Inside the transaction that deletes outlet `$outlet` (its messages go with it): gives back
/// the quota of those never sent.
macro_rules! refund_outlet {
    ($tx:expr, $outlet:expr) => {{
        let unsent: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT owner_id, quota_period, COUNT(*) FROM messages
             WHERE outlet_id = $1 AND direction = 'out' AND status IN ('pending', 'sending')
               AND sent_at IS NULL AND quota_period IS NOT NULL
             GROUP BY owner_id, quota_period",
        )
        .bind($outlet)
        .fetch_all(&mut *$tx)
        .await?;
        for (owner, period, count) in unsent {
            $crate::billing::give_back!($tx, domain::UserId(owner), domain::Timestamp(period), count);
        }
    }};
}
pub(crate) use refund_outlet;

/// Inside the transaction that fails message `$id` before it was sent: gives its quota back to
/// the month it was taken from.
macro_rules! refund_message {
    ($tx:expr, $id:expr) => {{
        sqlx::query(
            "UPDATE message_quota SET used = used - 1
             WHERE used > 0 AND (owner_id, period_start) IN (
                 SELECT owner_id, quota_period FROM messages WHERE id = $1 AND sent_at IS NULL AND quota_period IS NOT NULL)",
        )
        .bind($id)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use refund_message;

/// The longest caption and text WhatsApp takes (as the messages service checks them).
pub(crate) const CAPTION_MAX_CHARS: usize = 1024;
pub(crate) const TEXT_MAX_CHARS: usize = 4096;

/// `body` with the plan's footer, if it has one and there is room for it under `max`
/// characters (a text already at the limit goes without); a file sent apart has no text to
/// add it to.
pub(crate) fn with_footer(body: &str, footer: &str, max: usize) -> String {
    let footer = footer.trim();
    if footer.is_empty() || body.is_empty() || body.chars().count() + 2 + footer.chars().count() > max {
        body.to_string()
    } else {
        format!("{body}\n\n{footer}")
    }
}

/// The limit of a message's text: a caption when it carries a file.
pub(crate) fn text_max(has_media: bool) -> usize {
    if has_media {
        CAPTION_MAX_CHARS
    } else {
        TEXT_MAX_CHARS
    }
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    code: String,
    name: String,
    price_monthly: i64,
    price_yearly: i64,
    updated_at: i64,
    #[sqlx(flatten)]
    limits: LimitsRow,
}

impl TryFrom<PlanRow> for PlanDetails {
    type Error = StoreError;
    fn try_from(r: PlanRow) -> Result<PlanDetails> {
        Ok(PlanDetails {
            plan: r.code.parse().map_err(|e: domain::UnknownValue| StoreError::Corrupt(e.to_string()))?,
            name: r.name,
            price_monthly: Rupiah(r.price_monthly),
            price_yearly: Rupiah(r.price_yearly),
            limits: r.limits.limits(),
            footer: r.limits.footer.clone(),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct SubscriptionRow {
    plan: String,
    cycle: String,
    status: String,
    period_start: i64,
    period_end: i64,
}

impl TryFrom<SubscriptionRow> for Subscription {
    type Error = StoreError;
    fn try_from(r: SubscriptionRow) -> Result<Subscription> {
        let corrupt = |e: domain::UnknownValue| StoreError::Corrupt(e.to_string());
        Ok(Subscription {
            plan: r.plan.parse().map_err(corrupt)?,
            cycle: r.cycle.parse().map_err(corrupt)?,
            status: r.status.parse().map_err(corrupt)?,
            period_start: Timestamp(r.period_start),
            period_end: Timestamp(r.period_end),
        })
    }
}

/// An owner's plan now, its limits, and what is used of them.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Allowance {
    pub plan: Plan,
    pub subscription: Option<Subscription>,
    pub limits: PlanLimits,
    pub footer: String,
    /// The current quota month.
    pub quota_start: Timestamp,
    pub quota_end: Timestamp,
    pub usage: Usage,
}

/// How many the owner has of each limited resource, and messages this quota month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct Usage {
    pub messages: i64,
    pub outlets: i64,
    pub auto_replies: i64,
    pub chatbots: i64,
    pub contacts: i64,
    pub templates: i64,
    pub api_keys: i64,
    pub webhooks: i64,
    pub integrations: i64,
}

impl Store {
    /// Every plan, cheapest first.
    pub async fn plans(&self) -> Result<Vec<PlanDetails>> {
        let sql = format!(
            "SELECT code, name, price_monthly, price_yearly, updated_at, {LIMIT_COLUMNS} FROM plans ORDER BY position"
        );
        let rows: Vec<PlanRow> = on_db!(self, read, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
        rows.into_iter().map(PlanDetails::try_from).collect()
    }

    pub async fn plan_details(&self, plan: Plan) -> Result<PlanDetails> {
        let sql = format!(
            "SELECT code, name, price_monthly, price_yearly, updated_at, {LIMIT_COLUMNS} FROM plans WHERE code = $1"
        );
        let row: Option<PlanRow> =
            on_db!(self, read, pool => sqlx::query_as(&sql).bind(plan.as_str()).fetch_optional(pool).await)?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// An admin's change of a plan. Owners over a lowered limit keep what they have.
    pub async fn update_plan(&self, plan: Plan, f: &PlanFields<'_>, now: Timestamp) -> Result<PlanDetails> {
        let l = &f.limits;
        on_db!(self, write, pool => sqlx::query(
            "UPDATE plans SET name = $2, price_monthly = $3, price_yearly = $4, messages_per_month = $5,
                 max_outlets = $6, max_auto_replies = $7, max_chatbots = $8, max_contacts = $9, max_templates = $10,
                 max_api_keys = $11, max_webhooks = $12, max_integrations = $13, footer = $14, updated_at = $15
             WHERE code = $1")
            .bind(plan.as_str())
            .bind(f.name)
            .bind(f.price_monthly.0)
            .bind(f.price_yearly.0)
            .bind(l.messages_per_month)
            .bind(l.outlets)
            .bind(l.auto_replies)
            .bind(l.chatbots)
            .bind(l.contacts)
            .bind(l.templates)
            .bind(l.api_keys)
            .bind(l.webhooks)
            .bind(l.integrations)
            .bind(f.footer)
            .bind(now.millis())
            .execute(pool)
            .await
            .map(|_| ()))?;
        self.plan_details(plan).await
    }

    pub async fn subscription(&self, user: UserId) -> Result<Option<Subscription>> {
        let row: Option<SubscriptionRow> = on_db!(self, read, pool => sqlx::query_as(
            "SELECT plan, cycle, status, period_start, period_end FROM subscriptions WHERE user_id = $1")
            .bind(user.0)
            .fetch_optional(pool)
            .await)?;
        row.map(Subscription::try_from).transpose()
    }

    /// Puts the user on `plan` for the period (a paid invoice), the user's plan with it.
    pub async fn set_subscription(&self, user: UserId, s: &Subscription, now: Timestamp) -> Result<()> {
        on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO subscriptions (user_id, plan, cycle, status, period_start, period_end, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (user_id) DO UPDATE SET plan = excluded.plan, cycle = excluded.cycle,
                     status = excluded.status, period_start = excluded.period_start,
                     period_end = excluded.period_end, updated_at = excluded.updated_at")
                .bind(user.0)
                .bind(s.plan.as_str())
                .bind(s.cycle.as_str())
                .bind(s.status.as_str())
                .bind(s.period_start.millis())
                .bind(s.period_end.millis())
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE users SET plan = $2, updated_at = $3 WHERE id = $1")
                .bind(user.0)
                .bind(s.plan.as_str())
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Subscriptions whose period ended unpaid: `expired`, and their users back on free.
    /// Returns how many. (Charges and limits read an ended period as free already.)
    pub async fn expire_subscriptions(&self, now: Timestamp) -> Result<u64> {
        Ok(on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            // Subscriptions first, then their users: the order a renewal writes them in.
            let users: Vec<i64> = sqlx::query_scalar(
                "UPDATE subscriptions SET status = 'expired', updated_at = $1
                 WHERE status IN ('active', 'past_due') AND period_end <= $1 RETURNING user_id")
                .bind(now.millis())
                .fetch_all(&mut *tx)
                .await?;
            for user in &users {
                sqlx::query("UPDATE users SET plan = 'free', updated_at = $2 WHERE id = $1")
                    .bind(user)
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            users.len() as u64
        }))
    }

    /// The owner's plan now, with what is used of each limit.
    pub async fn allowance(&self, owner: UserId, now: Timestamp) -> Result<Allowance> {
        let (terms, usage) = on_db!(self, read, pool => {
            let mut tx = pool.begin().await?;
            let terms = terms!(tx, owner, now, lock: false);
            let mut usage = Usage::default();
            for (limit, slot) in [
                (Limit::Outlets, &mut usage.outlets),
                (Limit::AutoReplies, &mut usage.auto_replies),
                (Limit::Chatbots, &mut usage.chatbots),
                (Limit::Contacts, &mut usage.contacts),
                (Limit::Templates, &mut usage.templates),
                (Limit::ApiKeys, &mut usage.api_keys),
                (Limit::Webhooks, &mut usage.webhooks),
                (Limit::Integrations, &mut usage.integrations),
            ] {
                *slot = sqlx::query_scalar(count_sql(limit)).bind(owner.0).fetch_one(&mut *tx).await?;
            }
            usage.messages = sqlx::query_scalar::<_, i64>(
                "SELECT COALESCE((SELECT used FROM message_quota WHERE owner_id = $1 AND period_start = $2), 0)")
                .bind(owner.0)
                .bind(terms.quota_start.millis())
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            (terms, usage)
        });
        Ok(Allowance {
            plan: terms.plan,
            subscription: self.subscription(owner).await?,
            limits: terms.limits,
            footer: terms.footer,
            quota_start: terms.quota_start,
            quota_end: domain::add_months(terms.quota_start, 1),
            usage,
        })
    }
}
