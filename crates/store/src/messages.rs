//! Messages: the outbox of outgoing ones and the record of incoming ones.

use crate::deliveries::{enqueue, WebhookEvent};
use crate::{on_db, Page, Paged, Result, Store, StoreError, Taken};
use domain::{Direction, EventKind, MessageStatus, OutletId, Scope, Timestamp, UserId};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Message {
    pub id: i64,
    pub owner_id: UserId,
    pub outlet_id: OutletId,
    pub direction: Direction,
    /// The other party's number (E.164).
    pub peer: String,
    /// `text`, `image` or `document`.
    pub kind: String,
    /// The text, or the caption of an image or document.
    pub body: String,
    pub media_mime: Option<String>,
    pub media_name: Option<String>,
    pub media_size: Option<i64>,
    pub status: MessageStatus,
    pub error: String,
    pub wa_message_id: Option<String>,
    pub api_key_id: Option<i64>,
    pub idempotency_key: Option<String>,
    pub attempts: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub read_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    /// What wrote an outgoing message by itself: `auto_reply` (a rule); none when a person, the
    /// API or a blast did.
    #[schema(example = json!(null))]
    pub origin: Option<String>,
}

pub struct NewOutgoing<'a> {
    pub owner: UserId,
    pub outlet: OutletId,
    pub to: &'a str,
    /// The text, or a media message's caption.
    pub body: &'a str,
    pub media: Option<NewMedia<'a>>,
    pub api_key_id: Option<i64>,
    pub idempotency_key: Option<&'a str>,
    pub expires_at: Option<Timestamp>,
}

/// An image or a document to send.
pub struct NewMedia<'a> {
    /// `image` or `document`.
    pub kind: &'a str,
    pub mime: &'a str,
    pub file_name: &'a str,
    pub data: &'a [u8],
}

pub struct NewInbound<'a> {
    pub owner: UserId,
    pub outlet: OutletId,
    pub from: &'a str,
    pub body: &'a str,
    pub wa_message_id: &'a str,
    pub at: Timestamp,
    /// The image or document it came with: described on the message, and its bytes kept only
    /// for the integrations that forward it.
    pub media: Option<NewMedia<'a>>,
}

#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    pub outlet: Option<OutletId>,
    pub direction: Option<Direction>,
    pub status: Option<MessageStatus>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    id: i64,
    owner_id: i64,
    outlet_id: i64,
    direction: String,
    peer: String,
    kind: String,
    body: String,
    media_mime: Option<String>,
    media_name: Option<String>,
    media_size: Option<i64>,
    status: String,
    error: String,
    wa_message_id: Option<String>,
    api_key_id: Option<i64>,
    idempotency_key: Option<String>,
    attempts: i64,
    created_at: i64,
    updated_at: i64,
    sent_at: Option<i64>,
    delivered_at: Option<i64>,
    read_at: Option<i64>,
    expires_at: Option<i64>,
    origin: Option<String>,
}

impl TryFrom<Row> for Message {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Message> {
        let corrupt = |e: domain::UnknownValue| StoreError::Corrupt(e.to_string());
        Ok(Message {
            id: r.id,
            owner_id: UserId(r.owner_id),
            outlet_id: OutletId(r.outlet_id),
            direction: r.direction.parse().map_err(corrupt)?,
            peer: r.peer,
            kind: r.kind,
            body: r.body,
            media_mime: r.media_mime,
            media_name: r.media_name,
            media_size: r.media_size,
            status: r.status.parse().map_err(corrupt)?,
            error: r.error,
            wa_message_id: r.wa_message_id,
            api_key_id: r.api_key_id,
            idempotency_key: r.idempotency_key,
            attempts: r.attempts,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
            sent_at: r.sent_at.map(Timestamp),
            delivered_at: r.delivered_at.map(Timestamp),
            read_at: r.read_at.map(Timestamp),
            expires_at: r.expires_at.map(Timestamp),
            origin: r.origin,
        })
    }
}

const EXPIRED: &str = "expired before the device was connected";

pub(crate) const COLUMNS: &str = "id, owner_id, outlet_id, direction, peer, kind, body, media_mime, media_name, media_size, status, error, wa_message_id,
    api_key_id, idempotency_key, attempts, created_at, updated_at, sent_at, delivered_at, read_at, expires_at, origin";

