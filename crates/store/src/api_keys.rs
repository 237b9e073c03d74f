//! API keys and their traffic counters.
//!
//! `requests_in` counts API requests authenticated with the key; `messages_out` counts WhatsApp
//! messages sent out on behalf of requests made with the key (see the README).

use crate::{on_db, Page, Paged, Result, Store, StoreError};
use domain::{LanguageChoice, Role, Timestamp, UserId};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ApiKey {
    pub id: i64,
    pub owner_id: UserId,
    pub name: String,
    /// The first characters of the secret, to recognise the key; the secret itself is gone.
    pub prefix: String,
    pub requests_in: i64,
    pub messages_out: i64,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// Who a presented key belongs to, with the owner's current role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyHolder {
    pub key_id: i64,
    pub user_id: UserId,
    pub role: Role,
    pub language: LanguageChoice,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    owner_id: i64,
    name: String,
    prefix: String,
    requests_in: i64,
    messages_out: i64,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<Row> for ApiKey {
    fn from(r: Row) -> Self {
        ApiKey {
            id: r.id,
            owner_id: UserId(r.owner_id),
            name: r.name,
            prefix: r.prefix,
            requests_in: r.requests_in,
            messages_out: r.messages_out,
            created_at: Timestamp(r.created_at),
            last_used_at: r.last_used_at.map(Timestamp),
            revoked_at: r.revoked_at.map(Timestamp),
        }
    }
}

fn holder((key_id, owner, role, language): (i64, i64, String, String)) -> Result<KeyHolder> {
    let corrupt = |e: domain::UnknownValue| StoreError::Corrupt(e.to_string());
    let (role, language) = (role.parse().map_err(corrupt)?, language.parse().map_err(corrupt)?);
    Ok(KeyHolder { key_id, user_id: UserId(owner), role, language })
}

const COLUMNS: &str = "id, owner_id, name, prefix, requests_in, messages_out, created_at, last_used_at, revoked_at";

impl Store {
    pub async fn create_api_key(
        &self,
        owner: UserId,
        name: &str,
        prefix: &str,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<ApiKey> {
        let sql = format!(
            "INSERT INTO api_keys (owner_id, name, prefix, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)
             RETURNING {COLUMNS}"
        );
        let row: Row = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            crate::billing::within_limit!(self, tx, owner, domain::Limit::ApiKeys, 1, now);
            let row = sqlx::query_as(&sql)
                .bind(owner.0)
                .bind(name)
                .bind(prefix)
                .bind(secret_hash)
                .bind(now.millis())
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            row
        });
        Ok(row.into())
    }

    pub async fn list_api_keys(&self, owner: UserId, page: Page) -> Result<Paged<ApiKey>> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE owner_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3");
        let (rows, total): (Vec<Row>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&sql).bind(owner.0).bind(page.limit()).bind(page.offset()).fetch_all(pool).await?;
            let total = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE owner_id = $1").bind(owner.0).fetch_one(pool).await?;
            (rows, total)
        });
        Ok(Paged::new(rows.into_iter().map(Into::into).collect(), total, page))
    }

    pub async fn api_key(&self, owner: UserId, id: i64) -> Result<Option<ApiKey>> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE id = $1 AND owner_id = $2");
        let row: Option<Row> =
            on_db!(self, read, pool => sqlx::query_as(&sql).bind(id).bind(owner.0).fetch_optional(pool).await)?;
        Ok(row.map(Into::into))
    }

    /// Revokes one of the owner's keys; `NotFound` for another user's key.
    pub async fn revoke_api_key(&self, owner: UserId, id: i64, now: Timestamp) -> Result<ApiKey> {
        let sql = format!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND owner_id = $2 RETURNING {COLUMNS}"
        );
        let row: Option<Row> = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(id)
            .bind(owner.0)
            .bind(now.millis())
            .fetch_optional(pool)
            .await)?;
        row.map(Into::into).ok_or(StoreError::NotFound)
    }

    /// Authenticates a request by key: the holder if the key is live and its owner enabled, and
    /// in the same statement counts the request and marks the key used.
    pub async fn use_api_key(&self, secret_hash: &str, now: Timestamp) -> Result<Option<KeyHolder>> {
        let row: Option<(i64, i64, String, String)> = on_db!(self, write, pool => sqlx::query_as(
            "UPDATE api_keys SET requests_in = requests_in + 1, last_used_at = $2
             WHERE secret_hash = $1 AND revoked_at IS NULL
               AND owner_id IN (SELECT id FROM users WHERE disabled = FALSE)
             RETURNING id, owner_id, (SELECT role FROM users WHERE users.id = api_keys.owner_id),
                 (SELECT language FROM users WHERE users.id = api_keys.owner_id)")
            .bind(secret_hash)
            .bind(now.millis())
            .fetch_optional(pool)
            .await)?;
        row.map(holder).transpose()
    }

    /// The holder of a key by id, if the key is live and its owner enabled; counts nothing.
    pub async fn api_key_holder(&self, key_id: i64) -> Result<Option<KeyHolder>> {
        let row: Option<(i64, i64, String, String)> = on_db!(self, read, pool => sqlx::query_as(
            "SELECT k.id, k.owner_id, u.role, u.language FROM api_keys k JOIN users u ON u.id = k.owner_id
             WHERE k.id = $1 AND k.revoked_at IS NULL AND u.disabled = FALSE")
            .bind(key_id)
            .fetch_optional(pool)
            .await)?;
        row.map(holder).transpose()
    }

    /// Revokes every live key of `owner` (a role that may hold none); how many.
    pub async fn revoke_user_api_keys(&self, owner: UserId, now: Timestamp) -> Result<u64> {
        Ok(on_db!(self, write, pool => sqlx::query(
            "UPDATE api_keys SET revoked_at = $2 WHERE owner_id = $1 AND revoked_at IS NULL")
            .bind(owner.0)
            .bind(now.millis())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?)
    }

    /// Counts one WhatsApp message sent out on behalf of a request made with the key.
    pub async fn count_api_key_message(&self, key_id: i64) -> Result<()> {
        on_db!(self, write, pool => sqlx::query("UPDATE api_keys SET messages_out = messages_out + 1 WHERE id = $1")
            .bind(key_id)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}
