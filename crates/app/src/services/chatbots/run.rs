//! Flows on WhatsApp: called by `services::automations::on_inbound` (after its safety checks,
//! before the auto-reply rules), by the automations worker for delays that came due, and by a
//! device's session when a person answers from the phone.
//!
//! Which flow takes an inbound message: the contact's conversation on that outlet when it is
//! live (active and not expired, or handed over and still quiet), else the first of the
//! owner's active flows for the outlet (oldest first) whose trigger matches. An expired
//! conversation is over: the message is tried on the triggers afresh. The end keyword closes a
//! live conversation. A turn is written in one transaction with its replies (origin
//! `chatbot`) and the once-per-inbound log row that the rules use too, so a replay answers
//! nothing and the per-number cap counts the bot's and the rules' replies together (two bots
//! talking to each other stop there).

use super::engine::{self, Conversation, Ending, Env, Reply, Turn};
use crate::error::ServiceResult;
use crate::services::automations::{in_group, Outcome};
use crate::services::templates;
use crate::state::AppState;
use domain::chatbot::Trigger;
use domain::policy::system_scope;
use domain::{Matcher, Template, Timestamp};
use serde::Serialize;
use std::collections::BTreeMap;
use store::{Chatbot, ChatbotSession, ChatbotTurn, ChatbotWritten, Message, NewOutgoing, SessionState};

/// `chatbot.handed_over` on the event stream: a conversation waits for a person.
#[derive(Debug, Clone, Serialize)]
pub struct HandOverEvent {
    #[serde(skip)]
    pub owner_id: domain::UserId,
    pub session_id: i64,
    pub chatbot_id: i64,
    pub outlet_id: domain::OutletId,
    pub peer: String,
    pub until: Option<Timestamp>,
}

/// Tells the owner's open event streams that a conversation was handed over.
pub fn announce_hand_over(state: &AppState, session: &ChatbotSession, until: Option<Timestamp>) {
    let event = HandOverEvent {
        owner_id: session.owner_id,
        session_id: session.id,
        chatbot_id: session.chatbot_id,
        outlet_id: session.outlet_id,
        peer: session.peer.clone(),
        until,
    };
    // Nobody listening is fine: the sessions list shows it too.
    let _ = state.chatbot_events.send(event);
}

/// Makes a flow's HTTP calls through the guarded outbound client.
struct Guarded<'a>(&'a AppState);

impl engine::Caller for Guarded<'_> {
    async fn call(
        &self,
        method: &str,
        url: &str,
        body: Option<&str>,
        timeout_secs: u32,
    ) -> Result<serde_json::Value, String> {
        let method = if method == "POST" { reqwest::Method::POST } else { reqwest::Method::GET };
        let mut request = self.0.outbound.request(method, url).map_err(|e| e.to_string())?;
        request = request.timeout(std::time::Duration::from_secs(u64::from(timeout_secs)));
        if let Some(b) = body {
            request = request.header("content-type", "application/json").body(b.to_string());
        }
        let response = request.send().await.map_err(|e| crate::clients::outbound::describe(&e))?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status().as_u16()));
        }
        // A flow keeps a few fields; an answer of more than 1 MB is not one to read.
        let bytes = response.bytes().await.map_err(|e| crate::clients::outbound::describe(&e))?;
        if bytes.len() > 1024 * 1024 {
            return Err("the answer is larger than 1 MB".into());
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("the answer is not JSON: {e}"))
    }
}

