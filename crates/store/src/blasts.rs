//! Blasts: a campaign with one row per recipient, planned in one transaction with batched
//! inserts, handed to the outbox one recipient at a time per outlet share, and kept in step with
//! the outbox: every message status change is mirrored onto its recipient and the blast's
//! counters in the transaction that makes it (`mirror_to_blast!`, used by `messages.rs`).
//! Counters are never counted on read.

mod media;
mod outlets;
mod planning;
mod schedules;

pub(crate) use outlets::release_outlet;

pub use media::{BlastMedia, DraftChange, FileValues, NewBlastMedia, RecipientRows};
pub use planning::{ContactAudience, Recipients};
pub use schedules::{BlastSchedule, NewSchedule, ScheduleAdvance};

use crate::deliveries::{enqueue, WebhookEvent};
use crate::{on_db, Page, Paged, Refusal, Result, Store, StoreError};
use domain::{BlastStatus, EventKind, OutletId, RecipientStatus, Scope, Timestamp, UserId};
use serde::Serialize;
use std::collections::BTreeMap;

/// Recipient rows written per INSERT statement when a blast is planned.
pub const PLAN_BATCH: usize = 500;

/// How many recipients the counters say are in each state; they always add up to `total`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BlastCounters {
    pub total: i64,
    /// Not yet handed to a device.
    pub pending: i64,
    /// In the outbox, in the device's hands.
    pub queued: i64,
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    pub skipped: i64,
}

/// How a blast paces its sends, per device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = BlastPacing)]
pub struct Pacing {
    /// The least random gap between two sends of one device, in seconds.
    pub gap_min_secs: i64,
    pub gap_max_secs: i64,
    /// The most messages one device hands over per local day (all blasts together).
    pub daily_cap: i64,
    /// Sends happen from this minute after local midnight…
    pub window_start_min: i64,
    /// …until this one (equal: any time).
    pub window_end_min: i64,
    /// The owner's time zone, for the window and the day of the cap.
    pub time_zone: String,
    /// Skip a number that got the same text in the last 24 hours.
    pub skip_recent_duplicates: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Blast {
    pub id: i64,
    pub owner_id: UserId,
    pub name: String,
    pub status: BlastStatus,
    pub template_id: Option<i64>,
    /// The text (a template's body when made from one), rendered per recipient.
    pub body: String,
    pub pacing: Pacing,
    /// The outlets as asked for.
    #[schema(value_type = Object)]
    pub outlets: serde_json::Value,
    /// The recipients as asked for.
    #[schema(value_type = Object)]
    pub recipients: serde_json::Value,
    pub start_at: Option<Timestamp>,
    pub schedule_id: Option<i64>,
    /// The image or document sent with the text, if any (its bytes: `GET /api/blasts/{id}/media`).
    pub media: Option<BlastMedia>,
    pub counters: BlastCounters,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

/// A blast to write, with its recipients.
pub struct NewBlast<'a> {
    pub owner: UserId,
    pub name: &'a str,
    pub status: BlastStatus,
    pub template_id: Option<i64>,
    pub body: &'a str,
    pub pacing: &'a Pacing,
    pub outlet_choice: &'a serde_json::Value,
    pub recipient_choice: &'a serde_json::Value,
    pub start_at: Option<Timestamp>,
    pub schedule_id: Option<i64>,
    /// The outlets whose shares the recipients are spread over.
    pub outlets: &'a [OutletId],
    /// An image or document to send with the text (written with the blast).
    pub media: Option<NewBlastMedia<'a>>,
}

/// One recipient as planned: `pending` with an outlet, or `skipped` with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRecipient {
    pub contact_id: Option<i64>,
    pub wa_number: String,
    pub outlet_id: Option<OutletId>,
    pub status: RecipientStatus,
    pub reason: std::borrow::Cow<'static, str>,
    /// For a recipient from an uploaded file who is no contact: `{"name", "fields"}` as JSON,
    /// which the text is rendered from.
    pub vars: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BlastRecipient {
    pub id: i64,
    pub contact_id: Option<i64>,
    pub wa_number: String,
    pub outlet_id: Option<OutletId>,
    pub status: RecipientStatus,
    /// Why it was skipped or failed.
    pub reason: String,
    pub message_id: Option<i64>,
    pub updated_at: Timestamp,
}

/// One outlet's share of a blast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BlastShare {
    pub outlet_id: OutletId,
    pub outlet_name: String,
    /// Recipients of this share not yet handed to the device.
    pub pending: i64,
    /// The earliest time the next one may go.
    pub next_send_at: Timestamp,
    /// Why this share waits (its device is not connected, say); none while it sends.
    pub paused_reason: Option<String>,
}

/// A contact as a blast's planning sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AudienceMember {
    pub id: i64,
    pub wa_number: String,
    pub home_outlet_id: Option<i64>,
    pub opted_out_at: Option<i64>,
    pub blocked: bool,
}

/// Whom a blast's audience is drawn from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience<'a> {
    All,
    Tags(&'a [i64]),
    Contacts(&'a [i64]),
    Numbers(&'a [String]),
}

/// What a recipient's text is rendered from.
pub struct RecipientValues<'a> {
    pub name: &'a str,
    pub phone: &'a str,
    pub fields: &'a BTreeMap<String, String>,
    /// The contact's home outlet's name, if any.
    pub home_outlet: Option<&'a str>,
}

/// One hand-off for one outlet's share.
pub struct Handoff<'a> {
    pub blast: &'a Blast,
    pub outlet: OutletId,
    /// When this share may send again after this one (now + a random gap).
    pub next_send_at: Timestamp,
    /// The local day the daily cap counts in, and when the next one begins.
    pub day: &'a str,
    pub next_day: Timestamp,
    pub expires_at: Option<Timestamp>,
    /// The longest caption a media message may have: a longer rendered text is skipped
    /// (`caption_too_long`) when the blast's media goes as its caption.
    pub max_caption_chars: usize,
}