pub(crate) fn one(row: Option<Row>) -> Result<Option<Message>> {
    row.map(Message::try_from).transpose()
}

/// Inside a transaction: a `message.status` event (the message as the API shows it) for each
/// changed row. Evaluates to `(messages, deliveries written)`.
macro_rules! status_events {
    ($tx:expr, $rows:expr, $now:expr) => {{
        let mut messages = Vec::with_capacity($rows.len());
        let mut written = 0;
        for row in $rows {
            let message = Message::try_from(row)?;
            crate::blasts::mirror_to_blast!($tx, message, $now);
            if message.status == MessageStatus::Failed {
                // Never sent: its quota goes back to the month it was taken from.
                crate::billing::refund_message!($tx, message.id);
            }
            let failed = (message.status == MessageStatus::Failed).then_some(domain::ForwardEvent::MessageFailed);
            let event = WebhookEvent::new(message.owner_id, EventKind::MessageStatus, &message, $now)
                .forwarded(failed, Some(message.outlet_id));
            written += enqueue!($tx, event, $now)?;
            if message.media_size.is_some() && matches!(message.status, MessageStatus::Sent | MessageStatus::Failed) {
                if failed.is_some() {
                    // What could not be sent goes to the integrations that report it, file and all.
                    crate::integrations::keep_forward_media!($tx, &event.id, of_message: message.id, $now);
                }
                // The bytes were only kept to be sent.
                sqlx::query("DELETE FROM message_media WHERE message_id = $1")
                    .bind(message.id)
                    .execute(&mut *$tx)
                    .await?;
            }
            messages.push(message);
        }
        (messages, written)
    }};
}

impl Store {
    /// Writes an outgoing message as `pending`. With an idempotency key already used by this
    /// owner, returns the existing message instead (`Ok((message, false))`): never a second one.
    pub async fn create_outgoing(&self, new: NewOutgoing<'_>, now: Timestamp) -> Result<(Message, bool)> {
        let (_, message, created) = self.create_outgoing_after(None, new, now).await?;
        Ok((message, created))
    }