/// A flow takes the message (`Some`), or none does and the rules may answer (`None`).
pub async fn on_inbound(
    state: &AppState,
    message: &Message,
    values: &BTreeMap<String, String>,
) -> ServiceResult<Option<Outcome>> {
    let now = state.clock.now();
    let owner = message.owner_id;
    let live = match state.store.chatbot_session_with(message.outlet_id, &message.peer).await? {
        Some(s) if s.status == "handed_over" && s.handed_over_until.is_some_and(|u| u > now) => {
            return Ok(Some(Outcome::Silent));
        }
        Some(s) if s.status == "active" && s.expires_at > now => {
            let bot = state.store.chatbot(system_scope(), s.chatbot_id).await?;
            bot.filter(|b| b.active && (b.in_groups || !in_group(message))).map(|b| (s, b))
        }
        _ => None,
    };
    let user = state.store.user(owner).await?.ok_or_else(|| crate::error::ServiceError::internal("owner missing"))?;
    let env = Env { now, time_zone: &user.time_zone, values, seed: templates::number_seed(&message.peer) };
    let caller = Guarded(state);
    let (bot, turn, started_at) = match live {
        Some((session, bot)) => {
            if domain::fold(&message.body) == domain::fold(&bot.end_keyword) {
                let conversation = Conversation { step: None, variables: session.variables.clone(), retries: 0 };
                let turn = Turn { replies: Vec::new(), conversation, ending: Ending::Ended };
                (bot, turn, session.started_at)
            } else {
                let conversation = Conversation {
                    step: session.step.clone(),
                    variables: session.variables.clone(),
                    retries: u32::try_from(session.retries).unwrap_or(0),
                };
                let turn = engine::answer(&bot.steps, conversation, &message.body, &env, &caller).await;
                (bot, turn, session.started_at)
            }
        }
        None => {
            let Some(bot) = triggered(state, message).await? else { return Ok(None) };
            let turn = engine::start(&bot.steps, &env, &caller).await;
            (bot, turn, now)
        }
    };
    write(state, &bot, message.outlet_id, &message.peer, Some(message.id), turn, started_at, values).await.map(Some)
}

/// The first active flow for the message's outlet whose trigger matches it.
async fn triggered(state: &AppState, message: &Message) -> ServiceResult<Option<Chatbot>> {
    let bots = state.store.active_chatbots(message.owner_id, message.outlet_id).await?;
    let group = in_group(message);
    let mut first: Option<bool> = None;
    for bot in bots.into_iter().filter(|b| !group || b.in_groups) {
        let hit = match &bot.trigger {
            Trigger::Any => true,
            Trigger::First => {
                if first.is_none() {
                    first = Some(!state.store.has_earlier_inbound(message.owner_id, &message.peer, message.id).await?);
                }
                first == Some(true)
            }
            Trigger::Keywords { keywords, match_type } => {
                // Compiled per message: an owner has a few flows, and their keywords are words.
                Matcher::new(*match_type, false, keywords).is_ok_and(|m| m.find(&message.body).is_some())
            }
        };
        if hit {
            return Ok(Some(bot));
        }
    }
    Ok(None)
}

