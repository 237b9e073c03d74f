//! Chatbot flows, per owner, with the outlets they answer on (`chatbot_outlets` when
//! `all_outlets` is off) and the monitoring counters (`chatbot_counts`: total and active flows
//! per owner, changed in the same transaction as a create, delete, activation or
//! deactivation, so a dashboard reads a row instead of counting). Conversations are in
//! [`sessions`].

mod sessions;

use crate::error::Taken;
use crate::{on_db, Page, Paged, Result, Store, StoreError};
use domain::chatbot::{Step, Trigger};
use domain::{OutletId, Scope, Timestamp, UserId};
use serde::Serialize;

pub use sessions::{ChatbotSession, ChatbotTurn, ChatbotWritten, SessionState, CHATBOT_ORIGIN};

/// A saved flow.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Chatbot {
    pub id: i64,
    pub owner_id: UserId,
    pub name: String,
    pub active: bool,
    pub trigger: Trigger,
    /// Answers on every outlet of the owner; otherwise only on `outlet_ids`.
    pub all_outlets: bool,
    pub outlet_ids: Vec<OutletId>,
    /// The first step is the start.
    pub steps: Vec<Step>,
    /// A conversation silent this long is over; the next message starts afresh.
    pub session_minutes: i64,
    /// The customer sends this to end the conversation.
    pub end_keyword: String,
    /// How long the bot stays quiet when a person answers from the phone.
    pub hand_over_minutes: i64,
    /// Also holds conversations in group chats (ignored otherwise).
    pub in_groups: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Every setting of a flow, checked by the caller.
pub struct ChatbotFields<'a> {
    pub name: &'a str,
    pub active: bool,
    pub trigger: &'a Trigger,
    /// Empty: every outlet. Only the owner's outlets are kept.
    pub outlet_ids: &'a [OutletId],
    pub steps: &'a [Step],
    pub session_minutes: i64,
    pub end_keyword: &'a str,
    pub hand_over_minutes: i64,
    pub in_groups: bool,
}