    /// [`Store::create_outgoing`], with `lead` (a template's media sent apart from its text)
    /// written just before `new` in the same transaction, so the outlet sends it first. The
    /// idempotency key is `new`'s: for a key already used, nothing is written (`lead` neither)
    /// and the existing message is returned as `(None, existing, false)`.
    pub async fn create_outgoing_after(
        &self,
        lead: Option<NewOutgoing<'_>>,
        new: NewOutgoing<'_>,
        now: Timestamp,
    ) -> Result<(Option<Message>, Message, bool)> {
        let sql = format!(
            "INSERT INTO messages (owner_id, outlet_id, direction, peer, body, status, api_key_id, idempotency_key,
                 created_at, updated_at, expires_at, kind, media_mime, media_name, media_size, quota_period)
             VALUES ($1, $2, 'out', $3, $4, 'pending', $5, $6, $7, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT DO NOTHING RETURNING {COLUMNS}"
        );
        let (lead_row, row): (Option<Row>, Option<Row>) = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            // Each message counts towards the month's quota; the plan's footer goes on the text.
            let count = if lead.is_some() { 2i64 } else { 1 };
            let terms = crate::billing::charge_messages!(tx, new.owner, count, now);
            let mut rows = Vec::with_capacity(2);
            for (i, new) in lead.iter().chain(std::iter::once(&new)).enumerate() {
                let media = new.media.as_ref();
                let last = i + 1 == usize::try_from(count).unwrap_or(1);
                let max = crate::billing::text_max(media.is_some());
                let body =
                    if last { crate::billing::with_footer(new.body, &terms.footer, max) } else { new.body.to_string() };
                let row: Option<Row> = sqlx::query_as(&sql)
                    .bind(new.owner.0)
                    .bind(new.outlet.0)
                    .bind(new.to)
                    .bind(&body)
                    .bind(new.api_key_id)
                    .bind(new.idempotency_key)
                    .bind(now.millis())
                    .bind(new.expires_at.map(Timestamp::millis))
                    .bind(media.map_or("text", |m| m.kind))
                    .bind(media.map(|m| m.mime))
                    .bind(media.map(|m| m.file_name))
                    .bind(media.map(|m| i64::try_from(m.data.len()).unwrap_or(i64::MAX)))
                    .bind(terms.quota_start.millis())
                    .fetch_optional(&mut *tx)
                    .await?;
                if let (Some(r), Some(m)) = (&row, media) {
                    sqlx::query("INSERT INTO message_media (message_id, data) VALUES ($1, $2)")
                        .bind(r.id)
                        .bind(m.data)
                        .execute(&mut *tx)
                        .await?;
                }
                rows.push(row);
            }
            let row = rows.pop().flatten();
            let lead_row = rows.pop().flatten();
            if row.is_some() {
                tx.commit().await?;
                (lead_row, row)
            } else {
                // The key was used: the lead written above goes too.
                tx.rollback().await?;
                (None, None)
            }
        });
        if let Some(created) = one(row)? {
            return Ok((one(lead_row)?, created, true));
        }
        let key = new.idempotency_key.ok_or_else(|| StoreError::Conflict(Taken::IdempotencyKey))?;
        let existing = self.message_by_idempotency_key(new.owner, key).await?.ok_or(StoreError::NotFound)?;
        Ok((None, existing, false))
    }

    /// The owner's message sent with this `Idempotency-Key`, if any.
    pub async fn message_by_idempotency_key(&self, owner: UserId, key: &str) -> Result<Option<Message>> {
        let sql = format!("SELECT {COLUMNS} FROM messages WHERE owner_id = $1 AND idempotency_key = $2");
        let row: Option<Row> =
            on_db!(self, read, pool => sqlx::query_as(&sql).bind(owner.0).bind(key).fetch_optional(pool).await)?;
        one(row)
    }

    /// Stores an incoming message once; `None` when this WhatsApp id was already stored.
    pub async fn record_inbound(&self, new: NewInbound<'_>, now: Timestamp) -> Result<Option<Message>> {
        let sql = format!(
            "INSERT INTO messages (owner_id, outlet_id, direction, peer, body, status, wa_message_id, created_at, updated_at,
                 kind, media_mime, media_name, media_size)
             VALUES ($1, $2, 'in', $3, $4, 'received', $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT DO NOTHING RETURNING {COLUMNS}"
        );
        let (message, written) = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let row: Option<Row> = sqlx::query_as(&sql)
                .bind(new.owner.0)
                .bind(new.outlet.0)
                .bind(new.from)
                .bind(new.body)
                .bind(new.wa_message_id)
                .bind(new.at.millis())
                .bind(now.millis())
                .bind(new.media.as_ref().map_or("text", |m| m.kind))
                .bind(new.media.as_ref().map(|m| m.mime))
                .bind(new.media.as_ref().map(|m| m.file_name))
                .bind(new.media.as_ref().map(|m| i64::try_from(m.data.len()).unwrap_or(i64::MAX)))
                .fetch_optional(&mut *tx)
                .await?;
            let Some(message) = one(row)? else { return Ok(None) };
            let event = WebhookEvent::new(message.owner_id, EventKind::MessageReceived, &message, now)
                .forwarded(Some(domain::ForwardEvent::MessageReceived), Some(message.outlet_id));
            let written = enqueue!(tx, event, now)?;
            if let Some(media) = &new.media {
                crate::integrations::keep_forward_media!(tx, &event.id, data: media.data, now);
            }
            tx.commit().await?;
            (message, written)
        });
        self.announce_deliveries(written);
        Ok(Some(message))
    }

    /// Fails the outlet's pending messages whose time ran out, then claims the oldest pending
    /// one (`sending`) for its device's session. Only that session claims for an outlet.
    /// Outlets with outgoing messages waiting (through the `messages_pending_out` index).
    pub async fn outlets_with_pending_messages(&self) -> Result<Vec<OutletId>> {
        let ids: Vec<i64> = on_db!(self, read, pool => sqlx::query_scalar(
            "SELECT DISTINCT outlet_id FROM messages WHERE direction = 'out' AND status = 'pending'"
        )
        .fetch_all(pool)
        .await?);
        Ok(ids.into_iter().map(OutletId).collect())
    }

    /// Also answers how many waiting messages ran out of time on the way (now `failed`).
    pub async fn claim_next_outgoing(&self, outlet: OutletId, now: Timestamp) -> Result<(Option<Message>, u64)> {
        let claim = format!(
            "UPDATE messages SET status = 'sending', attempts = attempts + 1, updated_at = $2
             WHERE id = (SELECT id FROM messages WHERE outlet_id = $1 AND direction = 'out' AND status = 'pending'
                         ORDER BY id LIMIT 1)
               AND status = 'pending'
             RETURNING {COLUMNS}"
        );
        let expire = format!(
            "UPDATE messages SET status = 'failed', error = '{EXPIRED}', updated_at = $2
             WHERE outlet_id = $1 AND direction = 'out' AND status = 'pending' AND expires_at IS NOT NULL AND expires_at <= $2
             RETURNING {COLUMNS}"
        );
        let (row, expired, written): (Option<Row>, u64, u64) = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let expired: Vec<Row> = sqlx::query_as(&expire).bind(outlet.0).bind(now.millis()).fetch_all(&mut *tx).await?;
            let count = expired.len() as u64;
            let (_, written) = status_events!(tx, expired, now);
            let row = sqlx::query_as(&claim).bind(outlet.0).bind(now.millis()).fetch_optional(&mut *tx).await?;
            tx.commit().await?;
            (row, count, written)
        });
        self.announce_deliveries(written);
        Ok((one(row)?, expired))
    }

    /// Records the engine's answer for a claimed message; `false` when the message was no longer
    /// `sending` (another writer, e.g. a restart's cleanup, got there first).
    pub async fn finish_outgoing(
        &self,
        id: i64,
        result: std::result::Result<&str, &str>,
        now: Timestamp,
    ) -> Result<bool> {
        let (status, wa_id, error) = match result {
            Ok(wa_id) => ("sent", Some(wa_id), ""),
            Err(e) => ("failed", None, e),
        };
        let sql = format!(
            "UPDATE messages SET status = $2, wa_message_id = $3, error = $4, updated_at = $5,
                 sent_at = CASE WHEN $2 = 'sent' THEN $5 ELSE sent_at END
             WHERE id = $1 AND status = 'sending' RETURNING {COLUMNS}"
        );
        let written = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let rows: Vec<Row> = sqlx::query_as(&sql)
                .bind(id)
                .bind(status)
                .bind(wa_id)
                .bind(error)
                .bind(now.millis())
                .fetch_all(&mut *tx)
                .await?;
            let changed = !rows.is_empty();
            let (_, written) = status_events!(tx, rows, now);
            tx.commit().await?;
            (changed, written)
        });
        let (changed, written) = written;
        self.announce_deliveries(written);
        Ok(changed)
    }

    /// The bytes of an image or document waiting to be sent.
    pub async fn message_media(&self, id: i64) -> Result<Option<Vec<u8>>> {
        Ok(on_db!(self, read, pool => sqlx::query_scalar("SELECT data FROM message_media WHERE message_id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await)?)
    }

    /// Puts a claimed message back in the queue (the device went away before sending).
    pub async fn release_outgoing(&self, id: i64, now: Timestamp) -> Result<()> {
        on_db!(self, write, pool => sqlx::query(
            "UPDATE messages SET status = 'pending', updated_at = $2 WHERE id = $1 AND status = 'sending'")
            .bind(id)
            .bind(now.millis())
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Fails every pending message whose time ran out, whether or not its device is connected.
    pub async fn expire_pending_messages(&self, now: Timestamp) -> Result<u64> {
        let sql = format!(
            "UPDATE messages SET status = 'failed', error = '{EXPIRED}', updated_at = $1
             WHERE direction = 'out' AND status = 'pending' AND expires_at IS NOT NULL AND expires_at <= $1
             RETURNING {COLUMNS}"
        );
        self.fail_with_events(&sql, None, now).await
    }

    /// Messages left `sending` by a crash may or may not have gone out; they are failed with a
    /// reason instead of being sent again. Returns how many.
    pub async fn fail_interrupted_sends(&self, outlet: OutletId, now: Timestamp) -> Result<u64> {
        let sql = format!(
            "UPDATE messages SET status = 'failed', updated_at = $1,
                 error = 'interrupted while sending (server restart); not sent again to avoid a duplicate'
             WHERE outlet_id = $2 AND direction = 'out' AND status = 'sending'
             RETURNING {COLUMNS}"
        );
        self.fail_with_events(&sql, Some(outlet), now).await
    }

    /// Runs a statement that fails messages (`$1` now, `$2` the outlet if any) and reports each
    /// one to webhooks in the same transaction.
    async fn fail_with_events(&self, sql: &str, outlet: Option<OutletId>, now: Timestamp) -> Result<u64> {
        let (failed, written) = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let mut q = sqlx::query_as(sql).bind(now.millis());
            if let Some(outlet) = outlet {
                q = q.bind(outlet.0);
            }
            let rows: Vec<Row> = q.fetch_all(&mut *tx).await?;
            let (failed, written) = status_events!(tx, rows, now);
            tx.commit().await?;
            (failed.len() as u64, written)
        });
        self.announce_deliveries(written);
        Ok(failed)
    }

    /// Applies a delivered/read receipt, only ever moving a status forward. One statement for
    /// all the receipt's message ids.
    pub async fn apply_receipt(
        &self,
        outlet: OutletId,
        wa_ids: &[String],
        to: MessageStatus,
        at: Timestamp,
    ) -> Result<u64> {
        let from = to.replaces();
        if from.is_empty() || wa_ids.is_empty() {
            return Ok(0);
        }
        let allowed: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        let column = if to == MessageStatus::Read { "read_at" } else { "delivered_at" };
        let ids: Vec<String> = (0..wa_ids.len()).map(|i| format!("${}", i + 4)).collect();
        let sql = format!(
            "UPDATE messages SET status = $2, {column} = $3, updated_at = $3
             WHERE outlet_id = $1 AND direction = 'out' AND wa_message_id IN ({})
               AND status IN ('{}')
             RETURNING {COLUMNS}",
            ids.join(", "),
            allowed.join("', '")
        );
        let (changed, written) = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let mut q = sqlx::query_as(&sql).bind(outlet.0).bind(to.as_str()).bind(at.millis());
            for id in wa_ids {
                q = q.bind(id);
            }
            let rows: Vec<Row> = q.fetch_all(&mut *tx).await?;
            let (changed, written) = status_events!(tx, rows, at);
            tx.commit().await?;
            (changed.len() as u64, written)
        });
        self.announce_deliveries(written);
        Ok(changed)
    }

    pub async fn message(&self, scope: Scope, id: i64) -> Result<Option<Message>> {
        let sql = format!("SELECT {COLUMNS} FROM messages WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)");
        let row: Option<Row> = on_db!(self, read, pool => sqlx::query_as(&sql)
            .bind(id)
            .bind(scope.owner().map(|u| u.0))
            .fetch_optional(pool)
            .await)?;
        one(row)
    }

    /// Newest first.
    pub async fn list_messages(&self, scope: Scope, filter: &MessageFilter, page: Page) -> Result<Paged<Message>> {
        let filter_sql =
            "($1 IS NULL OR owner_id = $1) AND ($2 IS NULL OR outlet_id = $2) AND ($3 IS NULL OR direction = $3)
            AND ($4 IS NULL OR status = $4) AND ($5 IS NULL OR created_at >= $5) AND ($6 IS NULL OR created_at < $6)";
        let list = format!("SELECT {COLUMNS} FROM messages WHERE {filter_sql} ORDER BY id DESC LIMIT $7 OFFSET $8");
        let count = format!("SELECT COUNT(*) FROM messages WHERE {filter_sql}");
        let owner = scope.owner().map(|u| u.0);
        let outlet = filter.outlet.map(|o| o.0);
        let direction = filter.direction.map(|d| d.as_str());
        let status = filter.status.map(|s| s.as_str());
        let since = filter.since.map(Timestamp::millis);
        let until = filter.until.map(Timestamp::millis);
        let (rows, total): (Vec<Row>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&list)
                .bind(owner).bind(outlet).bind(direction).bind(status).bind(since).bind(until)
                .bind(page.limit()).bind(page.offset())
                .fetch_all(pool).await?;
            let total = sqlx::query_scalar(&count)
                .bind(owner).bind(outlet).bind(direction).bind(status).bind(since).bind(until)
                .fetch_one(pool).await?;
            (rows, total)
        });
        let items = rows.into_iter().map(Message::try_from).collect::<Result<_>>()?;
        Ok(Paged::new(items, total, page))
    }
}