/// What one hand-off did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handed {
    /// The share is paused, not due, or its blast no longer runs.
    NotDue,
    /// The device reached its daily cap: the share waits until the next day.
    CapReached,
    /// No recipient of this share is pending (after `skipped` were skipped).
    Exhausted { skipped: u64 },
    /// One message was written to the outbox.
    Queued { message_id: i64, skipped: u64 },
    /// The owner's messages for the month are used up: the share looks again in a while.
    QuotaReached { skipped: u64 },
}

/// How long a share waits after the month's quota ran out before it looks again.
const QUOTA_RETRY_SECS: i64 = 300;

/// A contact as a hand-off re-checks it: name, fields, opted out at, blocked, home outlet name.
type ContactCheck = (String, String, Option<i64>, bool, Option<String>);
/// outlet, outlet name, pending, next send, paused reason.
type ShareRow = (i64, String, i64, i64, Option<String>);
/// blast, then a [`ShareRow`].
type ActiveShareRow = (i64, i64, String, i64, i64, Option<String>);

/// At most this many recipients are skipped in one hand-off transaction.
const MAX_SKIPS: u64 = 200;

/// A blast with its counters: its own row's (recipients skipped at planning, the total) plus
/// its shares'. Append `WHERE …` on `b`.
fn select() -> String {
    let mut sql = String::from(
        "SELECT b.id, b.owner_id, b.name, b.status, b.template_id, b.body, b.gap_min_secs, b.gap_max_secs, b.daily_cap,
             b.window_start_min, b.window_end_min, b.time_zone, b.skip_recent_duplicates, b.outlet_choice,
             b.recipient_choice, b.start_at, b.schedule_id, b.total, b.created_at, b.updated_at, b.started_at, b.finished_at,
             m.kind AS media_kind, m.mime AS media_mime, m.file_name AS media_name, m.size AS media_size,
             m.caption_mode AS media_caption_mode",
    );
    for c in ["pending", "queued", "sent", "delivered", "read", "failed", "skipped"] {
        sql.push_str(&format!(
            ", b.{c} + (SELECT CAST(COALESCE(SUM(s.{c}), 0) AS BIGINT) FROM blast_outlets s WHERE s.blast_id = b.id) AS {c}"
        ));
    }
    // At most one media row per blast (its primary key), and never its bytes.
    sql.push_str(" FROM blasts b LEFT JOIN blast_media m ON m.blast_id = b.id ");
    sql
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    owner_id: i64,
    name: String,
    status: String,
    template_id: Option<i64>,
    body: String,
    gap_min_secs: i64,
    gap_max_secs: i64,
    daily_cap: i64,
    window_start_min: i64,
    window_end_min: i64,
    time_zone: String,
    skip_recent_duplicates: bool,
    outlet_choice: String,
    recipient_choice: String,
    start_at: Option<i64>,
    schedule_id: Option<i64>,
    total: i64,
    pending: i64,
    queued: i64,
    sent: i64,
    delivered: i64,
    read: i64,
    failed: i64,
    skipped: i64,
    created_at: i64,
    updated_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    media_kind: Option<String>,
    media_mime: Option<String>,
    media_name: Option<String>,
    media_size: Option<i64>,
    media_caption_mode: Option<String>,
}

impl TryFrom<Row> for Blast {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Blast> {
        let json = |s: &str| serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("blast choice: {e}")));
        let media = match (r.media_kind, r.media_mime, r.media_name, r.media_size, r.media_caption_mode) {
            (Some(kind), Some(mime), Some(file_name), Some(size), Some(mode)) => Some(BlastMedia {
                kind,
                mime,
                file_name,
                size,
                caption_mode: mode.parse().map_err(|e| StoreError::Corrupt(format!("blast caption mode: {e}")))?,
            }),
            _ => None,
        };
        Ok(Blast {
            id: r.id,
            owner_id: UserId(r.owner_id),
            name: r.name,
            status: r.status.parse().map_err(|e: domain::UnknownValue| StoreError::Corrupt(e.to_string()))?,
            template_id: r.template_id,
            body: r.body,
            pacing: Pacing {
                gap_min_secs: r.gap_min_secs,
                gap_max_secs: r.gap_max_secs,
                daily_cap: r.daily_cap,
                window_start_min: r.window_start_min,
                window_end_min: r.window_end_min,
                time_zone: r.time_zone,
                skip_recent_duplicates: r.skip_recent_duplicates,
            },
            outlets: json(&r.outlet_choice)?,
            recipients: json(&r.recipient_choice)?,
            start_at: r.start_at.map(Timestamp),
            schedule_id: r.schedule_id,
            media,
            counters: BlastCounters {
                total: r.total,
                pending: r.pending,
                queued: r.queued,
                sent: r.sent,
                delivered: r.delivered,
                read: r.read,
                failed: r.failed,
                skipped: r.skipped,
            },
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
            started_at: r.started_at.map(Timestamp),
            finished_at: r.finished_at.map(Timestamp),
        })
    }
}

#[derive(sqlx::FromRow)]
struct RecipientRow {
    id: i64,
    contact_id: Option<i64>,
    wa_number: String,
    outlet_id: Option<i64>,
    status: String,
    reason: String,
    message_id: Option<i64>,
    updated_at: i64,
}

impl TryFrom<RecipientRow> for BlastRecipient {
    type Error = StoreError;
    fn try_from(r: RecipientRow) -> Result<BlastRecipient> {
        Ok(BlastRecipient {
            id: r.id,
            contact_id: r.contact_id,
            wa_number: r.wa_number,
            outlet_id: r.outlet_id.map(OutletId),
            status: r.status.parse().map_err(|e: domain::UnknownValue| StoreError::Corrupt(e.to_string()))?,
            reason: r.reason,
            message_id: r.message_id,
            updated_at: Timestamp(r.updated_at),
        })
    }
}

