//! Conversations with a flow: one row per (outlet, contact number), so a contact is in at most
//! one conversation per outlet. A turn (what the bot answers to one inbound message) is written
//! in one transaction: the automatic-reply log row (unique per inbound message, shared with the
//! auto-reply rules, so a replay answers nothing and the per-number cap counts both), the
//! outbox rows marked `chatbot`, and the conversation's new state.

use crate::automatic::{claim_answer, insert_automatic, insert_sql, Claim};
use crate::deliveries::{enqueue, WebhookEvent};
use crate::{on_db, Message, NewOutgoing, Page, Paged, Result, Store, StoreError};
use domain::{EventKind, ForwardEvent, OutletId, Scope, Timestamp, UserId};
use serde::Serialize;
use std::collections::BTreeMap;

/// Inside a transaction: the `chatbot.handed_over` event, for webhooks and integrations;
/// evaluates to the rows written.
macro_rules! hand_over_event {
    ($tx:expr, owner: $owner:expr, outlet: $outlet:expr, peer: $peer:expr, chatbot: $chatbot:expr, until: $until:expr, now: $now:expr) => {{
        let data = serde_json::json!({"chatbot_id": $chatbot, "outlet_id": $outlet, "peer": $peer, "until": $until});
        let event = WebhookEvent::new($owner, EventKind::ChatbotHandedOver, &data, $now)
            .forwarded(Some(ForwardEvent::ChatbotHandedOver), Some($outlet));
        enqueue!($tx, event, $now)?
    }};
}

/// The `origin` of a message a flow wrote.
pub const CHATBOT_ORIGIN: &str = "chatbot";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChatbotSession {
    pub id: i64,
    pub owner_id: UserId,
    pub outlet_id: OutletId,
    /// The contact's number.
    pub peer: String,
    pub chatbot_id: i64,
    /// The step waiting for the customer's answer (or due after a delay).
    pub step: Option<String>,
    pub variables: BTreeMap<String, String>,
    /// `active`, `handed_over` or `closed`.
    pub status: String,
    pub retries: i64,
    pub started_at: Timestamp,
    pub last_activity_at: Timestamp,
    pub expires_at: Timestamp,
    /// The bot is quiet to this contact until then.
    pub handed_over_until: Option<Timestamp>,
    /// A delay step's due time.
    pub resume_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    owner_id: i64,
    outlet_id: i64,
    peer: String,
    chatbot_id: i64,
    step: Option<String>,
    variables: String,
    status: String,
    retries: i64,
    started_at: i64,
    last_activity_at: i64,
    expires_at: i64,
    handed_over_until: Option<i64>,
    resume_at: Option<i64>,
}

impl TryFrom<Row> for ChatbotSession {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<ChatbotSession> {
        Ok(ChatbotSession {
            id: r.id,
            owner_id: UserId(r.owner_id),
            outlet_id: OutletId(r.outlet_id),
            peer: r.peer,
            chatbot_id: r.chatbot_id,
            step: r.step,
            variables: serde_json::from_str(&r.variables)
                .map_err(|e| StoreError::Corrupt(format!("chatbot session variables: {e}")))?,
            status: r.status,
            retries: r.retries,
            started_at: Timestamp(r.started_at),
            last_activity_at: Timestamp(r.last_activity_at),
            expires_at: Timestamp(r.expires_at),
            handed_over_until: r.handed_over_until.map(Timestamp),
            resume_at: r.resume_at.map(Timestamp),
        })
    }
}

const COLUMNS: &str = "id, owner_id, outlet_id, peer, chatbot_id, step, variables, status, retries, started_at,
    last_activity_at, expires_at, handed_over_until, resume_at";

/// A conversation's state after a turn.
#[derive(Debug, Clone)]
pub struct SessionState {
    pub chatbot_id: i64,
    pub step: Option<String>,
    pub variables: BTreeMap<String, String>,
    pub status: &'static str,
    pub retries: i64,
    /// Kept when the conversation goes on; now for a new one.
    pub started_at: Timestamp,
    pub expires_at: Timestamp,
    pub handed_over_until: Option<Timestamp>,
    pub resume_at: Option<Timestamp>,
}

/// What to write for one turn.
pub struct ChatbotTurn<'a> {
    pub owner: UserId,
    pub outlet: OutletId,
    pub peer: &'a str,
    /// The inbound message answered (none: a delay came due); answered once.
    pub inbound_message_id: Option<i64>,
    pub replies: Vec<NewOutgoing<'a>>,
    pub session: SessionState,
    /// At most this many automatic replies to the number since `window_start`.
    pub cap: i64,
    pub window_start: Timestamp,
}

