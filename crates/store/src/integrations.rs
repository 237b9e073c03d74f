//! Integrations, per owner: a channel (Telegram, Discord, Slack, e-mail, a custom webhook), the
//! outlets it covers and the events it forwards. Secrets arrive sealed. The forwards themselves
//! are in [`forwards`]; the monitoring numbers (per owner and type) change in the same
//! transaction as the integrations.

pub mod forwards;
pub(crate) use forwards::keep_forward_media;

use crate::chosen_outlets::{set_chosen_outlets, ChosenOutlets};
use crate::error::Taken;
use crate::{on_db, Page, Paged, Result, Store, StoreError};
use domain::{ForwardEvent, IntegrationKind, OutletId, Timestamp, UserId};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Integration {
    pub id: i64,
    pub owner_id: UserId,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: IntegrationKind,
    /// What is not secret: a chat id, an SMTP server, a URL without a key.
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// The end of the secret (a token, a webhook URL's key, a password), to recognise it by;
    /// the secret itself is never shown again.
    pub secret_hint: String,
    /// The sealed secret; never serialised.
    #[serde(skip)]
    pub sealed_secret: Vec<u8>,
    pub events: Vec<ForwardEvent>,
    /// Covers every outlet of the owner; otherwise only `outlet_ids`.
    pub all_outlets: bool,
    pub outlet_ids: Vec<OutletId>,
    /// The message sent, with `{{variables}}`; empty: the built-in text of each event.
    pub format: String,
    /// Off: paused, nothing is forwarded (events meanwhile are not kept for it).
    pub active: bool,
    /// `new` (nothing sent yet), `connected` (the last forward arrived) or `error`.
    pub status: String,
    /// The provider's answer to the last failed forward.
    pub last_error: String,
    pub last_delivered_at: Option<Timestamp>,
    /// Replies from the channel reach the customer (Telegram, through its webhook).
    pub replies: bool,
    /// The SHA-256 (hex) of the token the channel sends with each reply; never serialised.
    #[serde(skip)]
    pub reply_token_hash: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Every setting of an integration, checked by the caller.
pub struct IntegrationFields<'a> {
    pub name: &'a str,
    pub kind: IntegrationKind,
    /// JSON.
    pub settings: &'a str,
    pub sealed_secret: &'a [u8],
    pub secret_hint: &'a str,
    pub events: &'a [ForwardEvent],
    /// Empty: every outlet. Only the owner's are kept.
    pub outlet_ids: &'a [OutletId],
    pub format: &'a str,
    pub active: bool,
}

