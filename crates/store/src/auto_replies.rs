//! Auto-reply rules, per owner, with the outlets they answer on (`auto_reply_outlets`, used when
//! `all_outlets` is off), and the log of automatic replies (`auto_reply_log`): one row per
//! answered inbound message (unique, so a message is never answered twice), written in the
//! same transaction as the reply's outbox rows and the rule's counters.

use crate::automatic::{claim_answer, insert_automatic, insert_sql, Claim};
use crate::error::Taken;
use crate::{on_db, Message, NewOutgoing, Page, Paged, Result, Store, StoreError};
use domain::{BusinessHours, MatchType, OutletId, Scope, Timestamp, UserId};
use serde::Serialize;

/// The `origin` of a message a rule wrote.
pub const AUTO_REPLY_ORIGIN: &str = "auto_reply";

/// A saved rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AutoReply {
    pub id: i64,
    pub owner_id: UserId,
    pub name: String,
    /// Words or phrases; any one of them matching is enough. Empty for a welcome rule.
    #[schema(example = json!(["harga", "price list"]))]
    pub triggers: Vec<String>,
    pub match_type: MatchType,
    /// Off (the default): "Promo", "PROMO" and "prómo" are the same.
    pub case_sensitive: bool,
    /// Lower answers first; on a tie the older rule.
    pub priority: i64,
    /// The reply, with `{{variables}}` and `{a|b}` spintax; none when a template answers.
    pub reply: Option<String>,
    /// The template that answers (its text and media), instead of `reply`.
    pub template_id: Option<i64>,
    /// Answers on every outlet of the owner; otherwise only on `outlet_ids`.
    pub all_outlets: bool,
    pub outlet_ids: Vec<OutletId>,
    /// Answers only inside these hours (the owner's time zone); none: always.
    pub business_hours: Option<BusinessHours>,
    /// Sent instead outside the business hours; none: nothing is sent then.
    pub outside_hours_reply: Option<String>,
    /// After answering a number, this rule stays silent to it for this long.
    pub cooldown_secs: i64,
    /// Answers the first message ever received from a number (and has no triggers).
    pub is_welcome: bool,
    pub active: bool,
    /// Also answers in group chats (ignored otherwise).
    pub in_groups: bool,
    /// How many automatic replies this rule wrote.
    pub trigger_count: i64,
    pub last_triggered_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Every setting of a rule, checked by the caller (a create, or an update's merged result).
pub struct AutoReplyFields<'a> {
    pub name: &'a str,
    pub triggers: &'a [String],
    pub match_type: MatchType,
    pub case_sensitive: bool,
    pub priority: i64,
    pub reply: Option<&'a str>,
    pub template_id: Option<i64>,
    /// Empty: every outlet. Only ids of the rule's owner are kept.
    pub outlet_ids: &'a [OutletId],
    pub business_hours: Option<&'a BusinessHours>,
    pub outside_hours_reply: Option<&'a str>,
    pub cooldown_secs: i64,
    pub is_welcome: bool,
    pub active: bool,
    pub in_groups: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    owner_id: i64,
    name: String,
    triggers: String,
    match_type: String,
    case_sensitive: bool,
    priority: i64,
    reply: Option<String>,
    template_id: Option<i64>,
    all_outlets: bool,
    hours_days: Option<String>,
    hours_start_min: Option<i64>,
    hours_end_min: Option<i64>,
    outside_reply: Option<String>,
    cooldown_secs: i64,
    is_welcome: bool,
    active: bool,
    in_groups: bool,
    trigger_count: i64,
    last_triggered_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for AutoReply {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<AutoReply> {
        let corrupt = |what: &str, e: &dyn std::fmt::Display| StoreError::Corrupt(format!("auto reply {what}: {e}"));
        let triggers = serde_json::from_str(&r.triggers).map_err(|e| corrupt("triggers", &e))?;
        let business_hours = match (r.hours_days, r.hours_start_min, r.hours_end_min) {
            (Some(days), Some(start), Some(end)) => Some(BusinessHours {
                days: serde_json::from_str(&days).map_err(|e| corrupt("days", &e))?,
                start_min: i32::try_from(start).map_err(|e| corrupt("hours", &e))?,
                end_min: i32::try_from(end).map_err(|e| corrupt("hours", &e))?,
            }),
            _ => None,
        };
        Ok(AutoReply {
            id: r.id,
            owner_id: UserId(r.owner_id),
            name: r.name,
            triggers,
            match_type: r.match_type.parse().map_err(|e| corrupt("match type", &e))?,
            case_sensitive: r.case_sensitive,
            priority: r.priority,
            reply: r.reply,
            template_id: r.template_id,
            all_outlets: r.all_outlets,
            outlet_ids: Vec::new(),
            business_hours,
            outside_hours_reply: r.outside_reply,
            cooldown_secs: r.cooldown_secs,
            is_welcome: r.is_welcome,
            active: r.active,
            in_groups: r.in_groups,
            trigger_count: r.trigger_count,
            last_triggered_at: r.last_triggered_at.map(Timestamp),
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

const COLUMNS: &str = "id, owner_id, name, triggers, match_type, case_sensitive, priority, reply, template_id,
    all_outlets, hours_days, hours_start_min, hours_end_min, outside_reply, cooldown_secs, is_welcome, active,
    in_groups, trigger_count, last_triggered_at, created_at, updated_at";

/// Binds `$3…$18` of an insert or update from the fields.
macro_rules! bind_fields {
    ($q:expr, $f:expr) => {{
        let f = $f;
        let hours = f.business_hours;
        $q.bind(f.name)
            .bind(serde_json::to_string(f.triggers).unwrap_or_else(|_| "[]".into()))
            .bind(f.match_type.as_str())
            .bind(f.case_sensitive)
            .bind(f.priority)
            .bind(f.reply)
            .bind(f.template_id)
            .bind(f.outlet_ids.is_empty())
            .bind(hours.map(|h| serde_json::to_string(&h.days).unwrap_or_else(|_| "[]".into())))
            .bind(hours.map(|h| i64::from(h.start_min)))
            .bind(hours.map(|h| i64::from(h.end_min)))
            .bind(f.outside_hours_reply)
            .bind(f.cooldown_secs)
            .bind(f.is_welcome)
            .bind(f.active)
            .bind(f.in_groups)
    }};
}

/// An automatic reply to write: its outbox rows and what it answers.
pub struct NewAutoReply<'a> {
    pub rule: Option<i64>,
    /// The inbound message answered; a second reply to it is refused.
    pub inbound_message_id: i64,
    /// A template's media sent just before the text (caption mode `separate`).
    pub lead: Option<NewOutgoing<'a>>,
    pub reply: NewOutgoing<'a>,
    /// At most this many automatic replies to the number since `window_start` (this one
    /// included); beyond it nothing is written.
    pub cap: i64,
    pub window_start: Timestamp,
}

/// What became of an automatic reply.
#[derive(Debug)]
pub enum AutoReplyWritten {
    /// In the outbox (the lead media message first, if any).
    Queued(Vec<Message>),
    /// The inbound message was answered already.
    AlreadyAnswered,
    /// The number got the most automatic replies a minute allows.
    OverCap,
}

impl Store {
    /// `Conflict(AutoReplyName)` when the owner already has a rule with this name.
    pub async fn create_auto_reply(
        &self,
        owner: UserId,
        fields: &AutoReplyFields<'_>,
        now: Timestamp,
    ) -> Result<AutoReply> {
        let sql = format!(
            "INSERT INTO auto_replies (owner_id, created_at, updated_at, name, triggers, match_type, case_sensitive,
                 priority, reply, template_id, all_outlets, hours_days, hours_start_min, hours_end_min, outside_reply,
                 cooldown_secs, is_welcome, active, in_groups)
             VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
             RETURNING {COLUMNS}"
        );
        let id = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            crate::billing::within_limit!(self, tx, owner, domain::Limit::AutoReplies, 1, now);
            let q = sqlx::query_as::<_, Row>(&sql).bind(owner.0).bind(now.millis());
            let row: Row = bind_fields!(q, fields).fetch_one(&mut *tx).await
                .map_err(|e| StoreError::from(e).conflict_as(Taken::AutoReplyName))?;
            crate::chosen_outlets::set_chosen_outlets!(tx, "auto_reply_outlets", "auto_reply_id", row.id, owner.0, fields.outlet_ids);
            tx.commit().await?;
            row.id
        });
        self.load_auto_reply(Some(owner.0), id).await?.ok_or(StoreError::NotFound)
    }

    /// `NotFound` outside `scope`; `Conflict(AutoReplyName)` for a name the owner already uses.
    pub async fn update_auto_reply(
        &self,
        scope: Scope,
        id: i64,
        fields: &AutoReplyFields<'_>,
        now: Timestamp,
    ) -> Result<AutoReply> {
        let sql = format!(
            "UPDATE auto_replies SET updated_at = $2, name = $3, triggers = $4, match_type = $5, case_sensitive = $6,
                 priority = $7, reply = $8, template_id = $9, all_outlets = $10, hours_days = $11,
                 hours_start_min = $12, hours_end_min = $13, outside_reply = $14, cooldown_secs = $15,
                 is_welcome = $16, active = $17, in_groups = $18
             WHERE id = $1 AND ($19 IS NULL OR owner_id = $19) RETURNING {COLUMNS}"
        );
        on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let q = sqlx::query_as::<_, Row>(&sql).bind(id).bind(now.millis());
            let row: Option<Row> = bind_fields!(q, fields).bind(scope.owner().map(|u| u.0)).fetch_optional(&mut *tx).await
                .map_err(|e| StoreError::from(e).conflict_as(Taken::AutoReplyName))?;
            let row = row.ok_or(StoreError::NotFound)?;
            crate::chosen_outlets::set_chosen_outlets!(tx, "auto_reply_outlets", "auto_reply_id", row.id, row.owner_id, fields.outlet_ids);
            tx.commit().await?;
        });
        self.auto_reply(scope, id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn auto_reply(&self, scope: Scope, id: i64) -> Result<Option<AutoReply>> {
        self.load_auto_reply(scope.owner().map(|u| u.0), id).await
    }

    async fn load_auto_reply(&self, owner: Option<i64>, id: i64) -> Result<Option<AutoReply>> {
        let sql = format!("SELECT {COLUMNS} FROM auto_replies WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)");
        let row: Option<Row> =
            on_db!(self, read, pool => sqlx::query_as(&sql).bind(id).bind(owner).fetch_optional(pool).await)?;
        let Some(rule) = row.map(AutoReply::try_from).transpose()? else { return Ok(None) };
        Ok(self.with_chosen_outlets(vec![rule], "auto_reply_outlets", "auto_reply_id").await?.pop())
    }

    /// Rules in `scope`, in the order they are tried (priority, then age).
    pub async fn list_auto_replies(&self, scope: Scope, page: Page) -> Result<Paged<AutoReply>> {
        let list = format!(
            "SELECT {COLUMNS} FROM auto_replies WHERE ($1 IS NULL OR owner_id = $1)
             ORDER BY owner_id, priority, id LIMIT $2 OFFSET $3"
        );
        let owner = scope.owner().map(|u| u.0);
        let (rows, total): (Vec<Row>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&list).bind(owner).bind(page.limit()).bind(page.offset()).fetch_all(pool).await?;
            let total = sqlx::query_scalar("SELECT COUNT(*) FROM auto_replies WHERE ($1 IS NULL OR owner_id = $1)")
                .bind(owner).fetch_one(pool).await?;
            (rows, total)
        });
        let rules = rows.into_iter().map(AutoReply::try_from).collect::<Result<Vec<_>>>()?;
        Ok(Paged::new(self.with_chosen_outlets(rules, "auto_reply_outlets", "auto_reply_id").await?, total, page))
    }

    /// `NotFound` for a missing rule or one outside `scope`.
    pub async fn delete_auto_reply(&self, scope: Scope, id: i64) -> Result<()> {
        let done = on_db!(self, write, pool => sqlx::query(
            "DELETE FROM auto_replies WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)")
            .bind(id)
            .bind(scope.owner().map(|u| u.0))
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        crate::error::touched(done)
    }

    /// The active rules of `owner` that answer on `outlet` (all of them without one), in the
    /// order they are tried.
    pub async fn active_auto_replies(&self, owner: UserId, outlet: Option<OutletId>) -> Result<Vec<AutoReply>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM auto_replies r WHERE owner_id = $1 AND active
               AND ($2 IS NULL OR all_outlets OR EXISTS (SELECT 1 FROM auto_reply_outlets o
                                           WHERE o.auto_reply_id = r.id AND o.outlet_id = $2))
             ORDER BY priority, id"
        );
        let rows: Vec<Row> = on_db!(self, read, pool => sqlx::query_as(&sql).bind(owner.0).bind(outlet.map(|o| o.0)).fetch_all(pool).await)?;
        let rules = rows.into_iter().map(AutoReply::try_from).collect::<Result<Vec<_>>>()?;
        self.with_chosen_outlets(rules, "auto_reply_outlets", "auto_reply_id").await
    }

    /// Did `owner` receive a message from `peer` before the message `before`?
    pub async fn has_earlier_inbound(&self, owner: UserId, peer: &str, before: i64) -> Result<bool> {
        let found: Option<i64> = on_db!(self, read, pool => sqlx::query_scalar(
            "SELECT id FROM messages WHERE owner_id = $1 AND peer = $2 AND direction = 'in' AND id < $3 LIMIT 1")
            .bind(owner.0)
            .bind(peer)
            .bind(before)
            .fetch_optional(pool)
            .await)?;
        Ok(found.is_some())
    }

    /// When `rule` last answered `peer`, if ever.
    pub async fn last_auto_reply_to(&self, rule: i64, peer: &str) -> Result<Option<Timestamp>> {
        let at: Option<i64> = on_db!(self, read, pool => sqlx::query_scalar(
            "SELECT MAX(created_at) FROM auto_reply_log WHERE auto_reply_id = $1 AND peer = $2")
            .bind(rule)
            .bind(peer)
            .fetch_one(pool)
            .await)?;
        Ok(at.map(Timestamp))
    }

    /// Forgets automatic replies written before `before` (the longest cooldown ago, or more).
    /// An inbound message stays answered: only a newly stored one is ever handed to the rules.
    pub async fn purge_auto_reply_log(&self, before: Timestamp) -> Result<u64> {
        Ok(on_db!(self, write, pool => sqlx::query("DELETE FROM auto_reply_log WHERE created_at < $1")
            .bind(before.millis())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?)
    }

    /// Writes an automatic reply in one transaction: the log row (unique per inbound message),
    /// the outbox rows marked `auto_reply`, and the rule's counters — unless the inbound
    /// message was answered already or the number reached the cap.
    pub async fn write_auto_reply(&self, new: NewAutoReply<'_>, now: Timestamp) -> Result<AutoReplyWritten> {
        let insert = insert_sql(AUTO_REPLY_ORIGIN);
        let r = &new.reply;
        on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let claim = claim_answer!(tx, owner: r.owner.0, outlet: r.outlet.0, peer: r.to, inbound: new.inbound_message_id,
                rule: new.rule, window_start: new.window_start.millis(), cap: new.cap, now: now.millis());
            let log = match claim {
                Claim::OverCap => return Ok(AutoReplyWritten::OverCap),
                Claim::AlreadyAnswered => return Ok(AutoReplyWritten::AlreadyAnswered),
                Claim::Logged(id) => id,
            };
            let count = if new.lead.is_some() { 2i64 } else { 1 };
            let terms = crate::billing::charge_messages!(tx, r.owner, count, now);
            let mut written = Vec::with_capacity(2);
            for m in new.lead.iter().chain(std::iter::once(&new.reply)) {
                written.push(insert_automatic!(tx, &insert, m, &terms, now.millis()));
            }
            let reply_id = written.last().map(|m| m.id);
            sqlx::query("UPDATE auto_reply_log SET message_id = $2 WHERE id = $1")
                .bind(log)
                .bind(reply_id)
                .execute(&mut *tx)
                .await?;
            if let Some(rule) = new.rule {
                sqlx::query(
                    "UPDATE auto_replies SET trigger_count = trigger_count + 1, last_triggered_at = $2 WHERE id = $1")
                    .bind(rule)
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(AutoReplyWritten::Queued(written))
        })
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::testing::TestDb;
    use crate::{NewInbound, NewOutlet, NewUser, StoreOptions};
    use domain::policy::whatsapp_scope;
    use domain::{Actor, Email, Label, PhoneNumber, Plan, Role};

    async fn user(store: &Store, email: &str) -> UserId {
        let email = Email::parse(email).unwrap();
        let new = NewUser { email: &email, name: "", password_hash: "h", role: Role::User, plan: Plan::Unlimited };
        store.create_user(new, Timestamp(0)).await.unwrap().id
    }

    async fn outlet(store: &Store, owner: UserId, number: &str) -> OutletId {
        let (name, city) = (Label::parse("Toko", 100).unwrap(), Label::parse("Bandung", 100).unwrap());
        let number = PhoneNumber::parse(number).unwrap();
        let new = NewOutlet { owner, name: &name, city: &city, wa_number: &number };
        store.create_outlet(new, Timestamp(0)).await.unwrap().id
    }

    fn fields<'a>(name: &'a str, triggers: &'a [String], outlets: &'a [OutletId]) -> AutoReplyFields<'a> {
        AutoReplyFields {
            name,
            triggers,
            match_type: MatchType::Contains,
            case_sensitive: false,
            priority: 100,
            reply: Some("ok"),
            template_id: None,
            outlet_ids: outlets,
            business_hours: None,
            outside_hours_reply: None,
            cooldown_secs: 0,
            is_welcome: false,
            active: true,
            in_groups: false,
        }
    }

    async fn check(db: &TestDb) {
        let store = Store::open(&db.url, &StoreOptions::default()).await.unwrap();
        let (ana, bob) = (user(&store, "ana@ar.id").await, user(&store, "bob@ar.id").await);
        let (a1, a2, b1) = (
            outlet(&store, ana, "081200000001").await,
            outlet(&store, ana, "081200000002").await,
            outlet(&store, bob, "081200000003").await,
        );
        let triggers = vec!["harga".to_string()];
        let everywhere = store.create_auto_reply(ana, &fields("Semua", &triggers, &[]), Timestamp(1)).await.unwrap();
        // Bob's outlet in the list is not kept: a rule only covers its owner's outlets.
        let chosen = store.create_auto_reply(ana, &fields("Cabang", &triggers, &[a2, b1]), Timestamp(2)).await.unwrap();
        assert_eq!((chosen.all_outlets, chosen.outlet_ids.clone()), (false, vec![a2]));
        assert!(matches!(
            store.create_auto_reply(ana, &fields("SEMUA", &triggers, &[]), Timestamp(3)).await,
            Err(StoreError::Conflict(Taken::AutoReplyName))
        ));
        let ids = |rules: Vec<AutoReply>| rules.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(store.active_auto_replies(ana, Some(a1)).await.unwrap()), [everywhere.id]);
        assert_eq!(ids(store.active_auto_replies(ana, Some(a2)).await.unwrap()), [everywhere.id, chosen.id]);
        assert!(store.active_auto_replies(bob, Some(b1)).await.unwrap().is_empty());
        let bob_scope = whatsapp_scope(Actor { user_id: bob, role: Role::User }).unwrap();
        assert!(store.auto_reply(bob_scope, chosen.id).await.unwrap().is_none());

        // One reply per inbound message, at most `cap` to a number in the window.
        let mut inbound = Vec::new();
        for i in 0..3 {
            let wa_id = format!("W{i}");
            let new = NewInbound {
                owner: ana,
                outlet: a1,
                from: "+6281300000001",
                body: "harga",
                wa_message_id: &wa_id,
                at: Timestamp(10),
                media: None,
            };
            inbound.push(store.record_inbound(new, Timestamp(10)).await.unwrap().unwrap().id);
        }
        assert!(!store.has_earlier_inbound(ana, "+6281300000001", inbound[0]).await.unwrap());
        assert!(store.has_earlier_inbound(ana, "+6281300000001", inbound[1]).await.unwrap());
        let reply = |inbound_message_id| NewAutoReply {
            rule: Some(everywhere.id),
            inbound_message_id,
            lead: None,
            reply: NewOutgoing {
                owner: ana,
                outlet: a1,
                to: "+6281300000001",
                body: "ok",
                media: None,
                api_key_id: None,
                idempotency_key: None,
                expires_at: None,
            },
            cap: 2,
            window_start: Timestamp(0),
        };
        let AutoReplyWritten::Queued(written) = store.write_auto_reply(reply(inbound[0]), Timestamp(20)).await.unwrap()
        else {
            panic!("not written")
        };
        assert_eq!(written[0].origin.as_deref(), Some(AUTO_REPLY_ORIGIN));
        assert!(matches!(
            store.write_auto_reply(reply(inbound[0]), Timestamp(21)).await.unwrap(),
            AutoReplyWritten::AlreadyAnswered
        ));
        assert!(matches!(
            store.write_auto_reply(reply(inbound[1]), Timestamp(22)).await.unwrap(),
            AutoReplyWritten::Queued(_)
        ));
        assert!(matches!(
            store.write_auto_reply(reply(inbound[2]), Timestamp(23)).await.unwrap(),
            AutoReplyWritten::OverCap
        ));
        let counted = store.load_auto_reply(None, everywhere.id).await.unwrap().unwrap();
        assert_eq!((counted.trigger_count, counted.last_triggered_at), (2, Some(Timestamp(22))));
        assert_eq!(store.last_auto_reply_to(everywhere.id, "+6281300000001").await.unwrap(), Some(Timestamp(22)));
        assert_eq!(store.purge_auto_reply_log(Timestamp(22)).await.unwrap(), 1);
        assert_eq!(store.last_auto_reply_to(everywhere.id, "+6281300000001").await.unwrap(), Some(Timestamp(22)));
        store.close().await;
    }

    crate::both_backends! {
        async fn rules_cover_their_owners_outlets_and_answer_once_within_the_cap(db) {
            check(db).await;
        }
    }
}

impl crate::chosen_outlets::ChosenOutlets for AutoReply {
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
