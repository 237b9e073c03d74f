//! Webhook deliveries: the durable outbox of events. A change that webhooks report writes its
//! delivery rows in its own transaction (see [`enqueue`]), so an event is never recorded without
//! them nor announced without having happened. The worker claims due rows with a lease, posts
//! them and records the outcome.

use crate::{on_db, Page, Paged, Refusal, Result, Store, StoreError};
use domain::{DeliveryStatus, EventKind, ForwardEvent, OutletId, Timestamp, UserId};
use rand::RngCore;
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::Notify;

/// One event, ready to be fanned out to the owner's matching webhooks.
#[derive(Debug, Clone)]
pub struct WebhookEvent {
    pub owner: UserId,
    pub kind: EventKind,
    /// `msg_…`: the body's `id` and the `webhook-id` header, the same on every attempt and for
    /// every webhook, so receivers can drop duplicates.
    pub id: String,
    /// The whole body: `{"id", "event", "timestamp", "data"}`.
    pub payload: String,
    /// What integrations forward it as (see [`WebhookEvent::forwarded`]), if anything.
    pub forward: Option<ForwardAs>,
}

/// An event as integrations forward it: which of theirs, and the outlet it happened on (none:
/// every integration of the owner that forwards it, as for a blast over several outlets).
#[derive(Debug, Clone, Copy)]
pub struct ForwardAs {
    pub event: ForwardEvent,
    pub outlet: Option<OutletId>,
}

impl WebhookEvent {
    pub fn new(owner: UserId, kind: EventKind, data: &impl Serialize, at: Timestamp) -> WebhookEvent {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        let id = format!("msg_{}", hex::encode(bytes));
        let data = serde_json::to_value(data).unwrap_or(serde_json::Value::Null);
        let payload =
            serde_json::json!({ "id": id, "event": kind.as_str(), "timestamp": at, "data": data }).to_string();
        WebhookEvent { owner, kind, id, payload, forward: None }
    }

    /// The same event, also forwarded by the owner's integrations that ask for `event`.
    pub fn forwarded(mut self, event: Option<ForwardEvent>, outlet: Option<OutletId>) -> WebhookEvent {
        self.forward = event.map(|event| ForwardAs { event, outlet });
        self
    }

    /// The `LIKE` pattern that finds this event in a webhook's comma-separated filter.
    pub(crate) fn filter_pattern(&self) -> String {
        format!("%,{},%", self.kind.as_str())
    }
}

/// Writes one delivery row per active webhook of the owner that asked for the event, and one
/// forward per active integration of the owner that forwards it on that outlet. Use it on the
/// transaction that records the change, inside [`on_db!`]; evaluates to the rows written.
macro_rules! enqueue {
    ($tx:expr, $event:expr, $now:expr) => {
        async {
            let event = &$event;
            let mut written = sqlx::query(
                "INSERT INTO webhook_deliveries (webhook_id, owner_id, event_id, event, payload, next_attempt_at, created_at, updated_at)
                 SELECT id, owner_id, $2, $3, $4, $5, $5, $5 FROM webhooks
                 WHERE owner_id = $1 AND active AND (',' || events || ',') LIKE $6",
            )
            .bind(event.owner.0)
            .bind(&event.id)
            .bind(event.kind.as_str())
            .bind(&event.payload)
            .bind($now.millis())
            .bind(event.filter_pattern())
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            if let Some(forward) = event.forward {
                written += sqlx::query(
                    "INSERT INTO integration_forwards (integration_id, owner_id, event_id, event, payload, next_attempt_at,
                         created_at, updated_at)
                     SELECT id, owner_id, $2, $3, $4, $5, $5, $5 FROM integrations i
                     WHERE owner_id = $1 AND active AND (',' || events || ',') LIKE $6
                       AND ($7 IS NULL OR all_outlets
                            OR EXISTS (SELECT 1 FROM integration_outlets o WHERE o.integration_id = i.id AND o.outlet_id = $7))",
                )
                .bind(event.owner.0)
                .bind(&event.id)
                .bind(forward.event.as_str())
                .bind(&event.payload)
                .bind($now.millis())
                .bind(format!("%,{},%", forward.event.as_str()))
                .bind(forward.outlet.map(|o| o.0))
                .execute(&mut *$tx)
                .await?
                .rows_affected();
            }
            Ok::<u64, sqlx::Error>(written)
        }
        .await
    };
}
pub(crate) use enqueue;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: String,
    pub event: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_status_code: Option<i64>,
    pub last_error: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    /// The body as posted.
    pub payload: serde_json::Value,
}