/// Integrations of one type: the monitoring numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IntegrationCount {
    #[serde(rename = "type")]
    pub kind: IntegrationKind,
    pub total: i64,
    pub active: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    owner_id: i64,
    name: String,
    kind: String,
    settings: String,
    sealed_secret: Vec<u8>,
    secret_hint: String,
    events: String,
    all_outlets: bool,
    format: String,
    active: bool,
    status: String,
    last_error: String,
    last_delivered_at: Option<i64>,
    reply_token_hash: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Integration {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Integration> {
        let corrupt = |what: &str, e: &dyn std::fmt::Display| StoreError::Corrupt(format!("integration {what}: {e}"));
        Ok(Integration {
            id: r.id,
            owner_id: UserId(r.owner_id),
            name: r.name,
            kind: r.kind.parse().map_err(|e| corrupt("type", &e))?,
            settings: serde_json::from_str(&r.settings).map_err(|e| corrupt("settings", &e))?,
            secret_hint: r.secret_hint,
            sealed_secret: r.sealed_secret,
            events: events_of(&r.events).map_err(|e| corrupt("events", &e))?,
            all_outlets: r.all_outlets,
            outlet_ids: Vec::new(),
            format: r.format,
            active: r.active,
            status: r.status,
            last_error: r.last_error,
            last_delivered_at: r.last_delivered_at.map(Timestamp),
            replies: r.reply_token_hash.is_some(),
            reply_token_hash: r.reply_token_hash,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

fn events_of(list: &str) -> std::result::Result<Vec<ForwardEvent>, domain::UnknownValue> {
    list.split(',').filter(|e| !e.is_empty()).map(str::parse).collect()
}

fn events_text(events: &[ForwardEvent]) -> String {
    events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(",")
}

const COLUMNS: &str = "id, owner_id, name, kind, settings, sealed_secret, secret_hint, events, all_outlets, format,
    active, status, last_error, last_delivered_at, reply_token_hash, created_at, updated_at";

/// Adds to an owner's counters of one type (inside the change's transaction).
macro_rules! count {
    ($tx:expr, $owner:expr, $kind:expr, $total:expr, $active:expr) => {{
        sqlx::query(
            "INSERT INTO integration_counts (owner_id, kind, total, active) VALUES ($1, $2, $3, $4)
             ON CONFLICT (owner_id, kind) DO UPDATE SET total = integration_counts.total + $3,
                                                        active = integration_counts.active + $4",
        )
        .bind($owner)
        .bind($kind.as_str())
        .bind($total)
        .bind($active)
        .execute(&mut *$tx)
        .await?;
    }};
}

impl Store {
    /// `Conflict(IntegrationName)` when the owner has one with this name.
    pub async fn create_integration(
        &self,
        owner: UserId,
        f: &IntegrationFields<'_>,
        now: Timestamp,
    ) -> Result<Integration> {
        let id = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            crate::billing::within_limit!(self, tx, owner, domain::Limit::Integrations, 1, now);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO integrations (owner_id, name, kind, settings, sealed_secret, secret_hint, events,
                     all_outlets, format, active, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id")
                .bind(owner.0)
                .bind(f.name)
                .bind(f.kind.as_str())
                .bind(f.settings)
                .bind(f.sealed_secret)
                .bind(f.secret_hint)
                .bind(events_text(f.events))
                .bind(f.outlet_ids.is_empty())
                .bind(f.format)
                .bind(f.active)
                .bind(now.millis())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::from(e).conflict_as(Taken::IntegrationName))?;
            set_chosen_outlets!(tx, "integration_outlets", "integration_id", id, owner.0, f.outlet_ids);
            count!(tx, owner.0, f.kind, 1i64, i64::from(f.active));
            tx.commit().await?;
            id
        });
        self.integration(owner, id).await?.ok_or(StoreError::NotFound)
    }

    /// Replaces every setting but the type. `NotFound` for another owner's.
    pub async fn update_integration(
        &self,
        owner: UserId,
        id: i64,
        f: &IntegrationFields<'_>,
        now: Timestamp,
    ) -> Result<Integration> {
        // Two changes at once must not both count the same switch (SQLite writes one at a time).
        let lock = match self.backend() {
            crate::Backend::Sqlite => "",
            crate::Backend::Postgres => " FOR UPDATE",
        };
        let read = format!("SELECT kind, active FROM integrations WHERE id = $1 AND owner_id = $2{lock}");
        on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let was: Option<(String, bool)> = sqlx::query_as(&read)
                .bind(id).bind(owner.0).fetch_optional(&mut *tx).await?;
            let Some((kind, was_active)) = was else { return Err(StoreError::NotFound) };
            sqlx::query(
                "UPDATE integrations SET name = $3, settings = $4, sealed_secret = $5, secret_hint = $6, events = $7,
                     all_outlets = $8, format = $9, active = $10, updated_at = $11,
                     -- Another bot or chat: replies were set up for the old ones.
                     reply_token_hash = CASE WHEN sealed_secret = $5 AND settings = $4 THEN reply_token_hash ELSE NULL END
                 WHERE id = $1 AND owner_id = $2")
                .bind(id)
                .bind(owner.0)
                .bind(f.name)
                .bind(f.settings)
                .bind(f.sealed_secret)
                .bind(f.secret_hint)
                .bind(events_text(f.events))
                .bind(f.outlet_ids.is_empty())
                .bind(f.format)
                .bind(f.active)
                .bind(now.millis())
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::from(e).conflict_as(Taken::IntegrationName))?;
            set_chosen_outlets!(tx, "integration_outlets", "integration_id", id, owner.0, f.outlet_ids);
            let delta = i64::from(f.active) - i64::from(was_active);
            if delta != 0 {
                count!(tx, owner.0, kind, 0i64, delta);
            }
            tx.commit().await?;
        });
        self.integration(owner, id).await?.ok_or(StoreError::NotFound)
    }

    /// Its forwards go with it. `NotFound` for another owner's.
    pub async fn delete_integration(&self, owner: UserId, id: i64) -> Result<()> {
        on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let gone: Option<(String, bool)> = sqlx::query_as(
                "DELETE FROM integrations WHERE id = $1 AND owner_id = $2 RETURNING kind, active")
                .bind(id).bind(owner.0).fetch_optional(&mut *tx).await?;
            let Some((kind, active)) = gone else { return Err(StoreError::NotFound) };
            count!(tx, owner.0, kind, -1i64, -i64::from(active));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn integration(&self, owner: UserId, id: i64) -> Result<Option<Integration>> {
        let sql = format!("SELECT {COLUMNS} FROM integrations WHERE id = $1 AND owner_id = $2");
        let row: Option<Row> =
            on_db!(self, read, pool => sqlx::query_as(&sql).bind(id).bind(owner.0).fetch_optional(pool).await)?;
        let Some(item) = row.map(Integration::try_from).transpose()? else { return Ok(None) };
        Ok(self.with_chosen_outlets(vec![item], "integration_outlets", "integration_id").await?.pop())
    }

    /// Replies on (with the hash of the channel's token) or off (`None`). `NotFound` for
    /// another owner's.
    pub async fn set_integration_replies(
        &self,
        owner: UserId,
        id: i64,
        token_hash: Option<&str>,
        now: Timestamp,
    ) -> Result<Integration> {
        let done = on_db!(self, write, pool => sqlx::query(
            "UPDATE integrations SET reply_token_hash = $3, updated_at = $4 WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner.0)
            .bind(token_hash)
            .bind(now.millis())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        self.integration(owner, id).await?.ok_or(StoreError::NotFound)
    }

    /// Any owner's integration: only for a caller that proves it by a secret of the
    /// integration's own (a channel's reply).
    pub async fn integration_for_reply(&self, id: i64) -> Result<Option<Integration>> {
        let sql = format!("SELECT {COLUMNS} FROM integrations WHERE id = $1 AND reply_token_hash IS NOT NULL");
        let row: Option<Row> = on_db!(self, read, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
        row.map(Integration::try_from).transpose()
    }

    pub async fn list_integrations(&self, owner: UserId, page: Page) -> Result<Paged<Integration>> {
        let sql = format!("SELECT {COLUMNS} FROM integrations WHERE owner_id = $1 ORDER BY id LIMIT $2 OFFSET $3");
        let (rows, total): (Vec<Row>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&sql).bind(owner.0).bind(page.limit()).bind(page.offset()).fetch_all(pool).await?;
            let total = sqlx::query_scalar("SELECT COUNT(*) FROM integrations WHERE owner_id = $1")
                .bind(owner.0).fetch_one(pool).await?;
            (rows, total)
        });
        let items = rows.into_iter().map(Integration::try_from).collect::<Result<Vec<_>>>()?;
        let items = self.with_chosen_outlets(items, "integration_outlets", "integration_id").await?;
        Ok(Paged::new(items, total, page))
    }

    /// Integrations by type, of one owner or of everyone, from the counter rows.
    pub async fn integration_counts(&self, owner: Option<UserId>) -> Result<Vec<IntegrationCount>> {
        let rows: Vec<(String, i64, i64)> = on_db!(self, read, pool => sqlx::query_as(
            "SELECT kind, CAST(SUM(total) AS BIGINT), CAST(SUM(active) AS BIGINT) FROM integration_counts
             WHERE $1 IS NULL OR owner_id = $1 GROUP BY kind ORDER BY kind")
            .bind(owner.map(|o| o.0))
            .fetch_all(pool)
            .await)?;
        rows.into_iter()
            .map(|(kind, total, active)| {
                let kind = kind.parse().map_err(|e: domain::UnknownValue| StoreError::Corrupt(e.to_string()))?;
                Ok(IntegrationCount { kind, total, active })
            })
            .collect()
    }
}

impl ChosenOutlets for Integration {
    fn id(&self) -> i64 {
        self.id
    }
    fn all_outlets(&self) -> bool {
        self.all_outlets
    }
    fn outlet_ids_mut(&mut self) -> &mut Vec<OutletId> {
        &mut self.outlet_ids
    }
}