/// The counter column of a recipient state (a fixed name, safe to put in SQL text).
pub(crate) fn counter(status: RecipientStatus) -> &'static str {
    status.as_str()
}

/// Inside a transaction, for one outgoing message whose status changed: moves its blast
/// recipient (if it has one) to the matching state and the blast's counters with it. Used by
/// `status_events!` in `messages.rs`, so no status change of a blast's message goes unmirrored.
macro_rules! mirror_to_blast {
    ($tx:expr, $message:expr, $now:expr) => {
        if let Some(to) = domain::RecipientStatus::of_message($message.status) {
            // The text message's recipient; or, for a failed media message sent apart from its
            // text (separate mode), the recipient it led: the recipient fails with the reason
            // `media: …` and stays failed whatever the text's receipts say (they did not get
            // what the blast sent).
            let media_failed = to == domain::RecipientStatus::Failed && $message.kind != "text";
            let mut found: Option<(i64, i64, Option<i64>, String, String)> = sqlx::query_as(
                "SELECT id, blast_id, outlet_id, status, reason FROM blast_recipients WHERE message_id = $1",
            )
            .bind($message.id)
            .fetch_optional(&mut *$tx)
            .await?;
            let mut lead = false;
            if found.is_none() && media_failed {
                found = sqlx::query_as(
                    "SELECT id, blast_id, outlet_id, status, reason FROM blast_recipients WHERE lead_message_id = $1",
                )
                .bind($message.id)
                .fetch_optional(&mut *$tx)
                .await?;
                lead = found.is_some();
            }
            if let Some((recipient, blast, outlet, from, was)) = found {
                let from: domain::RecipientStatus =
                    from.parse().map_err(|e: domain::UnknownValue| $crate::StoreError::Corrupt(e.to_string()))?;
                let media_lost = from == domain::RecipientStatus::Failed && was.starts_with("media: ");
                if from != to && !media_lost {
                    let reason = match (to == domain::RecipientStatus::Failed, lead) {
                        (true, true) => format!("media: {}", $message.error),
                        (true, false) => $message.error.clone(),
                        (false, _) => String::new(),
                    };
                    // Conditional on the state read, so the counters move only with the row
                    // (the text and its media are two messages whose changes may interleave).
                    let moved = sqlx::query(
                        "UPDATE blast_recipients SET status = $2, reason = $3, updated_at = $4 WHERE id = $1 AND status = $5",
                    )
                    .bind(recipient)
                    .bind(to.as_str())
                    .bind(reason)
                    .bind($now.millis())
                    .bind(from.as_str())
                    .execute(&mut *$tx)
                    .await?
                    .rows_affected();
                    if moved == 1 {
                        let (f, t) = ($crate::blasts::counter(from), $crate::blasts::counter(to));
                        // The share's counters: this device's changes do not wait on another's.
                        sqlx::query(&format!(
                            "UPDATE blast_outlets SET {f} = {f} - 1, {t} = {t} + 1 WHERE blast_id = $1 AND outlet_id = $2"
                        ))
                        .bind(blast)
                        .bind(outlet)
                        .execute(&mut *$tx)
                        .await?;
                    }
                }
            }
        }
    };
}
pub(crate) use mirror_to_blast;

/// Inside a transaction: a `blast.status` webhook event for a blast whose status changed.
macro_rules! status_event {
    ($tx:expr, $blast:expr, $now:expr) => {{
        let finished = ($blast.status == BlastStatus::Completed).then_some(domain::ForwardEvent::BlastFinished);
        let event = WebhookEvent::new($blast.owner_id, EventKind::BlastStatus, &$blast, $now).forwarded(finished, None);
        enqueue!($tx, event, $now)
    }};
}

/// Counts `n` planned recipients of one status (and outlet) into a new blast's counters: the
/// pending ones on their outlet's share, the rest on the blast's own row.
fn count_planned(
    counters: &mut BlastCounters,
    per_outlet: &mut BTreeMap<i64, i64>,
    status: RecipientStatus,
    outlet: Option<i64>,
    n: i64,
) {
    counters.total += n;
    match (status, outlet) {
        (RecipientStatus::Skipped, _) => counters.skipped += n,
        (_, Some(o)) => *per_outlet.entry(o).or_default() += n,
        (_, None) => counters.pending += n,
    }
}

impl Blast {
    /// Messages each recipient gets: two when its media goes separately from the text.
    pub fn messages_per_recipient(&self) -> i64 {
        match &self.media {
            Some(m) if m.caption_mode == domain::CaptionMode::Separate => 2,
            _ => 1,
        }
    }
}

fn one(row: Option<Row>) -> Result<Option<Blast>> {
    row.map(Blast::try_from).transpose()
}

fn json_text(v: &serde_json::Value) -> String {
    v.to_string()
}

