//! Forwards: the durable outbox of integrations. A change that integrations forward writes its
//! rows in its own transaction (the `enqueue!` of [`crate::deliveries`]), so an event is never
//! recorded without them; the worker claims due rows with a lease, sends them and records the
//! outcome here, with the integration's status.

use crate::{on_db, Page, Paged, Refusal, Result, Store, StoreError};
use domain::{DeliveryStatus, ForwardEvent, IntegrationKind, Timestamp, UserId};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::Notify;

/// Keeps the image or document of an event that integrations forward ([`Store::forward_media`]),
/// inside the transaction that wrote its forwards: nothing unless a forward to a channel that
/// sends files (Telegram, e-mail) was written. From bytes at hand (`data:`), or copied from an
/// outgoing message's (`of_message:`).
macro_rules! keep_forward_media {
    ($tx:expr, $event_id:expr, data: $data:expr, $now:expr) => {{
        let forwarded: bool =
            sqlx::query_scalar(concat!("SELECT EXISTS (", $crate::integrations::forwards::file_forwards!(), ")"))
                .bind($event_id)
                .fetch_one(&mut *$tx)
                .await?;
        if forwarded {
            sqlx::query("INSERT INTO forward_media (event_id, data, created_at) VALUES ($1, $2, $3)")
                .bind($event_id)
                .bind($data)
                .bind($now.millis())
                .execute(&mut *$tx)
                .await?;
        }
    }};
    ($tx:expr, $event_id:expr, of_message: $message:expr, $now:expr) => {{
        sqlx::query(concat!(
            "INSERT INTO forward_media (event_id, data, created_at)
             SELECT $1, data, $3 FROM message_media
             WHERE message_id = $2 AND EXISTS (",
            $crate::integrations::forwards::file_forwards!(),
            ")"
        ))
        .bind($event_id)
        .bind($message)
        .bind($now.millis())
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use keep_forward_media;

/// The forwards of event `$1` to channels that send files.
macro_rules! file_forwards {
    () => {
        "SELECT 1 FROM integration_forwards f JOIN integrations i ON i.id = f.integration_id
         WHERE f.event_id = $1 AND i.kind IN ('telegram', 'email')"
    };
}
pub(crate) use file_forwards;

/// One forward in an integration's log.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Forward {
    pub id: i64,
    pub integration_id: i64,
    /// The event's id, as webhooks get it (`webhook-id`).
    pub event_id: String,
    pub event: ForwardEvent,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    /// The provider's answer to the last failed attempt.
    pub last_error: String,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

/// A claimed forward with what the worker needs to send it.
#[derive(Debug, Clone)]
pub struct ClaimedForward {
    pub id: i64,
    pub integration_id: i64,
    pub owner_id: UserId,
    pub event_id: String,
    pub event: ForwardEvent,
    /// The event as webhooks get it: `{"id", "event", "timestamp", "data"}`.
    pub payload: String,
    /// Counting this one.
    pub attempts: i64,
    /// Identifies this claim: only its holder may record the outcome.
    pub lease_until: Timestamp,
    pub kind: IntegrationKind,
    pub settings: String,
    pub sealed_secret: Vec<u8>,
    pub format: String,
}

/// What to record after an attempt.
pub enum ForwardResult<'a> {
    /// With what the provider calls the message it made, if it said.
    Delivered {
        reference: Option<&'a str>,
    },
    /// Again at `at`; `hold`: the provider asked to wait, so the integration's other forwards
    /// wait too.
    Retry {
        error: &'a str,
        at: Timestamp,
        hold: bool,
    },
    Failed {
        error: &'a str,
    },
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    integration_id: i64,
    event_id: String,
    event: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error: String,
    created_at: i64,
    delivered_at: Option<i64>,
}

impl TryFrom<Row> for Forward {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Forward> {
        let corrupt = |e: domain::UnknownValue| StoreError::Corrupt(e.to_string());
        Ok(Forward {
            id: r.id,
            integration_id: r.integration_id,
            event_id: r.event_id,
            event: r.event.parse().map_err(corrupt)?,
            status: r.status.parse().map_err(corrupt)?,
            attempts: r.attempts,
            next_attempt_at: Timestamp(r.next_attempt_at),
            last_error: r.last_error,
            created_at: Timestamp(r.created_at),
            delivered_at: r.delivered_at.map(Timestamp),
        })
    }
}

const COLUMNS: &str =
    "id, integration_id, event_id, event, status, attempts, next_attempt_at, last_error, created_at, delivered_at";

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    integration_id: i64,
    owner_id: i64,
    event_id: String,
    event: String,
    payload: String,
    attempts: i64,
    lease_until: i64,
    kind: String,
    settings: String,
    sealed_secret: Vec<u8>,
    format: String,
}

/// Claims due forwards of active integrations that no provider asked to wait, in the order of
/// the `(status, next_attempt_at)` index; on PostgreSQL rows another node is claiming are
/// skipped rather than waited for.
const CLAIM: &str =
    "UPDATE integration_forwards SET status = 'delivering', attempts = attempts + 1, lease_until = $2, updated_at = $1
     WHERE id IN (SELECT f.id FROM integration_forwards f JOIN integrations i ON i.id = f.integration_id
                  WHERE f.status = 'pending' AND f.next_attempt_at <= $1 AND i.active
                    AND (i.held_until IS NULL OR i.held_until <= $1)
                  ORDER BY f.next_attempt_at, f.id LIMIT $3 {lock})
     RETURNING id, integration_id, owner_id, event_id, event, payload, attempts, lease_until,
         (SELECT kind FROM integrations i WHERE i.id = integration_id) AS kind,
         (SELECT settings FROM integrations i WHERE i.id = integration_id) AS settings,
         (SELECT sealed_secret FROM integrations i WHERE i.id = integration_id) AS sealed_secret,
         (SELECT format FROM integrations i WHERE i.id = integration_id) AS format";

impl Store {
    /// Wakes the integrations worker when a transaction has written forwards.
    pub fn forwards_waiting(&self) -> Arc<Notify> {
        self.forwards_waiting.clone()
    }

    /// A test forward for one integration, whatever its events. `NotFound` if it is not the
    /// owner's; `Refused` if it is paused.
    pub async fn enqueue_test_forward(
        &self,
        owner: UserId,
        integration: i64,
        payload: &str,
        event_id: &str,
        now: Timestamp,
    ) -> Result<Forward> {
        let found = self.integration(owner, integration).await?.ok_or(StoreError::NotFound)?;
        if !found.active {
            return Err(StoreError::Refused(Refusal::IntegrationPaused));
        }
        let sql = format!(
            "INSERT INTO integration_forwards (integration_id, owner_id, event_id, event, payload, next_attempt_at,
                 created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6, $6) RETURNING {COLUMNS}"
        );
        let row: Row = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(integration)
            .bind(owner.0)
            .bind(event_id)
            .bind(ForwardEvent::Test.as_str())
            .bind(payload)
            .bind(now.millis())
            .fetch_one(pool)
            .await)?;
        self.forwards_waiting.notify_one();
        row.try_into()
    }

    /// Claims up to `limit` due forwards for `lease_ms`, with their integration's settings.
    pub async fn claim_forwards(&self, now: Timestamp, lease_ms: i64, limit: i64) -> Result<Vec<ClaimedForward>> {
        let lock = match self.backend() {
            crate::Backend::Sqlite => "",
            crate::Backend::Postgres => "FOR UPDATE OF f SKIP LOCKED",
        };
        let sql = CLAIM.replace("{lock}", lock);
        let rows: Vec<ClaimRow> = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(now.millis())
            .bind(now.millis() + lease_ms)
            .bind(limit)
            .fetch_all(pool)
            .await)?;
        rows.into_iter()
            .map(|r| {
                let corrupt = |e: domain::UnknownValue| StoreError::Corrupt(e.to_string());
                Ok(ClaimedForward {
                    id: r.id,
                    integration_id: r.integration_id,
                    owner_id: UserId(r.owner_id),
                    event_id: r.event_id,
                    event: r.event.parse().map_err(corrupt)?,
                    payload: r.payload,
                    attempts: r.attempts,
                    lease_until: Timestamp(r.lease_until),
                    kind: r.kind.parse().map_err(corrupt)?,
                    settings: r.settings,
                    sealed_secret: r.sealed_secret,
                    format: r.format,
                })
            })
            .collect()
    }

    /// Records an attempt's outcome and the integration's status, unless the claim is no longer
    /// ours (its lease ran out and another attempt took over).
    pub async fn finish_forward(
        &self,
        claimed: &ClaimedForward,
        result: ForwardResult<'_>,
        now: Timestamp,
    ) -> Result<()> {
        let (status, error, next) = match result {
            ForwardResult::Delivered { .. } => (DeliveryStatus::Delivered, "", now),
            ForwardResult::Retry { error, at, .. } => (DeliveryStatus::Pending, error, at),
            ForwardResult::Failed { error } => (DeliveryStatus::Failed, error, now),
        };
        let error = error.replace('\0', "");
        let reference = match result {
            ForwardResult::Delivered { reference } => reference,
            _ => None,
        };
        let held = match result {
            ForwardResult::Retry { at, hold: true, .. } => Some(at),
            _ => None,
        };
        on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE integration_forwards SET status = $3, last_error = $4, next_attempt_at = $5, lease_until = NULL,
                     updated_at = $6, delivered_at = CASE WHEN $3 = 'delivered' THEN $6 ELSE delivered_at END,
                     reference = $8
                 WHERE id = $1 AND attempts = $2 AND status = 'delivering' AND lease_until = $7")
                .bind(claimed.id)
                .bind(claimed.attempts)
                .bind(status.as_str())
                .bind(&error)
                .bind(next.millis())
                .bind(now.millis())
                .bind(claimed.lease_until.millis())
                .bind(reference)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if done > 0 && status != DeliveryStatus::Pending {
                // The event's file goes with the last forward that needed it. On PostgreSQL the
                // file's row is locked first: two forwards of one event finishing together would
                // otherwise each see the other still under way, and neither delete it.
                if self.backend() == crate::Backend::Postgres {
                    sqlx::query("SELECT 1 FROM forward_media WHERE event_id = $1 FOR UPDATE")
                        .bind(&claimed.event_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "DELETE FROM forward_media WHERE event_id = $1 AND NOT EXISTS (
                         SELECT 1 FROM integration_forwards WHERE event_id = $1 AND status IN ('pending', 'delivering'))")
                    .bind(&claimed.event_id)
                    .execute(&mut *tx)
                    .await?;
            }
            if done > 0 {
                // The integration is as good as its last answer.
                let (state, last_error) = if status == DeliveryStatus::Delivered { ("connected", "") } else { ("error", error.as_str()) };
                sqlx::query(
                    "UPDATE integrations SET status = $2, last_error = $3,
                         last_delivered_at = CASE WHEN $2 = 'connected' THEN $4 ELSE last_delivered_at END,
                         held_until = CASE WHEN $5 IS NULL THEN held_until
                                           WHEN held_until IS NULL OR held_until < $5 THEN $5 ELSE held_until END
                     WHERE id = $1")
                    .bind(claimed.integration_id)
                    .bind(state)
                    .bind(last_error)
                    .bind(now.millis())
                    .bind(held.map(Timestamp::millis))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Forwards whose claim ran out (a worker stopped mid-send) are due again; returns how many.
    pub async fn release_expired_forwards(&self, now: Timestamp) -> Result<u64> {
        Ok(on_db!(self, write, pool => sqlx::query(
            "UPDATE integration_forwards SET status = 'pending', lease_until = NULL
             WHERE status = 'delivering' AND lease_until <= $1")
            .bind(now.millis())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?)
    }

    /// When the next pending forward of an active integration falls due, if any.
    pub async fn next_forward_due(&self) -> Result<Option<Timestamp>> {
        let at: Option<i64> = on_db!(self, read, pool => sqlx::query_scalar(
            "SELECT f.next_attempt_at FROM integration_forwards f JOIN integrations i ON i.id = f.integration_id
             WHERE f.status = 'pending' AND i.active ORDER BY f.next_attempt_at LIMIT 1")
            .fetch_optional(pool)
            .await)?;
        Ok(at.map(Timestamp))
    }

    /// An integration's log, newest first.
    pub async fn list_forwards(&self, owner: UserId, integration: i64, page: Page) -> Result<Paged<Forward>> {
        let list = format!(
            "SELECT {COLUMNS} FROM integration_forwards WHERE integration_id = $1 AND owner_id = $2
             ORDER BY id DESC LIMIT $3 OFFSET $4"
        );
        let (rows, total): (Vec<Row>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&list).bind(integration).bind(owner.0)
                .bind(page.limit()).bind(page.offset()).fetch_all(pool).await?;
            let total = sqlx::query_scalar(
                "SELECT COUNT(*) FROM integration_forwards WHERE integration_id = $1 AND owner_id = $2")
                .bind(integration).bind(owner.0).fetch_one(pool).await?;
            (rows, total)
        });
        let items = rows.into_iter().map(Forward::try_from).collect::<Result<_>>()?;
        Ok(Paged::new(items, total, page))
    }

    /// The event an integration's delivered forward reported, found by what the provider called
    /// the message it made (for Telegram `{chat id}:{message id}`: a message id is unique only
    /// in its chat): `(event, payload)`.
    pub async fn forward_by_reference(
        &self,
        integration: i64,
        reference: &str,
    ) -> Result<Option<(ForwardEvent, String)>> {
        let row: Option<(String, String)> = on_db!(self, read, pool => sqlx::query_as(
            "SELECT event, payload FROM integration_forwards WHERE integration_id = $1 AND reference = $2
             ORDER BY id DESC LIMIT 1")
            .bind(integration)
            .bind(reference)
            .fetch_optional(pool)
            .await)?;
        let corrupt = |e: domain::UnknownValue| StoreError::Corrupt(e.to_string());
        row.map(|(event, payload)| Ok((event.parse().map_err(corrupt)?, payload))).transpose()
    }

    /// The image or document kept for an event's forwards, if any.
    pub async fn forward_media(&self, event_id: &str) -> Result<Option<Vec<u8>>> {
        Ok(on_db!(self, read, pool => sqlx::query_scalar("SELECT data FROM forward_media WHERE event_id = $1")
            .bind(event_id)
            .fetch_optional(pool)
            .await)?)
    }

    /// Deletes finished forwards last touched before `before`, and files kept since before it.
    pub async fn purge_forwards(&self, before: Timestamp) -> Result<u64> {
        Ok(on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let purged = sqlx::query(
                "DELETE FROM integration_forwards WHERE status IN ('delivered', 'failed') AND updated_at < $1")
                .bind(before.millis())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // As old as the forwards purged: a paused integration's waiting forward, sent when
            // it resumes, goes without its file.
            sqlx::query("DELETE FROM forward_media WHERE created_at < $1")
                .bind(before.millis())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            purged
        }))
    }
}
