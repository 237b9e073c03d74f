//! What answers an inbound message by itself: the one entry point ([`on_inbound`]) that the
//! automations worker calls for every stored inbound message. Safety first, then the owner's
//! chatbot flows ([`crate::services::chatbots::run`]), then the auto-reply rules.
//!
//! Safety, in order:
//! - only one-to-one chats, never a message the linked phone sent itself ([`not_a_conversation`],
//!   applied before a message is even stored), never an outgoing message; a group chat only
//!   where a rule or flow opts in (`in_groups`), and then only those answer;
//! - each WhatsApp message id once: the session hands a message over only when its row was new
//!   (unique per outlet and id), and the reply's log row is unique per inbound message and
//!   written in the reply's transaction, so a replay after a reconnect answers nothing;
//! - opted-out and blocked contacts get nothing;
//! - only the outlet owner's rules, and of those only the ones for this outlet;
//! - at most `auto_reply_max_per_minute` automatic replies to one number a minute: two bots
//!   answering each other stop there, since a bot that is not answered has nothing to answer.
//!
//! Replies are outbox rows like every other message (the device's pacing sends them), marked
//! with origin `auto_reply` (a rule) or `chatbot` (a flow).

use crate::error::{ServiceError, ServiceResult};
pub use crate::services::auto_replies::Matchers;
use crate::services::auto_replies::{answer_at, choose, Answer};
use crate::services::{chatbots, templates};
use crate::state::AppState;
use domain::policy::system_scope;
use domain::{CaptionMode, Direction, PhoneNumber, Template, Timestamp};
use engine::{ChatKind, IncomingMessage};
use std::collections::BTreeMap;
use store::{AutoReplyWritten, Message, NewAutoReply, NewOutgoing};

/// Why an incoming message is no conversation to store or answer, if it is not one.
pub fn not_a_conversation(m: &IncomingMessage) -> Option<&'static str> {
    if m.from_me {
        return Some("sent from the linked phone");
    }
    match m.chat {
        ChatKind::Direct => None,
        ChatKind::Group => Some("a group chat"),
        ChatKind::Broadcast => Some("a broadcast list"),
        ChatKind::Status => Some("a status update"),
    }
}

/// Written in a group chat (stored only because a rule or flow of the owner answers in
/// groups): only those answer it.
pub(crate) fn in_group(message: &Message) -> bool {
    message.peer.ends_with(engine::GROUP_SUFFIX)
}

/// What became of an inbound message.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Not an inbound message (our own outgoing ones never are answered).
    NotInbound,
    /// The contact opted out or is blocked.
    Unwelcome,
    /// No rule answers it.
    NoRule,
    /// The rule that answers is silent now (outside its hours without another reply, cooling
    /// down, its template gone).
    Silent,
    /// Answered: the reply's message id.
    Replied(i64),
    AlreadyAnswered,
    OverCap,
}

