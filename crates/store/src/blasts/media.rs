//! A blast's image or document (`blast_media`, one per blast, with how it goes with the text),
//! the messages a hand-off writes for it, and the per-recipient values of recipients that came
//! from an uploaded file (`blast_recipients.vars`).

use super::{select, Blast, Row};
use crate::{on_db, Result, Store, StoreError};
use domain::{BlastStatus, CaptionMode, Scope, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a blast's image or document is (never its bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BlastMedia {
    /// `image` or `document`.
    #[schema(example = "image")]
    pub kind: String,
    #[schema(example = "image/jpeg")]
    pub mime: String,
    #[schema(example = "promo.jpg")]
    pub file_name: String,
    /// Bytes.
    pub size: i64,
    /// `caption`: one media message whose caption is the recipient's text; `separate`: the media
    /// message (no caption), then the text.
    pub caption_mode: CaptionMode,
}

/// An image or document to keep with a blast (checked by the caller).
pub struct NewBlastMedia<'a> {
    /// `image` or `document`.
    pub kind: &'a str,
    pub mime: &'a str,
    pub file_name: &'a str,
    pub data: &'a [u8],
    pub caption_mode: CaptionMode,
}

/// The values a file's row gave a recipient who is no contact, kept as JSON in
/// `blast_recipients.vars`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileValues {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

impl FileValues {
    /// Written by us: anything unreadable counts as no values.
    pub fn parse(json: &str) -> FileValues {
        serde_json::from_str(json).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// Recipients of a blast as a duplicate or a resend takes them: id, number, file values.
pub type RecipientRows = Vec<(i64, String, Option<String>)>;

/// Inside a transaction: writes `$media` (a [`NewBlastMedia`]) for blast `$blast`.
macro_rules! insert {
    ($tx:expr, $blast:expr, $media:expr) => {
        sqlx::query(
            "INSERT INTO blast_media (blast_id, kind, mime, file_name, size, data, caption_mode)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (blast_id) DO UPDATE SET kind = excluded.kind, mime = excluded.mime,
                 file_name = excluded.file_name, size = excluded.size, data = excluded.data,
                 caption_mode = excluded.caption_mode",
        )
        .bind($blast)
        .bind($media.kind)
        .bind($media.mime)
        .bind($media.file_name)
        .bind(i64::try_from($media.data.len()).unwrap_or(i64::MAX))
        .bind($media.data)
        .bind($media.caption_mode.as_str())
        .execute(&mut *$tx)
        .await?
    };
}
pub(super) use insert;

/// Inside a hand-off's transaction: the outbox messages for one recipient, as
/// `(lead media message, text or captioned message)`. Without media one text message; as a
/// caption one media message whose body is the text; separate, the media message without
/// caption written first (so the device sends it first), then the text. Each media message
/// gets its own copy of the bytes, copied inside the database.
macro_rules! write_messages {
    ($tx:expr, $blast:expr, $h:expr, $number:expr, $text:expr, $quota_period:expr, $now:expr) => {{
        let insert = "INSERT INTO messages (owner_id, outlet_id, direction, peer, body, status, created_at, updated_at,
                 expires_at, kind, media_mime, media_name, media_size, quota_period)
             VALUES ($1, $2, 'out', $3, $4, 'pending', $5, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
        let copy = "INSERT INTO message_media (message_id, data) SELECT $1, data FROM blast_media WHERE blast_id = $2";
        let media = $blast.media.as_ref();
        let mut lead: Option<i64> = None;
        if let Some(m) = media.filter(|m| m.caption_mode == domain::CaptionMode::Separate) {
            let id: i64 = sqlx::query_scalar(insert)
                .bind($blast.owner_id.0)
                .bind($h.outlet.0)
                .bind(&$number)
                .bind("")
                .bind($now.millis())
                .bind($h.expires_at.map(Timestamp::millis))
                .bind(m.kind.as_str())
                .bind(Some(m.mime.as_str()))
                .bind(Some(m.file_name.as_str()))
                .bind(Some(m.size))
                .bind($quota_period.millis())
                .fetch_one(&mut *$tx)
                .await?;
            sqlx::query(copy).bind(id).bind($blast.id).execute(&mut *$tx).await?;
            lead = Some(id);
        }
        let captioned = media.filter(|m| m.caption_mode == domain::CaptionMode::Caption);
        let message: i64 = sqlx::query_scalar(insert)
            .bind($blast.owner_id.0)
            .bind($h.outlet.0)
            .bind(&$number)
            .bind(&$text)
            .bind($now.millis())
            .bind($h.expires_at.map(Timestamp::millis))
            .bind(captioned.map_or("text", |m| m.kind.as_str()))
            .bind(captioned.map(|m| m.mime.as_str()))
            .bind(captioned.map(|m| m.file_name.as_str()))
            .bind(captioned.map(|m| m.size))
            .bind($quota_period.millis())
            .fetch_one(&mut *$tx)
            .await?;
        if captioned.is_some() {
            sqlx::query(copy).bind(message).bind($blast.id).execute(&mut *$tx).await?;
        }
        (lead, message)
    }};
}
pub(super) use write_messages;

/// What a change of a draft's media found: the blast after it, or the status that forbids it.
pub type DraftChange = std::result::Result<Blast, BlastStatus>;

impl Store {
    /// Puts an image or document on a draft blast, replacing the one it had. `NotFound` outside
    /// `scope`; `Err(status)` when the blast is no longer a draft (checked in the transaction).
    pub async fn put_blast_media(
        &self,
        scope: Scope,
        id: i64,
        media: NewBlastMedia<'_>,
        now: Timestamp,
    ) -> Result<DraftChange> {
        self.change_draft_media(scope, id, Some(media), now).await
    }

    /// Takes a draft blast's image or document away (nothing to take is fine).
    pub async fn remove_blast_media(&self, scope: Scope, id: i64, now: Timestamp) -> Result<DraftChange> {
        self.change_draft_media(scope, id, None, now).await
    }

    async fn change_draft_media(
        &self,
        scope: Scope,
        id: i64,
        media: Option<NewBlastMedia<'_>>,
        now: Timestamp,
    ) -> Result<DraftChange> {
        let reread = format!("{} WHERE b.id = $1", select());
        on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            // Takes the blast's row first (a row lock on PostgreSQL), so a start waits for this.
            let status: Option<String> = sqlx::query_scalar(
                "UPDATE blasts SET updated_at = updated_at WHERE id = $1 AND ($2 IS NULL OR owner_id = $2) RETURNING status")
                .bind(id).bind(scope.owner().map(|u| u.0)).fetch_optional(&mut *tx).await?;
            let status: BlastStatus = status
                .ok_or(StoreError::NotFound)?
                .parse()
                .map_err(|e: domain::UnknownValue| StoreError::Corrupt(e.to_string()))?;
            if status != BlastStatus::Draft {
                return Ok(Err(status));
            }
            let changed = match &media {
                Some(m) => {
                    insert!(tx, id, m);
                    true
                }
                None => sqlx::query("DELETE FROM blast_media WHERE blast_id = $1")
                    .bind(id).execute(&mut *tx).await?.rows_affected() > 0,
            };
            if changed {
                sqlx::query("UPDATE blasts SET updated_at = $2 WHERE id = $1")
                    .bind(id).bind(now.millis()).execute(&mut *tx).await?;
            }
            let row: Row = sqlx::query_as(&reread).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(Ok(Blast::try_from(row)?))
        })
    }