impl Store {
    /// Writes a blast with every recipient in one transaction: recipients in multi-row INSERTs
    /// of [`PLAN_BATCH`], the outlet shares with their pending counts, the counters, and a
    /// `blast.status` event. With `advance`, the schedule that asked for this run moves to its
    /// next run in the same transaction; `None` when another process already made this run.
    pub async fn create_blast(
        &self,
        new: NewBlast<'_>,
        recipients: Recipients<'_>,
        advance: Option<ScheduleAdvance>,
        now: Timestamp,
    ) -> Result<Option<Blast>> {
        let mut counters = BlastCounters::default();
        let mut per_outlet: BTreeMap<i64, i64> = new.outlets.iter().map(|o| (o.0, 0)).collect();
        if let Recipients::Planned(planned) = recipients {
            for r in planned {
                count_planned(&mut counters, &mut per_outlet, r.status, r.outlet_id.map(|o| o.0), 1);
            }
        }
        let started = (new.status == BlastStatus::Running).then_some(now.millis());
        let insert = "INSERT INTO blasts (owner_id, name, status, template_id, body, gap_min_secs, gap_max_secs, daily_cap,
                 window_start_min, window_end_min, time_zone, skip_recent_duplicates, outlet_choice, recipient_choice,
                 start_at, schedule_id, total, pending, skipped, created_at, updated_at, started_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20, $21)
             RETURNING id";
        let reread = format!("{} WHERE b.id = $1", select());
        let p = new.pacing;
        let (outlet_choice, recipient_choice) = (json_text(new.outlet_choice), json_text(new.recipient_choice));
        let (blast, written) = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            if let Some(a) = &advance {
                if !schedules::advance!(tx, a, now) {
                    return Ok(None);
                }
            }
            let id: i64 = sqlx::query_scalar(insert)
                .bind(new.owner.0).bind(new.name).bind(new.status.as_str()).bind(new.template_id).bind(new.body)
                .bind(p.gap_min_secs).bind(p.gap_max_secs).bind(p.daily_cap).bind(p.window_start_min)
                .bind(p.window_end_min).bind(&p.time_zone).bind(p.skip_recent_duplicates).bind(&outlet_choice)
                .bind(&recipient_choice).bind(new.start_at.map(Timestamp::millis)).bind(new.schedule_id)
                .bind(counters.total).bind(counters.pending).bind(counters.skipped).bind(now.millis()).bind(started)
                .fetch_one(&mut *tx)
                .await?;
            match recipients {
                // Values written into the statement text (numbers, ids and fixed words; any
                // other text quoted): sqlx binds 500,000 values three times slower than SQLite
                // parses them.
                Recipients::Planned(planned) => {
                    for chunk in planned.chunks(PLAN_BATCH) {
                        let sql = recipient_values(id, new.owner, now, chunk);
                        sqlx::query(&sql).persistent(false).execute(&mut *tx).await?;
                    }
                }
                // Decided in the database; counted from the rows just written (in this
                // transaction's pages), and refused when there are none or too many.
                Recipients::Contacts(audience) => {
                    let sql = planning::insert_contacts(id, new.owner, now, new.outlets, &audience);
                    sqlx::query(&sql).persistent(false).execute(&mut *tx).await?;
                    let groups: Vec<(Option<i64>, String, i64)> = sqlx::query_as(
                        "SELECT outlet_id, status, COUNT(*) FROM blast_recipients WHERE blast_id = $1 GROUP BY outlet_id, status")
                        .bind(id).fetch_all(&mut *tx).await?;
                    for (outlet, status, n) in groups {
                        let status: RecipientStatus = status.parse().map_err(|e: domain::UnknownValue| StoreError::Corrupt(e.to_string()))?;
                        count_planned(&mut counters, &mut per_outlet, status, outlet, n);
                    }
                    if counters.total == 0 {
                        return Err(StoreError::Refused(Refusal::BlastWithoutRecipients));
                    }
                    if counters.total > audience.max {
                        return Err(StoreError::Refused(Refusal::BlastTooLarge));
                    }
                    sqlx::query("UPDATE blasts SET total = $2, pending = $3, skipped = $4 WHERE id = $1")
                        .bind(id).bind(counters.total).bind(counters.pending).bind(counters.skipped)
                        .execute(&mut *tx).await?;
                }
            }
            for (outlet, pending) in &per_outlet {
                sqlx::query("INSERT INTO blast_outlets (blast_id, outlet_id, pending, next_send_at) VALUES ($1, $2, $3, $4)")
                    .bind(id).bind(outlet).bind(pending).bind(now.millis())
                    .execute(&mut *tx).await?;
            }
            if let Some(m) = &new.media {
                media::insert!(tx, id, m);
            }
            let row: Row = sqlx::query_as(&reread).bind(id).fetch_one(&mut *tx).await?;
            let blast = Blast::try_from(row)?;
            let written = status_event!(tx, blast, now)?;
            tx.commit().await?;
            (blast, written)
        });
        self.announce_deliveries(written);
        Ok(Some(blast))
    }

    pub async fn blast(&self, scope: Scope, id: i64) -> Result<Option<Blast>> {
        let sql = format!("{} WHERE b.id = $1 AND ($2 IS NULL OR b.owner_id = $2)", select());
        let row: Option<Row> = on_db!(self, read, pool => sqlx::query_as(&sql)
            .bind(id).bind(scope.owner().map(|u| u.0)).fetch_optional(pool).await)?;
        one(row)
    }

    /// Newest first.
    pub async fn list_blasts(&self, scope: Scope, status: Option<BlastStatus>, page: Page) -> Result<Paged<Blast>> {
        let filter = "($1 IS NULL OR owner_id = $1) AND ($2 IS NULL OR status = $2)";
        let list = format!(
            "{} WHERE ($1 IS NULL OR b.owner_id = $1) AND ($2 IS NULL OR b.status = $2) ORDER BY b.id DESC LIMIT $3 OFFSET $4",
            select()
        );
        let count = format!("SELECT COUNT(*) FROM blasts WHERE {filter}");
        let owner = scope.owner().map(|u| u.0);
        let status = status.map(BlastStatus::as_str);
        let (rows, total): (Vec<Row>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&list).bind(owner).bind(status).bind(page.limit()).bind(page.offset())
                .fetch_all(pool).await?;
            let total = sqlx::query_scalar(&count).bind(owner).bind(status).fetch_one(pool).await?;
            (rows, total)
        });
        let items = rows.into_iter().map(Blast::try_from).collect::<Result<_>>()?;
        Ok(Paged::new(items, total, page))
    }

    /// The blast's outlet shares, by outlet name.
    pub async fn blast_shares(&self, blast: i64) -> Result<Vec<BlastShare>> {
        let rows: Vec<ShareRow> = on_db!(self, read, pool => sqlx::query_as(
            "SELECT bo.outlet_id, o.name, bo.pending, bo.next_send_at, bo.paused_reason
             FROM blast_outlets bo JOIN outlets o ON o.id = bo.outlet_id WHERE bo.blast_id = $1 ORDER BY o.name, o.id")
            .bind(blast).fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|(outlet, name, pending, next, paused)| BlastShare {
                outlet_id: OutletId(outlet),
                outlet_name: name,
                pending,
                next_send_at: Timestamp(next),
                paused_reason: paused,
            })
            .collect())
    }

    /// Changes a blast's status (and, with `start_at`, when it starts) if the lifecycle allows it
    /// from where it is now (checked in the statement, so two requests cannot both win); `None`
    /// when it does not. A cancel skips
    /// every recipient still pending ("cancelled"); those already queued are the device's.
    pub async fn change_blast_status(
        &self,
        scope: Scope,
        id: i64,
        to: BlastStatus,
        start_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Option<Blast>> {
        let from: Vec<String> = domain::blast_sources(to).iter().map(|s| format!("'{}'", s.as_str())).collect();
        let sql = format!(
            "UPDATE blasts SET status = $3, updated_at = $4, start_at = COALESCE($5, start_at),
                 started_at = CASE WHEN $3 = 'running' AND started_at IS NULL THEN $4 ELSE started_at END,
                 finished_at = CASE WHEN $3 IN ('completed', 'cancelled', 'failed') THEN $4 ELSE finished_at END
             WHERE id = $1 AND ($2 IS NULL OR owner_id = $2) AND status IN ({})
             RETURNING id",
            from.join(", ")
        );
        let reread = format!("{} WHERE b.id = $1", select());
        let (blast, written) = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let changed: Option<i64> = sqlx::query_scalar(&sql)
                .bind(id).bind(scope.owner().map(|u| u.0)).bind(to.as_str()).bind(now.millis())
                .bind(start_at.map(Timestamp::millis))
                .fetch_optional(&mut *tx).await?;
            if changed.is_none() {
                return Ok(None);
            }
            if to == BlastStatus::Cancelled {
                sqlx::query(
                    "UPDATE blast_recipients SET status = 'skipped', reason = 'cancelled', updated_at = $2
                     WHERE blast_id = $1 AND status = 'pending'")
                    .bind(id).bind(now.millis()).execute(&mut *tx).await?;
                sqlx::query("UPDATE blast_outlets SET skipped = skipped + pending, pending = 0 WHERE blast_id = $1")
                    .bind(id).execute(&mut *tx).await?;
                sqlx::query("UPDATE blasts SET skipped = skipped + pending, pending = 0 WHERE id = $1")
                    .bind(id).execute(&mut *tx).await?;
            }
            let row: Row = sqlx::query_as(&reread).bind(id).fetch_one(&mut *tx).await?;
            let blast = Blast::try_from(row)?;
            let written = status_event!(tx, blast, now)?;
            tx.commit().await?;
            (Some(blast), written)
        });
        self.announce_deliveries(written);
        Ok(blast)
    }

    /// Starts the scheduled blasts whose time has come.
    pub async fn start_due_blasts(&self, now: Timestamp) -> Result<Vec<Blast>> {
        let sql = "UPDATE blasts SET status = 'running', started_at = $1, updated_at = $1
             WHERE status = 'scheduled' AND start_at <= $1 RETURNING id";
        self.lifecycle_sweep(sql, now).await
    }

    /// Running blasts with nothing left pending or queued (on their row or any share) become
    /// `completed`, or `failed` when nothing was sent and something failed. (A deleted outlet's
    /// share was folded into its blast's row by `release_outlet!`.)
    pub async fn finish_done_blasts(&self, now: Timestamp) -> Result<Vec<Blast>> {
        // `failed` when not one message went out and some failed (its outlets were deleted, say).
        let sql = "UPDATE blasts SET updated_at = $1, finished_at = $1,
                 status = CASE WHEN sent + delivered + read + COALESCE((SELECT SUM(bo.sent + bo.delivered + bo.read)
                                   FROM blast_outlets bo WHERE bo.blast_id = blasts.id), 0) = 0
                               AND failed + COALESCE((SELECT SUM(bo.failed) FROM blast_outlets bo
                                   WHERE bo.blast_id = blasts.id), 0) > 0
                          THEN 'failed' ELSE 'completed' END
             WHERE status = 'running' AND pending = 0 AND queued = 0
               AND NOT EXISTS (SELECT 1 FROM blast_outlets bo WHERE bo.blast_id = blasts.id AND (bo.pending > 0 OR bo.queued > 0))
             RETURNING id";
        self.lifecycle_sweep(sql, now).await
    }

    async fn lifecycle_sweep(&self, sql: &str, now: Timestamp) -> Result<Vec<Blast>> {
        let reread = format!("{} WHERE b.id = $1", select());
        let (blasts, written) = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let ids: Vec<i64> = sqlx::query_scalar(sql).bind(now.millis()).fetch_all(&mut *tx).await?;
            let mut blasts = Vec::with_capacity(ids.len());
            let mut written = 0;
            for id in ids {
                let row: Row = sqlx::query_as(&reread).bind(id).fetch_one(&mut *tx).await?;
                let blast = Blast::try_from(row)?;
                written += status_event!(tx, blast, now)?;
                blasts.push(blast);
            }
            tx.commit().await?;
            (blasts, written)
        });
        self.announce_deliveries(written);
        Ok(blasts)
    }

    /// The running blasts (few at a time: the dispatcher reads their settings each round).
    pub async fn running_blasts(&self) -> Result<Vec<Blast>> {
        let sql = format!("{} WHERE b.status = 'running' ORDER BY b.id", select());
        let rows: Vec<Row> = on_db!(self, read, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
        rows.into_iter().map(Blast::try_from).collect()
    }

    /// The earliest start of a scheduled blast, for the dispatcher's sleep.
    pub async fn next_blast_start(&self) -> Result<Option<Timestamp>> {
        let at: Option<i64> = on_db!(self, read, pool => sqlx::query_scalar(
            "SELECT MIN(start_at) FROM blasts WHERE status = 'scheduled'").fetch_one(pool).await)?;
        Ok(at.map(Timestamp))
    }

    /// The shares of running blasts that still have pending recipients.
    pub async fn active_shares(&self) -> Result<Vec<(i64, BlastShare)>> {
        let rows: Vec<ActiveShareRow> = on_db!(self, read, pool => sqlx::query_as(
            "SELECT bo.blast_id, bo.outlet_id, o.name, bo.pending, bo.next_send_at, bo.paused_reason
             FROM blasts b JOIN blast_outlets bo ON bo.blast_id = b.id JOIN outlets o ON o.id = bo.outlet_id
             WHERE b.status = 'running' AND bo.pending > 0 ORDER BY bo.next_send_at")
            .fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|(blast, outlet, name, pending, next, paused)| {
                let share = BlastShare {
                    outlet_id: OutletId(outlet),
                    outlet_name: name,
                    pending,
                    next_send_at: Timestamp(next),
                    paused_reason: paused,
                };
                (blast, share)
            })
            .collect())
    }

    /// Pauses one share with a reason, or resumes it (`None`).
    pub async fn set_share_pause(&self, blast: i64, outlet: OutletId, reason: Option<&str>) -> Result<()> {
        on_db!(self, write, pool => sqlx::query(
            "UPDATE blast_outlets SET paused_reason = $3 WHERE blast_id = $1 AND outlet_id = $2")
            .bind(blast).bind(outlet.0).bind(reason).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Hands the next pending recipient of one share to the outbox, in one transaction:
    /// re-checks the contact (opted out or blocked since planning: skipped), renders the text,
    /// skips a recent duplicate when asked, writes the message, marks the recipient `queued`
    /// (conditionally, so two dispatchers can never queue one recipient twice), moves the
    /// counters, the share's next send time and the device's daily count.
    pub async fn hand_off(
        &self,
        h: Handoff<'_>,
        render: &(dyn Fn(&RecipientValues<'_>) -> String + Sync),
        now: Timestamp,
    ) -> Result<Handed> {
        let blast = h.blast;
        let dup_since = now.plus_secs(-24 * 3600).millis();
        let handed = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            // Takes the share (a row lock on PostgreSQL): a second dispatcher waits, then sees
            // the new next_send_at and goes away.
            let due = sqlx::query(
                "UPDATE blast_outlets SET next_send_at = next_send_at
                 WHERE blast_id = $1 AND outlet_id = $2 AND next_send_at <= $3 AND paused_reason IS NULL AND pending > 0
                   AND EXISTS (SELECT 1 FROM blasts WHERE id = $1 AND status = 'running')")
                .bind(blast.id).bind(h.outlet.0).bind(now.millis())
                .execute(&mut *tx).await?.rows_affected();
            if due == 0 {
                return Ok(Handed::NotDue);
            }
            let sent_today: Option<i64> = sqlx::query_scalar(
                "SELECT count FROM outlet_daily_sends WHERE outlet_id = $1 AND day = $2")
                .bind(h.outlet.0).bind(h.day).fetch_optional(&mut *tx).await?;
            // A recipient is two messages in separate mode; the cap is never overshot.
            if sent_today.unwrap_or(0) + blast.messages_per_recipient() > blast.pacing.daily_cap {
                sqlx::query("UPDATE blast_outlets SET next_send_at = $3 WHERE blast_id = $1 AND outlet_id = $2")
                    .bind(blast.id).bind(h.outlet.0).bind(h.next_day.millis()).execute(&mut *tx).await?;
                tx.commit().await?;
                return Ok(Handed::CapReached);
            }
            // The plan now (a period that ended unpaid is free: its limits and footer apply).
            let terms = crate::billing::terms!(tx, blast.owner_id, now, lock: false);
            let mut skipped = 0u64;
            let outcome = loop {
                let next: Option<(i64, String, Option<String>)> = sqlx::query_as(
                    "SELECT id, wa_number, vars FROM blast_recipients
                     WHERE blast_id = $1 AND outlet_id = $2 AND status = 'pending' ORDER BY id LIMIT 1")
                    .bind(blast.id).bind(h.outlet.0).fetch_optional(&mut *tx).await?;
                let Some((recipient, number, vars)) = next else {
                    // The share's count drifted from the rows (it never should): set it right.
                    sqlx::query("UPDATE blast_outlets SET pending = 0 WHERE blast_id = $1 AND outlet_id = $2")
                        .bind(blast.id).bind(h.outlet.0).execute(&mut *tx).await?;
                    break Handed::Exhausted { skipped };
                };
                let contact: Option<ContactCheck> = sqlx::query_as(
                    "SELECT c.name, c.fields, c.opted_out_at, c.blocked, o.name FROM contacts c
                     LEFT JOIN outlets o ON o.id = c.home_outlet_id WHERE c.owner_id = $1 AND c.wa_number = $2")
                    .bind(blast.owner_id.0).bind(&number).fetch_optional(&mut *tx).await?;
                let mut skip = match &contact {
                    Some((_, _, Some(_), _, _)) => Some("opted_out"),
                    Some((_, _, None, true, _)) => Some("blocked"),
                    _ => None,
                };
                let mut text = String::new();
                if skip.is_none() {
                    // A file's row that was no contact when planned keeps the file's values;
                    // everyone else is rendered from their contact (checked above either way).
                    let file = vars.as_deref().map(media::FileValues::parse);
                    let (name, fields, home) = match (&file, &contact) {
                        (Some(v), _) => (v.name.as_str(), v.fields.clone(), None),
                        (None, Some((name, fields, _, _, home))) => (name.as_str(), serde_json::from_str(fields).unwrap_or_default(), home.as_deref()),
                        (None, None) => ("", BTreeMap::new(), None),
                    };
                    text = render(&RecipientValues { name, phone: &number, fields: &fields, home_outlet: home });
                    let as_caption = blast.media.as_ref().is_some_and(|m| m.caption_mode == domain::CaptionMode::Caption);
                    if !text.trim().is_empty() {
                        text = crate::billing::with_footer(&text, &terms.footer, crate::billing::text_max(as_caption));
                    }
                    if text.trim().is_empty() {
                        skip = Some("empty_text");
                    } else if as_caption && text.chars().count() > h.max_caption_chars {
                        skip = Some("caption_too_long");
                    } else if blast.pacing.skip_recent_duplicates {
                        let dup: Option<i64> = sqlx::query_scalar(
                            "SELECT id FROM messages WHERE owner_id = $1 AND peer = $2 AND direction = 'out'
                             AND created_at >= $3 AND body = $4 AND status <> 'failed' LIMIT 1")
                            .bind(blast.owner_id.0).bind(&number).bind(dup_since).bind(&text)
                            .fetch_optional(&mut *tx).await?;
                        if dup.is_some() {
                            skip = Some("recent_duplicate");
                        }
                    }
                }
                if skip.is_none() {
                    let count = blast.messages_per_recipient();
                    if crate::billing::take_quota!(tx, blast.owner_id, &terms, count).is_err() {
                        // The month's messages are used up: the share looks again in a while
                        // (an upgrade, or the next month, lets it go on); the recipient waits.
                        sqlx::query("UPDATE blast_outlets SET next_send_at = $3 WHERE blast_id = $1 AND outlet_id = $2")
                            .bind(blast.id).bind(h.outlet.0).bind(now.plus_secs(QUOTA_RETRY_SECS).millis())
                            .execute(&mut *tx).await?;
                        break Handed::QuotaReached { skipped };
                    }
                }
                let to = if skip.is_some() { "skipped" } else { "queued" };
                let taken = sqlx::query(
                    "UPDATE blast_recipients SET status = $2, reason = $3, updated_at = $4 WHERE id = $1 AND status = 'pending'")
                    .bind(recipient).bind(to).bind(skip.unwrap_or("")).bind(now.millis())
                    .execute(&mut *tx).await?.rows_affected();
                if taken == 0 {
                    if skip.is_none() {
                        // Charged above for a recipient another writer took meanwhile.
                        crate::billing::give_back!(tx, blast.owner_id, terms.quota_start, blast.messages_per_recipient());
                    }
                    continue; // another writer took it meanwhile
                }
                // The share's row only: shares of one blast hand off side by side.
                sqlx::query(&format!("UPDATE blast_outlets SET pending = pending - 1, {to} = {to} + 1 WHERE blast_id = $1 AND outlet_id = $2"))
                    .bind(blast.id).bind(h.outlet.0).execute(&mut *tx).await?;
                if skip.is_some() {
                    skipped += 1;
                    if skipped >= MAX_SKIPS {
                        break Handed::Exhausted { skipped };
                    }
                    continue;
                }
                // With media: as the caption, one media message; separate, the media message
                // (no caption) first, then the text, so the device sends them in that order.
                // Each media message gets its own copy of the bytes (dropped once sent).
                let written = media::write_messages!(tx, blast, h, number, text, terms.quota_start, now);
                let (lead, message) = written;
                sqlx::query("UPDATE blast_recipients SET message_id = $2, lead_message_id = $3 WHERE id = $1")
                    .bind(recipient).bind(message).bind(lead).execute(&mut *tx).await?;
                sqlx::query("UPDATE blast_outlets SET next_send_at = $3 WHERE blast_id = $1 AND outlet_id = $2")
                    .bind(blast.id).bind(h.outlet.0).bind(h.next_send_at.millis()).execute(&mut *tx).await?;
                // Every message counts towards the device's day (two in separate mode).
                let messages = if lead.is_some() { 2i64 } else { 1 };
                sqlx::query(
                    "INSERT INTO outlet_daily_sends (outlet_id, day, count) VALUES ($1, $2, $3)
                     ON CONFLICT (outlet_id, day) DO UPDATE SET count = outlet_daily_sends.count + $3")
                    .bind(h.outlet.0).bind(h.day).bind(messages).execute(&mut *tx).await?;
                break Handed::Queued { message_id: message, skipped };
            };
            tx.commit().await?;
            outcome
        });
        Ok(handed)
    }

    /// A page of the blast's recipients in order, optionally of one status; the total comes
    /// from the counters.
    pub async fn blast_recipients(
        &self,
        blast: &Blast,
        status: Option<RecipientStatus>,
        page: Page,
    ) -> Result<Paged<BlastRecipient>> {
        let sql = "SELECT id, contact_id, wa_number, outlet_id, status, reason, message_id, updated_at
             FROM blast_recipients WHERE blast_id = $1 AND ($2 IS NULL OR status = $2) ORDER BY id LIMIT $3 OFFSET $4";
        let rows: Vec<RecipientRow> = on_db!(self, read, pool => sqlx::query_as(sql)
            .bind(blast.id).bind(status.map(RecipientStatus::as_str)).bind(page.limit()).bind(page.offset())
            .fetch_all(pool).await)?;
        let c = blast.counters;
        let total = match status {
            None => c.total,
            Some(s) => match s {
                RecipientStatus::Pending => c.pending,
                RecipientStatus::Queued => c.queued,
                RecipientStatus::Sent => c.sent,
                RecipientStatus::Delivered => c.delivered,
                RecipientStatus::Read => c.read,
                RecipientStatus::Failed => c.failed,
                RecipientStatus::Skipped => c.skipped,
            },
        };
        let items = rows.into_iter().map(BlastRecipient::try_from).collect::<Result<_>>()?;
        Ok(Paged::new(items, total, page))
    }

    /// The blast's counters counted from its recipient rows (for checks: the kept ones must agree).
    pub async fn recount_blast(&self, blast: i64) -> Result<BlastCounters> {
        let rows: Vec<(String, i64)> = on_db!(self, read, pool => sqlx::query_as(
            "SELECT status, COUNT(*) FROM blast_recipients WHERE blast_id = $1 GROUP BY status")
            .bind(blast).fetch_all(pool).await)?;
        let mut c = BlastCounters::default();
        for (status, n) in rows {
            let status: RecipientStatus =
                status.parse().map_err(|e: domain::UnknownValue| StoreError::Corrupt(e.to_string()))?;
            c.total += n;
            *match status {
                RecipientStatus::Pending => &mut c.pending,
                RecipientStatus::Queued => &mut c.queued,
                RecipientStatus::Sent => &mut c.sent,
                RecipientStatus::Delivered => &mut c.delivered,
                RecipientStatus::Read => &mut c.read,
                RecipientStatus::Failed => &mut c.failed,
                RecipientStatus::Skipped => &mut c.skipped,
            } += n;
        }
        Ok(c)
    }

    /// Recipients after `after_id` in id order (keyset paging, for the CSV export).
    pub async fn blast_recipients_after(
        &self,
        blast: i64,
        status: Option<RecipientStatus>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<BlastRecipient>> {
        let sql = "SELECT id, contact_id, wa_number, outlet_id, status, reason, message_id, updated_at
             FROM blast_recipients WHERE blast_id = $1 AND ($2 IS NULL OR status = $2) AND id > $3 ORDER BY id LIMIT $4";
        let rows: Vec<RecipientRow> = on_db!(self, read, pool => sqlx::query_as(sql)
            .bind(blast).bind(status.map(RecipientStatus::as_str)).bind(after_id).bind(limit)
            .fetch_all(pool).await)?;
        rows.into_iter().map(BlastRecipient::try_from).collect()
    }

    /// The owner's contacts a blast may be sent to, drawn from `audience` (numbers that are
    /// no contact are not returned).
    pub async fn blast_audience(&self, owner: UserId, audience: Audience<'_>) -> Result<Vec<AudienceMember>> {
        const COLS: &str = "c.id, c.wa_number, c.home_outlet_id, c.opted_out_at, c.blocked";
        let mut members = Vec::new();
        // The owner's contacts among `$values`, asked in batches (`$sql` builds the statement for
        // a batch of `n` values bound from `$2`).
        macro_rules! members_in {
            ($values:expr, $sql:expr) => {
                for chunk in $values.chunks(PLAN_BATCH) {
                    let sql = $sql(chunk.len());
                    let rows: Vec<AudienceMember> = on_db!(self, read, pool => {
                        let mut q = sqlx::query_as(&sql).bind(owner.0);
                        for v in chunk {
                            q = q.bind(v);
                        }
                        q.fetch_all(pool).await
                    })?;
                    members.extend(rows);
                }
            };
        }
        match audience {
            Audience::All => {
                let sql = format!("SELECT {COLS} FROM contacts c WHERE c.owner_id = $1 ORDER BY c.id");
                members = on_db!(self, read, pool => sqlx::query_as(&sql).bind(owner.0).fetch_all(pool).await)?;
            }
            Audience::Tags(tags) => {
                let sql = |n| {
                    format!(
                        "SELECT {COLS} FROM contacts c WHERE c.owner_id = $1 AND EXISTS
                     (SELECT 1 FROM contact_tags ct WHERE ct.contact_id = c.id AND ct.tag_id IN ({})) ORDER BY c.id",
                        placeholders(2, n)
                    )
                };
                members_in!(tags, sql);
            }
            Audience::Contacts(ids) => {
                let sql = |n| {
                    format!(
                        "SELECT {COLS} FROM contacts c WHERE c.owner_id = $1 AND c.id IN ({}) ORDER BY c.id",
                        placeholders(2, n)
                    )
                };
                members_in!(ids, sql);
            }
            Audience::Numbers(numbers) => {
                let sql = |n| {
                    format!(
                        "SELECT {COLS} FROM contacts c WHERE c.owner_id = $1 AND c.wa_number IN ({})",
                        placeholders(2, n)
                    )
                };
                members_in!(numbers, sql);
            }
        }
        Ok(members)
    }

    /// The owner's tags among `ids` (to refuse another owner's).
    pub async fn owned_tag_ids(&self, owner: UserId, ids: &[i64]) -> Result<Vec<i64>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT id FROM tags WHERE owner_id = $1 AND id IN ({})", placeholders(2, ids.len()));
        Ok(on_db!(self, read, pool => {
            let mut q = sqlx::query_scalar(&sql).bind(owner.0);
            for t in ids { q = q.bind(t); }
            q.fetch_all(pool).await
        })?)
    }
}

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// One multi-row INSERT of recipients with the values in the text: ids and times are numbers,
/// status and reason fixed words, and the number (E.164, or the text typed when it was none)
/// is quoted with its quotes doubled.
fn recipient_values(blast: i64, owner: UserId, now: Timestamp, rows: &[PlannedRecipient]) -> String {
    use std::fmt::Write;
    let mut sql = String::with_capacity(150 + rows.len() * 60);
    sql.push_str(
        "INSERT INTO blast_recipients (blast_id, owner_id, updated_at, contact_id, wa_number, outlet_id, status, reason, vars) VALUES ",
    );
    let opt = |v: Option<i64>| v.map_or_else(|| "NULL".to_string(), |v| v.to_string());
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let number = r.wa_number.replace('\'', "''");
        // Text from a file (a reason with its line, a recipient's values) is quoted likewise;
        // JSON escapes control characters, so none reaches the statement.
        let reason = r.reason.replace('\'', "''");
        let vars = r.vars.as_ref().map_or_else(|| "NULL".to_string(), |v| format!("'{}'", v.replace('\'', "''")));
        let _ = write!(
            sql,
            "({blast}, {}, {}, {}, '{number}', {}, '{}', '{reason}', {vars})",
            owner.0,
            now.millis(),
            opt(r.contact_id),
            opt(r.outlet_id.map(|o| o.0)),
            r.status.as_str(),
        );
    }
    sql
}
