//! Chatbot flows: kept per owner, checked as a whole when saved (steps by
//! `domain::chatbot::validate`, keywords like auto-reply triggers, templates and outlets the
//! owner's), imported and exported in the shape they are created with, duplicated, switched on
//! and off; their conversations listed with the hand-over controls; and a simulator that runs
//! a flow on typed messages and writes nothing. Scoped like auto-reply rules: one's own, or
//! every tenant's for staff; the monitoring role has none. Running a flow on WhatsApp is
//! [`run`], the flow logic [`engine`].

pub mod engine;
pub mod run;

use self::engine::{Conversation, Ending, Env, NoCalls, Reply};
use crate::error::{not_found_as, ServiceError, ServiceResult};
use crate::i18n::errors::label;
use crate::i18n::Text;
use crate::state::AppState;
use domain::chatbot::{validate, FlowError, Step, StepKind, Trigger};
use domain::policy::{system_scope, whatsapp_scope};
use domain::{Actor, Label, Matcher, OutletId, Scope, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use store::{Chatbot, ChatbotFields, ChatbotSession, Page, Paged};

const NAME_MAX: usize = 100;
const MAX_SESSION_MINUTES: i64 = 24 * 60;
const MAX_HAND_OVER_MINUTES: i64 = domain::chatbot::MAX_HAND_OVER_MINUTES as i64;
const MAX_SIMULATED: usize = 50;

fn default_session_minutes() -> i64 {
    30
}
fn default_end_keyword() -> String {
    "#selesai".into()
}
fn default_hand_over_minutes() -> i64 {
    60
}

/// A whole flow: what a create, a replace or an import gives, and what an export answers.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ChatbotInput)]
#[serde(deny_unknown_fields)]
pub struct FlowInput {
    pub name: String,
    /// Off until switched on, unless given.
    #[serde(default)]
    pub active: bool,
    pub trigger: Trigger,
    /// Empty: every outlet of the owner.
    #[serde(default)]
    pub outlet_ids: Vec<i64>,
    /// The first step is the start.
    pub steps: Vec<Step>,
    #[serde(default = "default_session_minutes")]
    pub session_minutes: i64,
    #[serde(default = "default_end_keyword")]
    pub end_keyword: String,
    #[serde(default = "default_hand_over_minutes")]
    pub hand_over_minutes: i64,
    /// Also holds conversations in group chats, each group one conversation (off: groups are
    /// ignored).
    #[serde(default)]
    pub in_groups: bool,
}

/// What a PATCH changes; absent fields stay.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ChatbotChanges)]
#[serde(deny_unknown_fields)]
pub struct FlowChanges {
    pub name: Option<String>,
    pub active: Option<bool>,
    pub trigger: Option<Trigger>,
    pub outlet_ids: Option<Vec<i64>>,
    pub steps: Option<Vec<Step>>,
    pub session_minutes: Option<i64>,
    pub end_keyword: Option<String>,
    pub hand_over_minutes: Option<i64>,
    pub in_groups: Option<bool>,
}

pub fn export_of(bot: &Chatbot) -> FlowInput {
    FlowInput {
        name: bot.name.clone(),
        active: bot.active,
        trigger: bot.trigger.clone(),
        outlet_ids: bot.outlet_ids.iter().map(|o| o.0).collect(),
        steps: bot.steps.clone(),
        session_minutes: bot.session_minutes,
        end_keyword: bot.end_keyword.clone(),
        hand_over_minutes: bot.hand_over_minutes,
        in_groups: bot.in_groups,
    }
}

pub async fn list(state: &AppState, actor: Actor, page: Page) -> ServiceResult<Paged<Chatbot>> {
    Ok(state.store.list_chatbots(whatsapp_scope(actor)?, page).await?)
}

pub async fn show(state: &AppState, actor: Actor, id: i64) -> ServiceResult<Chatbot> {
    find(state, whatsapp_scope(actor)?, id).await
}

async fn find(state: &AppState, scope: Scope, id: i64) -> ServiceResult<Chatbot> {
    state.store.chatbot(scope, id).await?.ok_or_else(|| ServiceError::not_found("error-chatbot-not-found"))
}

/// A new flow of the caller's own (an import is one).
pub async fn create(state: &AppState, actor: Actor, input: FlowInput) -> ServiceResult<Chatbot> {
    whatsapp_scope(actor)?;
    let outlets = check(state, actor.user_id, &input).await?;
    Ok(state.store.create_chatbot(actor.user_id, &fields(&input, &outlets), state.clock.now()).await?)
}

/// Replaces a flow (PUT), or changes some of it (PATCH, merged first); checked as a whole.
pub async fn update(state: &AppState, actor: Actor, id: i64, changes: FlowChanges) -> ServiceResult<Chatbot> {
    let scope = whatsapp_scope(actor)?;
    let bot = find(state, scope, id).await?;
    let old = export_of(&bot);
    let input = FlowInput {
        name: changes.name.unwrap_or(old.name),
        active: changes.active.unwrap_or(old.active),
        trigger: changes.trigger.unwrap_or(old.trigger),
        outlet_ids: changes.outlet_ids.unwrap_or(old.outlet_ids),
        steps: changes.steps.unwrap_or(old.steps),
        session_minutes: changes.session_minutes.unwrap_or(old.session_minutes),
        end_keyword: changes.end_keyword.unwrap_or(old.end_keyword),
        hand_over_minutes: changes.hand_over_minutes.unwrap_or(old.hand_over_minutes),
        in_groups: changes.in_groups.unwrap_or(old.in_groups),
    };
    let outlets = check(state, bot.owner_id, &input).await?;
    state
        .store
        .update_chatbot(scope, id, &fields(&input, &outlets), state.clock.now())
        .await
        .map_err(not_found_as("error-chatbot-not-found"))
}

pub async fn replace(state: &AppState, actor: Actor, id: i64, input: FlowInput) -> ServiceResult<Chatbot> {
    let changes = FlowChanges {
        name: Some(input.name),
        active: Some(input.active),
        trigger: Some(input.trigger),
        outlet_ids: Some(input.outlet_ids),
        steps: Some(input.steps),
        session_minutes: Some(input.session_minutes),
        end_keyword: Some(input.end_keyword),
        hand_over_minutes: Some(input.hand_over_minutes),
        in_groups: Some(input.in_groups),
    };
    update(state, actor, id, changes).await
}

pub async fn set_active(state: &AppState, actor: Actor, id: i64, active: bool) -> ServiceResult<Chatbot> {
    update(state, actor, id, FlowChanges { active: Some(active), ..FlowChanges::default() }).await
}

pub async fn delete(state: &AppState, actor: Actor, id: i64) -> ServiceResult<()> {
    let scope = whatsapp_scope(actor)?;
    state.store.delete_chatbot(scope, id).await.map_err(not_found_as("error-chatbot-not-found"))
}

/// A copy, switched off, named "<name> (copy)" (or "(copy 2)", … when taken), for the flow's owner.
pub async fn duplicate(state: &AppState, actor: Actor, id: i64) -> ServiceResult<Chatbot> {
    let scope = whatsapp_scope(actor)?;
    let bot = find(state, scope, id).await?;
    let mut input = export_of(&bot);
    input.active = false;
    let outlets: Vec<OutletId> = bot.outlet_ids.clone();
    for n in 1..=20 {
        let suffix = if n == 1 { " (copy)".to_string() } else { format!(" (copy {n})") };
        let base: String = bot.name.chars().take(NAME_MAX - suffix.chars().count()).collect();
        input.name = format!("{base}{suffix}");
        match state.store.create_chatbot(bot.owner_id, &fields(&input, &outlets), state.clock.now()).await {
            Err(store::StoreError::Conflict(store::Taken::ChatbotName)) => continue,
            other => return Ok(other?),
        }
    }
    Err(ServiceError::invalid("name", "error-taken-chatbot-name"))
}

fn fields<'a>(input: &'a FlowInput, outlets: &'a [OutletId]) -> ChatbotFields<'a> {
    ChatbotFields {
        name: input.name.trim(),
        active: input.active,
        trigger: &input.trigger,
        outlet_ids: outlets,
        steps: &input.steps,
        session_minutes: input.session_minutes,
        end_keyword: input.end_keyword.trim(),
        hand_over_minutes: input.hand_over_minutes,
        in_groups: input.in_groups,
    }
}

/// The refusal of a flow's steps, naming the step.
fn flow_error(e: FlowError) -> ServiceError {
    let text = match e {
        FlowError::Empty => Text::new("error-chatbot-no-steps"),
        FlowError::TooManySteps => Text::new("error-chatbot-too-many-steps").arg("max", domain::chatbot::MAX_STEPS),
        FlowError::Invalid { step, what } => {
            Text::new("error-chatbot-step-invalid").arg("step", step).arg("reason", what)
        }
        FlowError::DuplicateId(step) => Text::new("error-chatbot-duplicate-step").arg("step", step),
        FlowError::MissingStep { step, target } => {
            Text::new("error-chatbot-missing-step").arg("step", step).arg("target", target)
        }
        FlowError::Unreachable(step) => Text::new("error-chatbot-unreachable").arg("step", step),
        FlowError::CycleWithoutAsk(step) => Text::new("error-chatbot-cycle").arg("step", step),
    };
    ServiceError::invalid("steps", text)
}

/// Checks a whole flow for `owner`; answers its outlets.
async fn check(state: &AppState, owner: UserId, input: &FlowInput) -> ServiceResult<Vec<OutletId>> {
    Label::parse(&input.name, NAME_MAX).map_err(|e| ServiceError::invalid("name", label("field-chatbot-name", e)))?;
    check_steps(state, owner, &input.steps).await?;
    if let Trigger::Keywords { keywords, match_type } = &input.trigger {
        if keywords.is_empty() {
            return Err(ServiceError::invalid("trigger", "error-chatbot-keywords-required"));
        }
        Matcher::new(*match_type, false, keywords)
            .map_err(|e| ServiceError::invalid("trigger", Text::new("error-chatbot-keyword").arg("reason", e)))?;
    }
    check_settings(state, owner, input).await
}

/// The steps as a whole, and the templates they send are `owner`'s.
async fn check_steps(state: &AppState, owner: UserId, steps: &[domain::chatbot::Step]) -> ServiceResult<()> {
    validate(steps).map_err(flow_error)?;
    for step in steps {
        if let StepKind::Send { template_id: Some(id), .. } = step.kind {
            match state.store.template(system_scope(), id).await? {
                Some(t) if t.owner_id == owner => {}
                _ => {
                    let reason = Text::new("error-template-not-found");
                    return Err(ServiceError::invalid(
                        "steps",
                        Text::new("error-chatbot-step-template").arg("step", &step.id).arg_text("reason", reason),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The conversation settings and outlets; answers the outlets.
async fn check_settings(state: &AppState, owner: UserId, input: &FlowInput) -> ServiceResult<Vec<OutletId>> {
    if !(1..=MAX_SESSION_MINUTES).contains(&input.session_minutes) {
        let text = Text::new("error-chatbot-session-minutes").arg("max", MAX_SESSION_MINUTES);
        return Err(ServiceError::invalid("session_minutes", text));
    }
    if !(1..=MAX_HAND_OVER_MINUTES).contains(&input.hand_over_minutes) {
        let text = Text::new("error-chatbot-hand-over-minutes").arg("max", MAX_HAND_OVER_MINUTES);
        return Err(ServiceError::invalid("hand_over_minutes", text));
    }
    let keyword = input.end_keyword.trim();
    if keyword.is_empty() || keyword.chars().count() > 50 {
        return Err(ServiceError::invalid("end_keyword", "error-chatbot-end-keyword"));
    }
    crate::services::outlets::chosen(state, owner, &input.outlet_ids).await
}

/// Conversations in the caller's scope; `status` one of active, handed_over, closed.
pub async fn sessions(
    state: &AppState,
    actor: Actor,
    status: Option<&str>,
    page: Page,
) -> ServiceResult<Paged<ChatbotSession>> {
    let scope = whatsapp_scope(actor)?;
    if status.is_some_and(|s| !matches!(s, "active" | "handed_over" | "closed")) {
        return Err(ServiceError::invalid("status", "error-chatbot-session-status"));
    }
    Ok(state.store.list_chatbot_sessions(scope, status, page).await?)
}

/// A hand-over control on a conversation.
#[derive(Debug, Clone, Copy)]
pub enum Control {
    /// The bot goes quiet for this many minutes (the flow's hand-over minutes without).
    HandOver(Option<i64>),
    /// The bot answers again (where the conversation was).
    Resume,
    Close,
}

pub async fn control(state: &AppState, actor: Actor, id: i64, control: Control) -> ServiceResult<ChatbotSession> {
    let scope = whatsapp_scope(actor)?;
    let missing = || ServiceError::not_found("error-chatbot-session-not-found");
    let session = state.store.chatbot_session(scope, id).await?.ok_or_else(missing)?;
    let now = state.clock.now();
    let (status, until) = match control {
        Control::HandOver(minutes) => {
            let minutes = match minutes {
                Some(m) if (1..=MAX_HAND_OVER_MINUTES).contains(&m) => m,
                Some(_) => {
                    let text = Text::new("error-chatbot-hand-over-minutes").arg("max", MAX_HAND_OVER_MINUTES);
                    return Err(ServiceError::invalid("minutes", text));
                }
                None => {
                    state.store.chatbot(system_scope(), session.chatbot_id).await?.map_or(60, |b| b.hand_over_minutes)
                }
            };
            ("handed_over", Some(now.plus_secs(minutes * 60)))
        }
        Control::Resume => ("active", None),
        Control::Close => ("closed", None),
    };
    state
        .store
        .set_chatbot_session_status(scope, id, status, until, now)
        .await
        .map_err(not_found_as("error-chatbot-session-not-found"))?;
    if status == "handed_over" {
        run::announce_hand_over(state, &session, until);
    }
    state.store.chatbot_session(scope, id).await?.ok_or_else(missing)
}

/// What the simulator is asked: a saved flow or one being edited, and the messages so far.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = ChatbotSimulateInput)]
#[serde(deny_unknown_fields)]
pub struct SimulateInput {
    pub chatbot_id: Option<i64>,
    pub flow: Option<FlowInput>,
    /// The customer's messages, oldest first.
    pub messages: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ChatbotSimulatedTurn)]
pub struct SimulatedTurn {
    pub message: String,
    pub replies: Vec<Reply>,
    pub ending: Option<Ending>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ChatbotSimulation)]
pub struct Simulation {
    pub turns: Vec<SimulatedTurn>,
    /// The flow's variables after the last message.
    pub variables: BTreeMap<String, String>,
    /// The ask waiting for the next message; none when the conversation ended.
    pub waiting_step: Option<String>,
}

/// Runs a flow on typed messages as WhatsApp would (the first message starts it, whatever
/// the trigger; the end keyword ends it; an ended conversation starts again on the next
/// message), without sending or writing anything. HTTP calls are not made (they fail, so the
/// flow's `on_error` path shows); a delay goes on at once.
pub async fn simulate(state: &AppState, actor: Actor, input: SimulateInput) -> ServiceResult<Simulation> {
    let scope = whatsapp_scope(actor)?;
    let (owner, flow) = match (input.chatbot_id, input.flow) {
        (Some(id), None) => {
            let bot = find(state, scope, id).await?;
            (bot.owner_id, export_of(&bot))
        }
        (None, Some(flow)) => {
            // Only what a run needs: a flow being made may have no name or keywords yet.
            check_steps(state, actor.user_id, &flow.steps).await?;
            (actor.user_id, flow)
        }
        _ => return Err(ServiceError::invalid("flow", "error-chatbot-simulate-one")),
    };
    if input.messages.len() > MAX_SIMULATED {
        return Err(ServiceError::invalid(
            "messages",
            Text::new("error-chatbot-simulate-many").arg("max", MAX_SIMULATED),
        ));
    }
    let user = state.store.user(owner).await?.ok_or_else(|| ServiceError::internal("flow owner missing"))?;
    let values: BTreeMap<String, String> = crate::services::templates::sample_values(state, owner).await?;
    let env = Env { now: state.clock.now(), time_zone: &user.time_zone, values: &values, seed: 0 };
    let mut open: Option<Conversation> = None;
    let mut variables = BTreeMap::new();
    let mut turns = Vec::with_capacity(input.messages.len());
    for message in input.messages {
        if domain::fold(&message) == domain::fold(&flow.end_keyword) {
            open = None;
            turns.push(SimulatedTurn { message, replies: Vec::new(), ending: Some(Ending::Ended) });
            continue;
        }
        let mut turn = match open.take() {
            Some(c) => engine::answer(&flow.steps, c, &message, &env, &NoCalls).await,
            None => engine::start(&flow.steps, &env, &NoCalls).await,
        };
        while let Ending::Delayed { .. } = turn.ending {
            let mut more = engine::resume(&flow.steps, turn.conversation, &env, &NoCalls).await;
            turn.replies.append(&mut more.replies);
            more.replies = turn.replies;
            turn = more;
        }
        variables = turn.conversation.variables.clone();
        if turn.ending == Ending::Waiting {
            open = Some(turn.conversation);
        }
        turns.push(SimulatedTurn { message, replies: turn.replies, ending: Some(turn.ending) });
    }
    let waiting_step = open.and_then(|c| c.step);
    Ok(Simulation { turns, variables, waiting_step })
}