/// Writes a turn: its replies in the outbox, the conversation's new state.
#[allow(clippy::too_many_arguments)]
async fn write(
    state: &AppState,
    bot: &Chatbot,
    outlet: domain::OutletId,
    peer: &str,
    inbound: Option<i64>,
    turn: Turn,
    started_at: Timestamp,
    values: &BTreeMap<String, String>,
) -> ServiceResult<Outcome> {
    let now = state.clock.now();
    let expiry = state.config.message_expiry_secs;
    let expires_at = (expiry > 0).then(|| now.plus_secs(i64::try_from(expiry).unwrap_or(i64::MAX)));
    // Owned first: the outbox rows borrow them.
    let mut bodies: Vec<(String, Option<templates::TemplateAttachment>)> = Vec::new();
    for reply in &turn.replies {
        match reply {
            Reply::Text { text } => bodies.push((text.clone(), None)),
            Reply::Template { template_id } => {
                let Some(t) = state.store.template(system_scope(), *template_id).await? else { continue };
                if t.owner_id != bot.owner_id {
                    continue;
                }
                let parsed = Template::parse(&t.body, &|_| true).ok();
                let text =
                    parsed.map(|p| templates::render(&p, values, templates::number_seed(peer))).unwrap_or_default();
                let media = templates::media_for_send(state, system_scope(), &t).await?;
                bodies.push((text, media));
            }
        }
    }
    let replies = bodies
        .iter()
        .map(|(body, media)| NewOutgoing {
            owner: bot.owner_id,
            outlet,
            to: peer,
            body,
            media: media.as_ref().map(|m| m.as_new_media()),
            api_key_id: None,
            idempotency_key: None,
            expires_at,
        })
        .collect();
    let session_end = now.plus_secs(bot.session_minutes * 60);
    let (status, handed_over_until, resume_at) = match turn.ending {
        Ending::Waiting => ("active", None, None),
        Ending::Delayed { seconds } => ("active", None, Some(now.plus_secs(i64::from(seconds)))),
        Ending::HandedOver { minutes } => ("handed_over", Some(now.plus_secs(i64::from(minutes) * 60)), None),
        Ending::Ended => ("closed", None, None),
    };
    let session = SessionState {
        chatbot_id: bot.id,
        step: turn.conversation.step.clone(),
        variables: turn.conversation.variables.clone(),
        status,
        retries: i64::from(turn.conversation.retries),
        started_at,
        // A delay never outlives the conversation: it expires a session length after it is due.
        expires_at: resume_at.map_or(session_end, |r| r.plus_secs(bot.session_minutes * 60)),
        handed_over_until,
        resume_at,
    };
    let new = ChatbotTurn {
        owner: bot.owner_id,
        outlet,
        peer,
        inbound_message_id: inbound,
        replies,
        session,
        cap: i64::from(state.config.auto_reply_max_per_minute),
        window_start: Timestamp(now.millis() - 60_000),
    };
    Ok(match state.store.write_chatbot_turn(new, now).await? {
        ChatbotWritten::Queued(written) => {
            if let Some(device) = state.store.device_of_outlet(system_scope(), outlet).await? {
                state.sessions.wake_sender(device.id);
            }
            if handed_over_until.is_some() {
                if let Some(s) = state.store.chatbot_session_with(outlet, peer).await? {
                    announce_hand_over(state, &s, handed_over_until);
                }
            }
            match written.last() {
                Some(m) => Outcome::Replied(m.id),
                None => Outcome::Silent,
            }
        }
        ChatbotWritten::AlreadyAnswered => Outcome::AlreadyAnswered,
        ChatbotWritten::OverCap => Outcome::OverCap,
    })
}

/// Goes on with conversations whose delay came due; returns how many.
pub async fn resume_due(state: &AppState) -> ServiceResult<usize> {
    let due = state.store.take_due_chatbot_sessions(state.clock.now(), 50).await?;
    let count = due.len();
    for session in due {
        let Some(bot) = state.store.chatbot(system_scope(), session.chatbot_id).await?.filter(|b| b.active) else {
            continue;
        };
        let user = state.store.user(bot.owner_id).await?;
        let zone = user.map_or_else(|| "Asia/Jakarta".to_string(), |u| u.time_zone);
        let number = domain::PhoneNumber::parse(&session.peer).ok();
        let contact = match &number {
            Some(n) => state.store.contact_by_number(bot.owner_id, n).await?,
            None => None,
        };
        let values = match &contact {
            Some(c) => templates::contact_values(state, system_scope(), c, None).await?,
            None => BTreeMap::from([("phone".to_string(), session.peer.clone())]),
        };
        let env = Env {
            now: state.clock.now(),
            time_zone: &zone,
            values: &values,
            seed: templates::number_seed(&session.peer),
        };
        let conversation =
            Conversation { step: session.step.clone(), variables: session.variables.clone(), retries: 0 };
        let turn = engine::resume(&bot.steps, conversation, &env, &Guarded(state)).await;
        // One conversation that cannot go on (its owner's messages for the month are used up,
        // say) does not hold up the others.
        if let Err(e) =
            write(state, &bot, session.outlet_id, &session.peer, None, turn, session.started_at, &values).await
        {
            tracing::info!(chatbot = bot.id, error = %e, "a delayed chatbot step was not sent");
        }
    }
    Ok(count)
}