    /// The blast's image or document with its bytes; `None` when it has none or is outside
    /// `scope`.
    pub async fn blast_media(&self, scope: Scope, id: i64) -> Result<Option<(BlastMedia, Vec<u8>)>> {
        #[derive(sqlx::FromRow)]
        struct MediaRow {
            kind: String,
            mime: String,
            file_name: String,
            size: i64,
            data: Vec<u8>,
            caption_mode: String,
        }
        let row: Option<MediaRow> = on_db!(self, read, pool => sqlx::query_as(
            "SELECT m.kind, m.mime, m.file_name, m.size, m.data, m.caption_mode FROM blast_media m
             JOIN blasts b ON b.id = m.blast_id
             WHERE m.blast_id = $1 AND ($2 IS NULL OR b.owner_id = $2)")
            .bind(id)
            .bind(scope.owner().map(|u| u.0))
            .fetch_optional(pool)
            .await)?;
        let Some(r) = row else { return Ok(None) };
        let caption_mode =
            r.caption_mode.parse().map_err(|e| StoreError::Corrupt(format!("blast caption mode: {e}")))?;
        let about = BlastMedia { kind: r.kind, mime: r.mime, file_name: r.file_name, size: r.size, caption_mode };
        Ok(Some((about, r.data)))
    }

    /// Recipients after `after_id` in id order with their file values, only failed ones when
    /// asked (what a duplicate or a resend of a blast takes over).
    pub async fn blast_recipient_rows_after(
        &self,
        blast: i64,
        failed_only: bool,
        after_id: i64,
        limit: i64,
    ) -> Result<RecipientRows> {
        Ok(on_db!(self, read, pool => sqlx::query_as(
            // A row the file's checks refused (`… (line N)`) was never a recipient to copy.
            "SELECT id, wa_number, vars FROM blast_recipients
             WHERE blast_id = $1 AND ($2 = FALSE OR status = 'failed') AND id > $3
               AND NOT (status = 'skipped' AND reason LIKE '% (line %')
             ORDER BY id LIMIT $4")
            .bind(blast).bind(failed_only).bind(after_id).bind(limit)
            .fetch_all(pool).await)?)
    }
}