/// Tries the owner's automations on a stored inbound message. `matchers` keeps rules'
/// triggers compiled from one message to the next.
pub async fn on_inbound(state: &AppState, matchers: &mut Matchers, message: &Message) -> ServiceResult<Outcome> {
    if message.direction != Direction::In || message.origin.is_some() {
        return Ok(Outcome::NotInbound);
    }
    let owner = message.owner_id;
    let number = PhoneNumber::parse(&message.peer).ok();
    let contact = match &number {
        Some(n) => state.store.contact_by_number(owner, n).await?,
        None => None,
    };
    if contact.as_ref().is_some_and(|c| c.blocked || c.opted_out_at.is_some()) {
        return Ok(Outcome::Unwelcome);
    }
    let outlet = state
        .store
        .outlet(system_scope(), message.outlet_id)
        .await?
        .ok_or_else(|| ServiceError::internal("the message's outlet is gone"))?;
    let values = match &contact {
        Some(c) => templates::contact_values(state, system_scope(), c, Some(&outlet.name)).await?,
        None => BTreeMap::from([
            ("phone".to_string(), message.peer.clone()),
            ("date".to_string(), templates::today(state, owner).await?),
            ("outlet".to_string(), outlet.name.clone()),
        ]),
    };
    // Flows before rules: a conversation in progress (or handed over to a person) takes every
    // message of its contact, so an answer to the bot's question never also gets a rule's
    // reply; then a flow whose trigger matches; only then the rules.
    if let Some(outcome) = chatbots::run::on_inbound(state, message, &values).await? {
        return Ok(outcome);
    }
    let mut rules = state.store.active_auto_replies(owner, Some(message.outlet_id)).await?;
    if in_group(message) {
        rules.retain(|r| r.in_groups);
    }
    if rules.is_empty() {
        return Ok(Outcome::NoRule);
    }
    let first = if rules.iter().any(|r| r.is_welcome) {
        !state.store.has_earlier_inbound(owner, &message.peer, message.id).await?
    } else {
        false
    };
    let Some((rule, _)) = choose(matchers, &rules, &message.body, first) else { return Ok(Outcome::NoRule) };
    let now = state.clock.now();
    if rule.cooldown_secs > 0 {
        if let Some(last) = state.store.last_auto_reply_to(rule.id, &message.peer).await? {
            if last.plus_secs(rule.cooldown_secs) > now {
                return Ok(Outcome::Silent);
            }
        }
    }
    let user = state.store.user(owner).await?.ok_or_else(|| ServiceError::internal("outlet owner missing"))?;
    let (answer, _) = answer_at(rule, now, &user.time_zone);
    let (body, template) = match answer {
        Answer::Nothing => return Ok(Outcome::Silent),
        Answer::Text(text) => (text.to_string(), None),
        Answer::Template(id) => match state.store.template(system_scope(), id).await? {
            Some(t) if t.owner_id == owner => (t.body.clone(), Some(t)),
            _ => return Ok(Outcome::Silent),
        },
    };
    // Checked when saved; a custom field dropped since then renders empty rather than failing.
    let parsed = Template::parse(&body, &|_| true).map_err(|e| ServiceError::internal(e.to_string()))?;
    let text = templates::render(&parsed, &values, templates::number_seed(&message.peer));
    let media = match &template {
        Some(t) => templates::media_for_send(state, system_scope(), t).await?,
        None => None,
    };
    let expiry = state.config.message_expiry_secs;
    let expires_at = (expiry > 0).then(|| now.plus_secs(i64::try_from(expiry).unwrap_or(i64::MAX)));
    let separate = template.as_ref().is_some_and(|t| t.caption_mode == CaptionMode::Separate);
    let out = |body: &'static str| NewOutgoing {
        owner,
        outlet: message.outlet_id,
        to: &message.peer,
        body,
        media: None,
        api_key_id: None,
        idempotency_key: None,
        expires_at,
    };
    let (lead, reply) = match &media {
        Some(m) if separate => (Some(NewOutgoing { media: Some(m.as_new_media()), ..out("") }), out("")),
        Some(m) => (None, NewOutgoing { media: Some(m.as_new_media()), ..out("") }),
        None => (None, out("")),
    };
    let reply = NewOutgoing { body: &text, ..reply };
    let new = NewAutoReply {
        rule: Some(rule.id),
        inbound_message_id: message.id,
        lead,
        reply,
        cap: i64::from(state.config.auto_reply_max_per_minute),
        window_start: Timestamp(now.millis() - 60_000),
    };
    let outcome = match state.store.write_auto_reply(new, now).await? {
        AutoReplyWritten::Queued(written) => {
            if let Some(t) = &template {
                if let Err(e) = templates::count_use(state, t.id).await {
                    tracing::warn!(template = t.id, "template use not counted: {e}");
                }
            }
            if let Some(device) = state.store.device_of_outlet(system_scope(), message.outlet_id).await? {
                state.sessions.wake_sender(device.id);
            }
            Outcome::Replied(written.last().map_or(0, |m| m.id))
        }
        AutoReplyWritten::AlreadyAnswered => Outcome::AlreadyAnswered,
        AutoReplyWritten::OverCap => {
            tracing::info!(outlet = %message.outlet_id, "automatic replies to a number reached the cap a minute");
            Outcome::OverCap
        }
    };
    Ok(outcome)
}