/// A claimed delivery with what the worker needs to post it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub owner_id: UserId,
    pub event_id: String,
    pub payload: String,
    /// Counting this one.
    pub attempts: i64,
    /// Identifies this claim: only its holder may record the outcome.
    pub lease_until: Timestamp,
    pub url: String,
    pub sealed_secret: Vec<u8>,
}

/// What to record after an attempt.
pub enum DeliveryResult<'a> {
    Delivered { status_code: u16 },
    Retry { status_code: Option<u16>, error: &'a str, at: Timestamp },
    Failed { status_code: Option<u16>, error: &'a str },
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    webhook_id: i64,
    event_id: String,
    event: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    last_status_code: Option<i64>,
    last_error: String,
    created_at: i64,
    updated_at: i64,
    delivered_at: Option<i64>,
    payload: String,
}

impl TryFrom<Row> for Delivery {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Delivery> {
        Ok(Delivery {
            id: r.id,
            webhook_id: r.webhook_id,
            event_id: r.event_id,
            event: r.event,
            status: r.status.parse().map_err(|e: domain::UnknownValue| StoreError::Corrupt(e.to_string()))?,
            attempts: r.attempts,
            next_attempt_at: Timestamp(r.next_attempt_at),
            last_status_code: r.last_status_code,
            last_error: r.last_error,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
            delivered_at: r.delivered_at.map(Timestamp),
            payload: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::String(r.payload)),
        })
    }
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    webhook_id: i64,
    owner_id: i64,
    event_id: String,
    payload: String,
    attempts: i64,
    lease_until: i64,
    url: String,
    secret: Vec<u8>,
}

const COLUMNS: &str =
    "id, webhook_id, event_id, event, status, attempts, next_attempt_at, last_status_code, last_error,
    created_at, updated_at, delivered_at, payload";

/// Claims due pending deliveries in the order of the `(status, next_attempt_at)` index, so a large
/// backlog costs a claim no more than a short one.
const CLAIM: &str =
    "UPDATE webhook_deliveries SET status = 'delivering', attempts = attempts + 1, lease_until = $2, updated_at = $1
     WHERE id IN (SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
                  WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND w.active {skip}
                  ORDER BY d.next_attempt_at, d.id LIMIT $3 {lock})
     RETURNING id, webhook_id, owner_id, event_id, payload, attempts, lease_until,
         (SELECT url FROM webhooks w WHERE w.id = webhook_id) AS url,
         (SELECT secret FROM webhooks w WHERE w.id = webhook_id) AS secret";

/// A claim whose lease ran out belonged to a worker that crashed or was stopped mid-post: the
/// delivery is due again (the receiver may see its id twice and drop the repeat).
const RELEASE_EXPIRED: &str =
    "UPDATE webhook_deliveries SET status = 'pending', lease_until = NULL WHERE status = 'delivering' AND lease_until <= $1";

impl Store {
    /// Wakes the delivery worker when a transaction has written deliveries.
    pub fn deliveries_waiting(&self) -> Arc<Notify> {
        self.deliveries_waiting.clone()
    }

    pub(crate) fn announce_deliveries(&self, written: u64) {
        if written > 0 {
            self.deliveries_waiting.notify_one();
            self.forwards_waiting.notify_one();
        }
    }