#[derive(Debug)]
pub enum ChatbotWritten {
    Queued(Vec<Message>),
    AlreadyAnswered,
    OverCap,
}

impl Store {
    /// The conversation on `outlet` with `peer`, whatever its status.
    pub async fn chatbot_session_with(&self, outlet: OutletId, peer: &str) -> Result<Option<ChatbotSession>> {
        let sql = format!("SELECT {COLUMNS} FROM chatbot_sessions WHERE outlet_id = $1 AND peer = $2");
        let row: Option<Row> =
            on_db!(self, read, pool => sqlx::query_as(&sql).bind(outlet.0).bind(peer).fetch_optional(pool).await)?;
        row.map(ChatbotSession::try_from).transpose()
    }

    pub async fn chatbot_session(&self, scope: Scope, id: i64) -> Result<Option<ChatbotSession>> {
        let sql = format!("SELECT {COLUMNS} FROM chatbot_sessions WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)");
        let owner = scope.owner().map(|u| u.0);
        let row: Option<Row> =
            on_db!(self, read, pool => sqlx::query_as(&sql).bind(id).bind(owner).fetch_optional(pool).await)?;
        row.map(ChatbotSession::try_from).transpose()
    }

    /// Conversations in `scope`, the latest activity first.
    pub async fn list_chatbot_sessions(
        &self,
        scope: Scope,
        status: Option<&str>,
        page: Page,
    ) -> Result<Paged<ChatbotSession>> {
        let filter = "($1 IS NULL OR owner_id = $1) AND ($2 IS NULL OR status = $2)";
        let list = format!(
            "SELECT {COLUMNS} FROM chatbot_sessions WHERE {filter} ORDER BY last_activity_at DESC, id DESC
             LIMIT $3 OFFSET $4"
        );
        let count = format!("SELECT COUNT(*) FROM chatbot_sessions WHERE {filter}");
        let owner = scope.owner().map(|u| u.0);
        let (rows, total): (Vec<Row>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&list).bind(owner).bind(status).bind(page.limit()).bind(page.offset())
                .fetch_all(pool).await?;
            let total = sqlx::query_scalar(&count).bind(owner).bind(status).fetch_one(pool).await?;
            (rows, total)
        });
        let items = rows.into_iter().map(ChatbotSession::try_from).collect::<Result<Vec<_>>>()?;
        Ok(Paged::new(items, total, page))
    }

    /// Sets a conversation's status (the hand-over controls); `NotFound` outside `scope`.
    pub async fn set_chatbot_session_status(
        &self,
        scope: Scope,
        id: i64,
        status: &str,
        handed_over_until: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<()> {
        let done = on_db!(self, write, pool => sqlx::query(
            "UPDATE chatbot_sessions SET status = $3, handed_over_until = $4, resume_at = NULL, last_activity_at = $5
             WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)")
            .bind(id)
            .bind(scope.owner().map(|u| u.0))
            .bind(status)
            .bind(handed_over_until.map(Timestamp::millis))
            .bind(now.millis())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        crate::error::touched(done)
    }

    /// A person answered `peer` from the outlet's phone: an open conversation is handed over
    /// for its flow's hand-over minutes. Returns the conversation when one was.
    pub async fn chatbot_phone_replied(
        &self,
        outlet: OutletId,
        peer: &str,
        wa_message_id: &str,
        now: Timestamp,
    ) -> Result<Option<ChatbotSession>> {
        // A message this gateway sent itself (the bot's own, echoed back by another device of
        // the account) is no person answering.
        let written = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            // Each reply of the person extends the hand-over; only the first one is news.
            let already: Option<bool> = sqlx::query_scalar(
                "SELECT status = 'handed_over' AND COALESCE(handed_over_until, 0) > $3 FROM chatbot_sessions
                 WHERE outlet_id = $1 AND peer = $2")
                .bind(outlet.0)
                .bind(peer)
                .bind(now.millis())
                .fetch_optional(&mut *tx)
                .await?;
            let handed: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
                "UPDATE chatbot_sessions SET status = 'handed_over', resume_at = NULL, last_activity_at = $3,
                     handed_over_until = $3 + 60000 * (SELECT hand_over_minutes FROM chatbots b WHERE b.id = chatbot_id)
                 WHERE outlet_id = $1 AND peer = $2 AND status <> 'closed' AND expires_at > $3
                   AND NOT EXISTS (SELECT 1 FROM messages m
                                   WHERE m.outlet_id = $1 AND m.wa_message_id = $4 AND m.direction = 'out')
                 RETURNING owner_id, chatbot_id, handed_over_until")
                .bind(outlet.0)
                .bind(peer)
                .bind(now.millis())
                .bind(wa_message_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((owner, chatbot, until)) = handed else { return Ok(None) };
            let until = until.map(Timestamp);
            let n = if already == Some(true) {
                0
            } else {
                hand_over_event!(tx, owner: UserId(owner), outlet: outlet, peer: peer, chatbot: chatbot, until: until, now: now)
            };
            tx.commit().await?;
            n
        });
        self.announce_deliveries(written);
        self.chatbot_session_with(outlet, peer).await
    }

    /// Conversations whose delay came due, taken (their `resume_at` cleared) so that one
    /// worker resumes each once.
    pub async fn take_due_chatbot_sessions(&self, now: Timestamp, limit: i64) -> Result<Vec<ChatbotSession>> {
        let sql = format!(
            "UPDATE chatbot_sessions SET resume_at = NULL
             WHERE id IN (SELECT id FROM chatbot_sessions WHERE resume_at IS NOT NULL AND resume_at <= $1
                          AND status = 'active' ORDER BY resume_at LIMIT $2)
             RETURNING {COLUMNS}"
        );
        let rows: Vec<Row> =
            on_db!(self, write, pool => sqlx::query_as(&sql).bind(now.millis()).bind(limit).fetch_all(pool).await)?;
        rows.into_iter().map(ChatbotSession::try_from).collect()
    }

    /// Forgets closed or long-expired conversations last active before `before` (a hand-over
    /// still running is kept: the bot must stay quiet), which keeps the table small.
    pub async fn purge_chatbot_sessions(&self, before: Timestamp) -> Result<u64> {
        Ok(on_db!(self, write, pool => sqlx::query(
            "DELETE FROM chatbot_sessions WHERE last_activity_at < $1 AND (status = 'closed'
                 OR (expires_at < $1 AND (handed_over_until IS NULL OR handed_over_until < $1)))")
            .bind(before.millis())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?)
    }

    /// Writes one turn (see the module notes), unless the inbound message was answered already
    /// or the number reached the cap.
    pub async fn write_chatbot_turn(&self, turn: ChatbotTurn<'_>, now: Timestamp) -> Result<ChatbotWritten> {
        let insert = insert_sql(CHATBOT_ORIGIN);
        let s = &turn.session;
        let variables = serde_json::to_string(&s.variables).unwrap_or_else(|_| "{}".into());
        on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            if let Some(inbound) = turn.inbound_message_id {
                let claim = claim_answer!(tx, owner: turn.owner.0, outlet: turn.outlet.0, peer: turn.peer, inbound: inbound,
                    rule: None::<i64>, window_start: turn.window_start.millis(), cap: turn.cap, now: now.millis());
                match claim {
                    Claim::OverCap => return Ok(ChatbotWritten::OverCap),
                    Claim::AlreadyAnswered => return Ok(ChatbotWritten::AlreadyAnswered),
                    Claim::Logged(_) => {}
                }
            }
            let mut written = Vec::with_capacity(turn.replies.len());
            if !turn.replies.is_empty() {
                let count = i64::try_from(turn.replies.len()).unwrap_or(i64::MAX);
                let terms = crate::billing::charge_messages!(tx, turn.owner, count, now);
                for m in &turn.replies {
                    written.push(insert_automatic!(tx, &insert, m, &terms, now.millis()));
                }
            }
            sqlx::query(
                "INSERT INTO chatbot_sessions (owner_id, outlet_id, peer, chatbot_id, step, variables, status, retries,
                     started_at, last_activity_at, expires_at, handed_over_until, resume_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 ON CONFLICT (outlet_id, peer) DO UPDATE SET chatbot_id = $4, step = $5, variables = $6, status = $7,
                     retries = $8, started_at = $9, last_activity_at = $10, expires_at = $11,
                     handed_over_until = $12, resume_at = $13")
                .bind(turn.owner.0)
                .bind(turn.outlet.0)
                .bind(turn.peer)
                .bind(s.chatbot_id)
                .bind(s.step.as_deref())
                .bind(&variables)
                .bind(s.status)
                .bind(s.retries)
                .bind(s.started_at.millis())
                .bind(now.millis())
                .bind(s.expires_at.millis())
                .bind(s.handed_over_until.map(Timestamp::millis))
                .bind(s.resume_at.map(Timestamp::millis))
                .execute(&mut *tx)
                .await?;
            let events = if s.status == "handed_over" {
                hand_over_event!(tx, owner: turn.owner, outlet: turn.outlet, peer: turn.peer, chatbot: s.chatbot_id,
                    until: s.handed_over_until, now: now)
            } else {
                0
            };
            tx.commit().await?;
            self.announce_deliveries(events);
            Ok(ChatbotWritten::Queued(written))
        })
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::testing::TestDb;
    use crate::{ChatbotFields, NewOutlet, NewUser, StoreOptions};
    use domain::chatbot::{Step, StepKind, Trigger};
    use domain::{Email, Label, PhoneNumber, Plan, Role};

    async fn check(db: &TestDb) {
        let store = Store::open(&db.url, &StoreOptions::default()).await.unwrap();
        let email = Email::parse("ana@cb.id").unwrap();
        let new = NewUser { email: &email, name: "", password_hash: "h", role: Role::User, plan: Plan::Unlimited };
        let ana = store.create_user(new, Timestamp(0)).await.unwrap().id;
        let (name, city) = (Label::parse("Toko", 100).unwrap(), Label::parse("Bandung", 100).unwrap());
        let number = PhoneNumber::parse("081200000001").unwrap();
        let outlet =
            store.create_outlet(NewOutlet { owner: ana, name: &name, city: &city, wa_number: &number }, Timestamp(0));
        let outlet = outlet.await.unwrap().id;
        let ask = StepKind::Ask {
            prompt: "Nama".into(),
            variable: "nama".into(),
            validation: None,
            retry_message: None,
            max_retries: 3,
            next: None,
            on_fail: None,
        };
        let steps = vec![Step { id: "tanya".into(), kind: ask }];
        let fields = ChatbotFields {
            name: "Daftar",
            active: true,
            trigger: &Trigger::Any,
            outlet_ids: &[],
            steps: &steps,
            session_minutes: 30,
            end_keyword: "#selesai",
            hand_over_minutes: 60,
            in_groups: false,
        };
        let bot = store.create_chatbot(ana, &fields, Timestamp(0)).await.unwrap();
        let peer = "+6281300000001";
        let prompt = NewOutgoing {
            owner: ana,
            outlet,
            to: peer,
            body: "Nama",
            media: None,
            api_key_id: None,
            idempotency_key: None,
            expires_at: None,
        };
        let session = SessionState {
            chatbot_id: bot.id,
            step: Some("tanya".into()),
            variables: BTreeMap::new(),
            status: "active",
            retries: 0,
            started_at: Timestamp(1000),
            expires_at: Timestamp(1000 + 30 * 60_000),
            handed_over_until: None,
            resume_at: None,
        };
        let turn = ChatbotTurn {
            owner: ana,
            outlet,
            peer,
            inbound_message_id: None,
            replies: vec![prompt],
            session,
            cap: 5,
            window_start: Timestamp(0),
        };
        let ChatbotWritten::Queued(sent) = store.write_chatbot_turn(turn, Timestamp(1000)).await.unwrap() else {
            panic!("the turn was not written")
        };
        let ours = "UPDATE messages SET wa_message_id = 'OURS' WHERE id = $1";
        on_db!(store, write, pool => sqlx::query(ours).bind(sent[0].id).execute(pool).await.map(|_| ())).unwrap();

        // The bot's own message, echoed back by another device of the account: nobody answered.
        assert!(store.chatbot_phone_replied(outlet, peer, "OURS", Timestamp(2000)).await.unwrap().is_none());
        assert_eq!(store.chatbot_session_with(outlet, peer).await.unwrap().unwrap().status, "active");
        // A person's message from the phone: handed over for the flow's minutes.
        let handed = store.chatbot_phone_replied(outlet, peer, "PHONE1", Timestamp(2000)).await.unwrap().unwrap();
        assert_eq!(
            (handed.status.as_str(), handed.handed_over_until),
            ("handed_over", Some(Timestamp(2000 + 3_600_000)))
        );
        // Another number's conversation is not touched.
        assert!(store
            .chatbot_phone_replied(outlet, "+6281300000002", "PHONE2", Timestamp(2000))
            .await
            .unwrap()
            .is_none());
        store.close().await;
    }

    crate::both_backends! {
        async fn only_a_person_answering_from_the_phone_hands_a_conversation_over(db) {
            check(db).await;
        }
    }
}