/// Flows of an owner (or all of them): the monitoring numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChatbotCounts {
    pub total: i64,
    pub active: i64,
    /// Conversations with activity in the last 30 minutes.
    pub active_sessions: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    owner_id: i64,
    name: String,
    active: bool,
    trigger_spec: String,
    all_outlets: bool,
    steps: String,
    session_minutes: i64,
    end_keyword: String,
    hand_over_minutes: i64,
    in_groups: bool,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Chatbot {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Chatbot> {
        let corrupt = |what: &str, e: serde_json::Error| StoreError::Corrupt(format!("chatbot {what}: {e}"));
        Ok(Chatbot {
            id: r.id,
            owner_id: UserId(r.owner_id),
            name: r.name,
            active: r.active,
            trigger: serde_json::from_str(&r.trigger_spec).map_err(|e| corrupt("trigger", e))?,
            all_outlets: r.all_outlets,
            outlet_ids: Vec::new(),
            steps: serde_json::from_str(&r.steps).map_err(|e| corrupt("steps", e))?,
            session_minutes: r.session_minutes,
            end_keyword: r.end_keyword,
            hand_over_minutes: r.hand_over_minutes,
            in_groups: r.in_groups,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

const COLUMNS: &str = "id, owner_id, name, active, trigger_spec, all_outlets, steps, session_minutes, end_keyword,
    hand_over_minutes, in_groups, created_at, updated_at";

/// Binds `$3…$11` of an insert or update.
macro_rules! bind_fields {
    ($q:expr, $f:expr) => {{
        let f = $f;
        $q.bind(f.name)
            .bind(f.active)
            .bind(serde_json::to_string(f.trigger).unwrap_or_default())
            .bind(f.outlet_ids.is_empty())
            .bind(serde_json::to_string(f.steps).unwrap_or_else(|_| "[]".into()))
            .bind(f.session_minutes)
            .bind(f.end_keyword)
            .bind(f.hand_over_minutes)
            .bind(f.in_groups)
    }};
}

/// Adds to an owner's counters (inside the change's transaction).
macro_rules! count {
    ($tx:expr, $owner:expr, $total:expr, $active:expr) => {{
        sqlx::query(
            "INSERT INTO chatbot_counts (owner_id, total, active) VALUES ($1, $2, $3)
             ON CONFLICT (owner_id) DO UPDATE SET total = chatbot_counts.total + $2,
                                                  active = chatbot_counts.active + $3",
        )
        .bind($owner)
        .bind($total)
        .bind($active)
        .execute(&mut *$tx)
        .await?;
    }};
}

impl Store {
    /// `Conflict(ChatbotName)` when the owner has a flow with this name.
    pub async fn create_chatbot(&self, owner: UserId, fields: &ChatbotFields<'_>, now: Timestamp) -> Result<Chatbot> {
        let sql = format!(
            "INSERT INTO chatbots (owner_id, created_at, updated_at, name, active, trigger_spec, all_outlets, steps,
                 session_minutes, end_keyword, hand_over_minutes, in_groups)
             VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {COLUMNS}"
        );
        let id = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            crate::billing::within_limit!(self, tx, owner, domain::Limit::Chatbots, 1, now);
            let q = sqlx::query_as::<_, Row>(&sql).bind(owner.0).bind(now.millis());
            let row: Row = bind_fields!(q, fields).fetch_one(&mut *tx).await
                .map_err(|e| StoreError::from(e).conflict_as(Taken::ChatbotName))?;
            crate::chosen_outlets::set_chosen_outlets!(tx, "chatbot_outlets", "chatbot_id", row.id, owner.0, fields.outlet_ids);
            count!(tx, owner.0, 1i64, i64::from(fields.active));
            tx.commit().await?;
            row.id
        });
        self.load_chatbot(None, id).await?.ok_or(StoreError::NotFound)
    }

    /// Replaces a flow's settings (an activation is one); the counters follow.
    pub async fn update_chatbot(
        &self,
        scope: Scope,
        id: i64,
        fields: &ChatbotFields<'_>,
        now: Timestamp,
    ) -> Result<Chatbot> {
        let owner = scope.owner().map(|u| u.0);
        on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let was: Option<(i64, bool)> = sqlx::query_as(
                "SELECT owner_id, active FROM chatbots WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)")
                .bind(id).bind(owner).fetch_optional(&mut *tx).await?;
            let Some((owner_id, was_active)) = was else { return Err(StoreError::NotFound) };
            let q = sqlx::query(
                "UPDATE chatbots SET updated_at = $2, name = $3, active = $4, trigger_spec = $5, all_outlets = $6,
                     steps = $7, session_minutes = $8, end_keyword = $9, hand_over_minutes = $10, in_groups = $11
                 WHERE id = $1")
                .bind(id).bind(now.millis());
            bind_fields!(q, fields).execute(&mut *tx).await
                .map_err(|e| StoreError::from(e).conflict_as(Taken::ChatbotName))?;
            crate::chosen_outlets::set_chosen_outlets!(tx, "chatbot_outlets", "chatbot_id", id, owner_id, fields.outlet_ids);
            let delta = i64::from(fields.active) - i64::from(was_active);
            if delta != 0 {
                count!(tx, owner_id, 0i64, delta);
            }
            tx.commit().await?;
        });
        self.load_chatbot(None, id).await?.ok_or(StoreError::NotFound)
    }

    /// `NotFound` outside `scope`. Its conversations go with it.
    pub async fn delete_chatbot(&self, scope: Scope, id: i64) -> Result<()> {
        let owner = scope.owner().map(|u| u.0);
        on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let gone: Option<(i64, bool)> = sqlx::query_as(
                "DELETE FROM chatbots WHERE id = $1 AND ($2 IS NULL OR owner_id = $2) RETURNING owner_id, active")
                .bind(id).bind(owner).fetch_optional(&mut *tx).await?;
            let Some((owner_id, active)) = gone else { return Err(StoreError::NotFound) };
            count!(tx, owner_id, -1i64, -i64::from(active));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn chatbot(&self, scope: Scope, id: i64) -> Result<Option<Chatbot>> {
        self.load_chatbot(scope.owner().map(|u| u.0), id).await
    }

    async fn load_chatbot(&self, owner: Option<i64>, id: i64) -> Result<Option<Chatbot>> {
        let sql = format!("SELECT {COLUMNS} FROM chatbots WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)");
        let row: Option<Row> =
            on_db!(self, read, pool => sqlx::query_as(&sql).bind(id).bind(owner).fetch_optional(pool).await)?;
        let Some(bot) = row.map(Chatbot::try_from).transpose()? else { return Ok(None) };
        Ok(self.with_chosen_outlets(vec![bot], "chatbot_outlets", "chatbot_id").await?.pop())
    }

    pub async fn list_chatbots(&self, scope: Scope, page: Page) -> Result<Paged<Chatbot>> {
        let list = format!(
            "SELECT {COLUMNS} FROM chatbots WHERE ($1 IS NULL OR owner_id = $1) ORDER BY owner_id, id LIMIT $2 OFFSET $3"
        );
        let owner = scope.owner().map(|u| u.0);
        let (rows, total): (Vec<Row>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&list).bind(owner).bind(page.limit()).bind(page.offset()).fetch_all(pool).await?;
            let total = sqlx::query_scalar("SELECT COUNT(*) FROM chatbots WHERE ($1 IS NULL OR owner_id = $1)")
                .bind(owner).fetch_one(pool).await?;
            (rows, total)
        });
        let bots = rows.into_iter().map(Chatbot::try_from).collect::<Result<Vec<_>>>()?;
        Ok(Paged::new(self.with_chosen_outlets(bots, "chatbot_outlets", "chatbot_id").await?, total, page))
    }

    /// The active flows of `owner` that answer on `outlet`, oldest first.
    pub async fn active_chatbots(&self, owner: UserId, outlet: OutletId) -> Result<Vec<Chatbot>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM chatbots b WHERE owner_id = $1 AND active
               AND (all_outlets OR EXISTS (SELECT 1 FROM chatbot_outlets o WHERE o.chatbot_id = b.id AND o.outlet_id = $2))
             ORDER BY id"
        );
        let rows: Vec<Row> =
            on_db!(self, read, pool => sqlx::query_as(&sql).bind(owner.0).bind(outlet.0).fetch_all(pool).await)?;
        let bots = rows.into_iter().map(Chatbot::try_from).collect::<Result<Vec<_>>>()?;
        self.with_chosen_outlets(bots, "chatbot_outlets", "chatbot_id").await
    }

    /// Does an active rule or flow of `owner` answer in group chats on `outlet`? Group messages
    /// are neither stored nor answered otherwise.
    pub async fn answers_groups(&self, owner: UserId, outlet: OutletId) -> Result<bool> {
        let found: Option<i64> = on_db!(self, read, pool => sqlx::query_scalar(
            "SELECT r.id FROM auto_replies r WHERE owner_id = $1 AND active AND in_groups
               AND (all_outlets OR EXISTS (SELECT 1 FROM auto_reply_outlets o WHERE o.auto_reply_id = r.id AND o.outlet_id = $2))
             UNION ALL
             SELECT b.id FROM chatbots b WHERE owner_id = $1 AND active AND in_groups
               AND (all_outlets OR EXISTS (SELECT 1 FROM chatbot_outlets o WHERE o.chatbot_id = b.id AND o.outlet_id = $2))
             LIMIT 1")
            .bind(owner.0)
            .bind(outlet.0)
            .fetch_optional(pool)
            .await)?;
        Ok(found.is_some())
    }

    /// The monitoring numbers of one owner, or of everyone. Flows from the counter rows;
    /// active sessions by a range count on `chatbot_sessions (last_activity_at)`: the table
    /// holds one row per conversing number and outlet, closed ones are purged after a day
    /// (`purge_chatbot_sessions`), so the index range is the recent conversations only.
    pub async fn chatbot_counts(&self, owner: Option<UserId>, now: Timestamp) -> Result<ChatbotCounts> {
        let owner = owner.map(|u| u.0);
        let since = now.millis() - 30 * 60_000;
        let (total, active, sessions): (Option<i64>, Option<i64>, i64) = on_db!(self, read, pool => {
            let (t, a): (Option<i64>, Option<i64>) = sqlx::query_as(
                "SELECT CAST(SUM(total) AS BIGINT), CAST(SUM(active) AS BIGINT) FROM chatbot_counts WHERE ($1 IS NULL OR owner_id = $1)")
                .bind(owner).fetch_one(pool).await?;
            let s: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM chatbot_sessions WHERE last_activity_at > $1 AND ($2 IS NULL OR owner_id = $2)")
                .bind(since).bind(owner).fetch_one(pool).await?;
            (t, a, s)
        });
        Ok(ChatbotCounts { total: total.unwrap_or(0), active: active.unwrap_or(0), active_sessions: sessions })
    }
}

impl crate::chosen_outlets::ChosenOutlets for Chatbot {
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