    /// Records an event that comes with no other change (a test event, for instance).
    pub async fn enqueue_event(&self, event: &WebhookEvent, now: Timestamp) -> Result<u64> {
        let written = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let n = enqueue!(tx, event, now)?;
            tx.commit().await?;
            n
        });
        self.announce_deliveries(written);
        Ok(written)
    }

    /// A test event for one webhook, whatever its filter. `NotFound` if it is not the owner's;
    /// `Refused` if it is inactive (its deliveries would wait until it is turned back on).
    pub async fn enqueue_test_delivery(&self, owner: UserId, webhook: i64, now: Timestamp) -> Result<Delivery> {
        let hook = self.webhook(owner, webhook).await?.ok_or(StoreError::NotFound)?;
        if !hook.active {
            return Err(StoreError::Refused(Refusal::WebhookInactive));
        }
        let data = serde_json::json!({ "webhook_id": webhook, "message": "This is a test event from kewhats." });
        let event = WebhookEvent::new(owner, EventKind::WebhookTest, &data, now);
        let sql = format!(
            "INSERT INTO webhook_deliveries (webhook_id, owner_id, event_id, event, payload, next_attempt_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6, $6) RETURNING {COLUMNS}"
        );
        let row: Row = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(webhook)
            .bind(owner.0)
            .bind(&event.id)
            .bind(event.kind.as_str())
            .bind(&event.payload)
            .bind(now.millis())
            .fetch_one(pool)
            .await)?;
        self.announce_deliveries(1);
        row.try_into()
    }

    /// Claims up to `limit` due deliveries for `lease` milliseconds, none of the webhooks in
    /// `skip`. On PostgreSQL rows another node is claiming are skipped rather than waited for.
    pub async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_ms: i64,
        limit: i64,
        skip: &[i64],
    ) -> Result<Vec<ClaimedDelivery>> {
        let lock = match self.backend() {
            crate::Backend::Sqlite => "",
            crate::Backend::Postgres => "FOR UPDATE OF d SKIP LOCKED",
        };
        // Ids are integers, so they can be written into the statement as they are.
        let skip = if skip.is_empty() {
            String::new()
        } else {
            let ids: Vec<String> = skip.iter().map(i64::to_string).collect();
            format!("AND d.webhook_id NOT IN ({})", ids.join(", "))
        };
        let sql = CLAIM.replace("{lock}", lock).replace("{skip}", &skip);
        let rows: Vec<ClaimRow> = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(now.millis())
            .bind(now.millis() + lease_ms)
            .bind(limit)
            .fetch_all(pool)
            .await)?;
        Ok(rows
            .into_iter()
            .map(|r| ClaimedDelivery {
                id: r.id,
                webhook_id: r.webhook_id,
                owner_id: UserId(r.owner_id),
                event_id: r.event_id,
                payload: r.payload,
                attempts: r.attempts,
                lease_until: Timestamp(r.lease_until),
                url: r.url,
                sealed_secret: r.secret,
            })
            .collect())
    }

    /// Records an attempt's outcome, unless the claim is no longer ours (the lease ran out and
    /// another attempt took over, or the delivery was queued again by hand).
    pub async fn finish_delivery(
        &self,
        claimed: &ClaimedDelivery,
        result: DeliveryResult<'_>,
        now: Timestamp,
    ) -> Result<()> {
        let (status, code, error, next) = match result {
            DeliveryResult::Delivered { status_code } => (DeliveryStatus::Delivered, Some(status_code), "", now),
            DeliveryResult::Retry { status_code, error, at } => (DeliveryStatus::Pending, status_code, error, at),
            DeliveryResult::Failed { status_code, error } => (DeliveryStatus::Failed, status_code, error, now),
        };
        on_db!(self, write, pool => sqlx::query(
            "UPDATE webhook_deliveries SET status = $3, last_status_code = $4, last_error = $5, next_attempt_at = $6,
                 lease_until = NULL, updated_at = $7,
                 delivered_at = CASE WHEN $3 = 'delivered' THEN $7 ELSE delivered_at END
             WHERE id = $1 AND attempts = $2 AND status = 'delivering' AND lease_until = $8")
            .bind(claimed.id)
            .bind(claimed.attempts)
            .bind(status.as_str())
            .bind(code.map(i64::from))
            .bind(error.replace('\0', ""))
            .bind(next.millis())
            .bind(now.millis())
            .bind(claimed.lease_until.millis())
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Makes deliveries whose claim expired due again (see [`RELEASE_EXPIRED`]); returns how many.
    pub async fn release_expired_claims(&self, now: Timestamp) -> Result<u64> {
        let n = on_db!(self, write, pool => sqlx::query(RELEASE_EXPIRED)
            .bind(now.millis())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// When the next pending delivery falls due, if any is waiting.
    pub async fn next_delivery_due(&self) -> Result<Option<Timestamp>> {
        // Two index-ordered look-ups rather than an aggregate over the whole backlog.
        let at: Option<i64> = on_db!(self, read, pool => sqlx::query_scalar(
            "SELECT MIN(t) FROM (
                 SELECT * FROM (SELECT d.next_attempt_at AS t FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
                                WHERE d.status = 'pending' AND w.active ORDER BY d.next_attempt_at LIMIT 1) AS p
                 UNION ALL
                 SELECT * FROM (SELECT lease_until AS t FROM webhook_deliveries
                                WHERE status = 'delivering' ORDER BY lease_until LIMIT 1) AS l) AS due")
            .fetch_one(pool)
            .await)?;
        Ok(at.map(Timestamp))
    }

    /// A webhook's delivery log, newest first, optionally one status only.
    pub async fn list_deliveries(
        &self,
        owner: UserId,
        webhook: i64,
        status: Option<DeliveryStatus>,
        page: Page,
    ) -> Result<Paged<Delivery>> {
        let filter = "webhook_id = $1 AND owner_id = $2 AND ($3 IS NULL OR status = $3)";
        let list =
            format!("SELECT {COLUMNS} FROM webhook_deliveries WHERE {filter} ORDER BY id DESC LIMIT $4 OFFSET $5");
        let count = format!("SELECT COUNT(*) FROM webhook_deliveries WHERE {filter}");
        let status = status.map(|s| s.as_str());
        let (rows, total): (Vec<Row>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&list).bind(webhook).bind(owner.0).bind(status)
                .bind(page.limit()).bind(page.offset()).fetch_all(pool).await?;
            let total = sqlx::query_scalar(&count).bind(webhook).bind(owner.0).bind(status).fetch_one(pool).await?;
            (rows, total)
        });
        let items = rows.into_iter().map(Delivery::try_from).collect::<Result<_>>()?;
        Ok(Paged::new(items, total, page))
    }

    pub async fn delivery(&self, owner: UserId, webhook: i64, id: i64) -> Result<Option<Delivery>> {
        let sql =
            format!("SELECT {COLUMNS} FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2 AND owner_id = $3");
        let row: Option<Row> = on_db!(self, read, pool => sqlx::query_as(&sql)
            .bind(id).bind(webhook).bind(owner.0).fetch_optional(pool).await)?;
        row.map(Delivery::try_from).transpose()
    }

    /// Queues a finished delivery again, now, with a fresh count of attempts. `Refused` while it
    /// is still queued or being posted.
    pub async fn redeliver(&self, owner: UserId, webhook: i64, id: i64, now: Timestamp) -> Result<Delivery> {
        let sql = format!(
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $4, updated_at = $4,
                 lease_until = NULL, last_status_code = NULL, last_error = '', delivered_at = NULL
             WHERE id = $1 AND webhook_id = $2 AND owner_id = $3 AND status IN ('delivered', 'failed')
             RETURNING {COLUMNS}"
        );
        let row: Option<Row> = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(id).bind(webhook).bind(owner.0).bind(now.millis()).fetch_optional(pool).await)?;
        match row {
            Some(row) => {
                self.announce_deliveries(1);
                row.try_into()
            }
            None => match self.delivery(owner, webhook, id).await? {
                None => Err(StoreError::NotFound),
                Some(_) => Err(StoreError::Refused(Refusal::DeliveryQueued)),
            },
        }
    }

    /// Queues every failed delivery of a webhook again (after a receiver's long outage).
    pub async fn redeliver_failed(&self, owner: UserId, webhook: i64, now: Timestamp) -> Result<u64> {
        let n = on_db!(self, write, pool => sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $3, updated_at = $3,
                 lease_until = NULL, last_status_code = NULL, last_error = ''
             WHERE webhook_id = $1 AND owner_id = $2 AND status = 'failed'")
            .bind(webhook)
            .bind(owner.0)
            .bind(now.millis())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        self.announce_deliveries(n);
        Ok(n)
    }

    /// Deletes finished deliveries (delivered or failed) last touched before `before`.
    pub async fn purge_deliveries(&self, before: Timestamp) -> Result<u64> {
        Ok(on_db!(self, write, pool => sqlx::query(
            "DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND updated_at < $1")
            .bind(before.millis())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?)
    }
}
