//! Webhook endpoints, per owner. Secrets arrive here already encrypted.

use crate::{on_db, Page, Paged, Result, Store, StoreError};
use domain::{Timestamp, UserId};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub owner_id: UserId,
    pub url: String,
    pub events: Vec<String>,
    /// The sealed signing secret; never serialised.
    #[serde(skip)]
    pub sealed_secret: Vec<u8>,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Default)]
pub struct WebhookPatch<'a> {
    pub url: Option<&'a str>,
    pub events: Option<&'a [String]>,
    pub active: Option<bool>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    owner_id: i64,
    url: String,
    events: String,
    secret: Vec<u8>,
    active: bool,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Webhook {
    fn from(r: Row) -> Self {
        Webhook {
            id: r.id,
            owner_id: UserId(r.owner_id),
            url: r.url,
            events: r.events.split(',').filter(|e| !e.is_empty()).map(str::to_string).collect(),
            sealed_secret: r.secret,
            active: r.active,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        }
    }
}

const COLUMNS: &str = "id, owner_id, url, events, secret, active, created_at, updated_at";

impl Store {
    pub async fn create_webhook(
        &self,
        owner: UserId,
        url: &str,
        events: &[String],
        sealed_secret: &[u8],
        now: Timestamp,
    ) -> Result<Webhook> {
        let sql = format!(
            "INSERT INTO webhooks (owner_id, url, events, secret, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, TRUE, $5, $5) RETURNING {COLUMNS}"
        );
        let row: Row = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            crate::billing::within_limit!(self, tx, owner, domain::Limit::Webhooks, 1, now);
            let row = sqlx::query_as(&sql)
                .bind(owner.0)
                .bind(url)
                .bind(events.join(","))
                .bind(sealed_secret)
                .bind(now.millis())
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            row
        });
        Ok(row.into())
    }

    pub async fn webhook(&self, owner: UserId, id: i64) -> Result<Option<Webhook>> {
        let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1 AND owner_id = $2");
        let row: Option<Row> =
            on_db!(self, read, pool => sqlx::query_as(&sql).bind(id).bind(owner.0).fetch_optional(pool).await)?;
        Ok(row.map(Into::into))
    }

    pub async fn list_webhooks(&self, owner: UserId, page: Page) -> Result<Paged<Webhook>> {
        let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE owner_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3");
        let (rows, total): (Vec<Row>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&sql).bind(owner.0).bind(page.limit()).bind(page.offset()).fetch_all(pool).await?;
            let total = sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE owner_id = $1").bind(owner.0).fetch_one(pool).await?;
            (rows, total)
        });
        Ok(Paged::new(rows.into_iter().map(Into::into).collect(), total, page))
    }

    pub async fn update_webhook(
        &self,
        owner: UserId,
        id: i64,
        patch: WebhookPatch<'_>,
        now: Timestamp,
    ) -> Result<Webhook> {
        let sql = format!(
            "UPDATE webhooks SET url = COALESCE($3, url), events = COALESCE($4, events), active = COALESCE($5, active),
                 updated_at = $6
             WHERE id = $1 AND owner_id = $2 RETURNING {COLUMNS}"
        );
        let row: Option<Row> = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(id)
            .bind(owner.0)
            .bind(patch.url)
            .bind(patch.events.map(|e| e.join(",")))
            .bind(patch.active)
            .bind(now.millis())
            .fetch_optional(pool)
            .await)?;
        row.map(Into::into).ok_or(StoreError::NotFound)
    }

    pub async fn delete_webhook(&self, owner: UserId, id: i64) -> Result<()> {
        let done = on_db!(self, write, pool => sqlx::query("DELETE FROM webhooks WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner.0)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        crate::error::touched(done)
    }
}
