//! Auto-reply rules: kept per owner, checked when saved (a regular expression that does not
//! compile is refused with the reason), and tried on each inbound message by
//! [`crate::services::automations`]. Scoped like templates: one's own rules, or every
//! tenant's for staff; the monitoring role has none.
//!
//! Which rule answers ([`choose`]): the active rules of the message's owner that answer on its
//! outlet, by priority (lower first; on a tie the older rule). A welcome rule answers only the
//! first message ever received from a number, whatever it says; any other rule answers when
//! one of its triggers matches. The first that answers wins, even when its business hours or
//! cooldown then keep it silent: a lower rule does not answer in its place.

use crate::error::{not_found_as, ServiceError, ServiceResult};
use crate::i18n::errors::label;
use crate::i18n::Text;
use crate::services::messages::MAX_TEXT_CHARS;
use crate::services::present;
use crate::services::templates;
use crate::state::AppState;
use domain::policy::{system_scope, whatsapp_scope};
use domain::{
    Actor, BusinessHours, Label, MatchType, Matcher, OutletId, Scope, Template, Timestamp, TriggerError, UserId,
};
use serde::Deserialize;
use std::collections::HashMap;
use store::{AutoReply, AutoReplyFields, Page, Paged, TemplateMedia};

const NAME_MAX: usize = 100;
pub const MAX_TRIGGERS: usize = 50;
pub const MAX_PRIORITY: i64 = 1_000_000;
/// A week. The reply log is kept a day longer (`workers::retention`).
pub const MAX_COOLDOWN_SECS: i64 = 7 * 24 * 3600;
/// The priority of a rule that does not say.
pub const DEFAULT_PRIORITY: i64 = 100;

fn yes() -> bool {
    true
}

fn default_priority() -> i64 {
    DEFAULT_PRIORITY
}

/// A whole rule as asked for, unchecked: a create, or an update merged onto the stored rule.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewAutoReply)]
pub struct RuleInput {
    #[schema(example = "Harga", max_length = 100)]
    pub name: String,
    /// Words or phrases (at most 50, each at most 200 characters); one matching is enough.
    /// Leave empty for a welcome rule. A `regex` trigger that does not compile is refused (422,
    /// field `triggers`) with the reason.
    #[serde(default)]
    #[schema(example = json!(["harga", "price list"]))]
    pub triggers: Vec<String>,
    /// `contains` by default.
    #[serde(default)]
    pub match_type: MatchType,
    /// Off by default: case and accents do not matter.
    #[serde(default)]
    pub case_sensitive: bool,
    /// Lower is tried first (0 to 1,000,000; 100 by default).
    #[serde(default = "default_priority")]
    pub priority: i64,
    /// The reply, with `{{variables}}` and `{a|b}` spintax as in templates. Give this or
    /// `template_id`.
    #[schema(example = "Halo {{name}}, daftar harga kami: ...", max_length = 4096)]
    pub reply: Option<String>,
    /// A template of the caller's whose text (and image or document) answers.
    pub template_id: Option<i64>,
    /// The caller's outlets it answers on; every outlet when empty or left out.
    #[serde(default)]
    pub outlet_ids: Vec<i64>,
    /// Answers only inside these hours, in the owner's time zone.
    pub business_hours: Option<BusinessHours>,
    /// Sent instead outside the business hours; nothing then when left out.
    #[schema(max_length = 4096)]
    pub outside_hours_reply: Option<String>,
    /// Stays silent to a number for this long after answering it (0 to 604,800).
    #[serde(default)]
    pub cooldown_secs: i64,
    /// Answers the first message ever received from a number.
    #[serde(default)]
    pub is_welcome: bool,
    #[serde(default = "yes")]
    pub active: bool,
    /// Also answers in group chats (off: groups are ignored).
    #[serde(default)]
    pub in_groups: bool,
}

/// What an update changes: a field left out stays as it is, `null` clears one that may be
/// empty.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AutoReplyChanges)]
pub struct RuleChanges {
    #[schema(max_length = 100)]
    pub name: Option<String>,
    pub triggers: Option<Vec<String>>,
    pub match_type: Option<MatchType>,
    pub case_sensitive: Option<bool>,
    pub priority: Option<i64>,
    /// A reply text replaces the rule's template.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 4096)]
    pub reply: Option<Option<String>>,
    /// A template replaces the rule's reply text.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub template_id: Option<Option<i64>>,
    /// Empty: every outlet.
    pub outlet_ids: Option<Vec<i64>>,
    /// `null` removes the business hours (and the rule answers at any time).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<BusinessHours>)]
    pub business_hours: Option<Option<BusinessHours>>,
    /// `null` sends nothing outside the business hours.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 4096)]
    pub outside_hours_reply: Option<Option<String>>,
    pub cooldown_secs: Option<i64>,
    pub is_welcome: Option<bool>,
    pub active: Option<bool>,
    pub in_groups: Option<bool>,
}

pub async fn list(state: &AppState, actor: Actor, page: Page) -> ServiceResult<Paged<AutoReply>> {
    let scope = whatsapp_scope(actor)?;
    Ok(state.store.list_auto_replies(scope, page).await?)
}

pub async fn show(state: &AppState, actor: Actor, id: i64) -> ServiceResult<AutoReply> {
    let scope = whatsapp_scope(actor)?;
    find(state, scope, id).await
}

async fn find(state: &AppState, scope: Scope, id: i64) -> ServiceResult<AutoReply> {
    state.store.auto_reply(scope, id).await?.ok_or_else(|| ServiceError::not_found("error-auto-reply-not-found"))
}

/// A new rule of the caller's own.
pub async fn create(state: &AppState, actor: Actor, input: RuleInput) -> ServiceResult<AutoReply> {
    whatsapp_scope(actor)?;
    let outlets = check(state, actor.user_id, &input).await?;
    let fields = fields(&input, &outlets);
    Ok(state.store.create_auto_reply(actor.user_id, &fields, state.clock.now()).await?)
}

/// Changes a rule; the result is checked as a whole against its owner's outlets, templates
/// and contact fields.
pub async fn update(state: &AppState, actor: Actor, id: i64, changes: RuleChanges) -> ServiceResult<AutoReply> {
    let scope = whatsapp_scope(actor)?;
    let rule = find(state, scope, id).await?;
    let input = merge(rule.clone(), changes);
    let outlets = check(state, rule.owner_id, &input).await?;
    let fields = fields(&input, &outlets);
    state
        .store
        .update_auto_reply(scope, id, &fields, state.clock.now())
        .await
        .map_err(not_found_as("error-auto-reply-not-found"))
}

pub async fn delete(state: &AppState, actor: Actor, id: i64) -> ServiceResult<()> {
    let scope = whatsapp_scope(actor)?;
    state.store.delete_auto_reply(scope, id).await.map_err(not_found_as("error-auto-reply-not-found"))
}

fn merge(rule: AutoReply, c: RuleChanges) -> RuleInput {
    let (mut reply, mut template_id) = (rule.reply, rule.template_id);
    let reply_given = c.reply.is_some();
    if let Some(new) = c.reply {
        if new.is_some() && c.template_id.is_none() {
            template_id = None;
        }
        reply = new;
    }
    if let Some(new) = c.template_id {
        if new.is_some() && !reply_given {
            reply = None;
        }
        template_id = new;
    }
    RuleInput {
        name: c.name.unwrap_or(rule.name),
        triggers: c.triggers.unwrap_or(rule.triggers),
        match_type: c.match_type.unwrap_or(rule.match_type),
        case_sensitive: c.case_sensitive.unwrap_or(rule.case_sensitive),
        priority: c.priority.unwrap_or(rule.priority),
        reply,
        template_id,
        outlet_ids: c.outlet_ids.unwrap_or_else(|| rule.outlet_ids.iter().map(|o| o.0).collect()),
        business_hours: c.business_hours.unwrap_or(rule.business_hours),
        outside_hours_reply: c.outside_hours_reply.unwrap_or(rule.outside_hours_reply),
        cooldown_secs: c.cooldown_secs.unwrap_or(rule.cooldown_secs),
        is_welcome: c.is_welcome.unwrap_or(rule.is_welcome),
        active: c.active.unwrap_or(rule.active),
        in_groups: c.in_groups.unwrap_or(rule.in_groups),
    }
}

fn fields<'a>(input: &'a RuleInput, outlets: &'a [OutletId]) -> AutoReplyFields<'a> {
    AutoReplyFields {
        name: input.name.trim(),
        triggers: &input.triggers,
        match_type: input.match_type,
        case_sensitive: input.case_sensitive,
        priority: input.priority,
        reply: input.reply.as_deref(),
        template_id: input.template_id,
        outlet_ids: outlets,
        business_hours: input.business_hours.as_ref(),
        outside_hours_reply: input.outside_hours_reply.as_deref(),
        cooldown_secs: input.cooldown_secs,
        is_welcome: input.is_welcome,
        active: input.active,
        in_groups: input.in_groups,
    }
}

/// The refusal of a trigger, at the `triggers` field.
fn trigger_error(e: TriggerError) -> ServiceError {
    let text = match e {
        TriggerError::Empty => Text::new("error-auto-reply-trigger-empty"),
        TriggerError::TooLong => Text::new("error-auto-reply-trigger-too-long").arg("max", domain::TRIGGER_MAX_CHARS),
        TriggerError::BadRegex { pattern, reason } => {
            Text::new("error-auto-reply-bad-regex").arg("pattern", pattern).arg("reason", reason)
        }
    };
    ServiceError::invalid("triggers", text)
}

/// Rules' triggers compiled once, not for every message: a rule may hold 50 regular
/// expressions and every inbound message is tried against all of its owner's rules. Keyed by
/// the rule and its `updated_at`, so a changed rule is compiled again.
#[derive(Default)]
pub struct Matchers {
    compiled: HashMap<i64, (Timestamp, Option<Matcher>)>,
}

/// Rules kept compiled at most; beyond it the cache starts over.
const MATCHERS_KEPT: usize = 10_000;

impl Matchers {
    /// The rule's matcher; `None` for a welcome rule (it has no triggers).
    fn get(&mut self, rule: &AutoReply) -> Result<Option<&Matcher>, TriggerError> {
        let fresh = self.compiled.get(&rule.id).is_some_and(|(at, _)| *at == rule.updated_at);
        if !fresh {
            let matcher = if rule.is_welcome {
                None
            } else {
                Some(Matcher::new(rule.match_type, rule.case_sensitive, &rule.triggers)?)
            };
            if self.compiled.len() >= MATCHERS_KEPT {
                self.compiled.clear();
            }
            self.compiled.insert(rule.id, (rule.updated_at, matcher));
        }
        Ok(self.compiled.get(&rule.id).and_then(|(_, m)| m.as_ref()))
    }
}

/// Checks a whole rule for `owner`; answers its outlets.
async fn check(state: &AppState, owner: UserId, input: &RuleInput) -> ServiceResult<Vec<OutletId>> {
    Label::parse(&input.name, NAME_MAX)
        .map_err(|e| ServiceError::invalid("name", label("field-auto-reply-name", e)))?;
    if input.is_welcome {
        if !input.triggers.is_empty() {
            return Err(ServiceError::invalid("triggers", "error-auto-reply-welcome-triggers"));
        }
    } else if input.triggers.is_empty() {
        return Err(ServiceError::invalid("triggers", "error-auto-reply-triggers-required"));
    }
    if input.triggers.len() > MAX_TRIGGERS {
        return Err(ServiceError::invalid(
            "triggers",
            Text::new("error-auto-reply-too-many-triggers").arg("max", MAX_TRIGGERS),
        ));
    }
    if input.triggers.iter().any(|t| has_control(t)) {
        return Err(ServiceError::invalid("triggers", "error-text-control"));
    }
    Matcher::new(input.match_type, input.case_sensitive, &input.triggers).map_err(trigger_error)?;
    if !(0..=MAX_PRIORITY).contains(&input.priority) {
        return Err(ServiceError::invalid("priority", Text::new("error-auto-reply-priority").arg("max", MAX_PRIORITY)));
    }
    if !(0..=MAX_COOLDOWN_SECS).contains(&input.cooldown_secs) {
        return Err(ServiceError::invalid(
            "cooldown_secs",
            Text::new("error-auto-reply-cooldown").arg("max", MAX_COOLDOWN_SECS),
        ));
    }
    match (&input.reply, input.template_id) {
        (Some(_), Some(_)) => return Err(ServiceError::invalid("template_id", "error-auto-reply-reply-and-template")),
        (None, None) => return Err(ServiceError::invalid("reply", "error-auto-reply-reply-required")),
        (Some(text), None) => check_text(state, owner, "reply", text).await?,
        (None, Some(id)) => match state.store.template(system_scope(), id).await? {
            Some(t) if t.owner_id == owner => {}
            _ => return Err(ServiceError::invalid("template_id", "error-template-not-found")),
        },
    }
    if let Some(hours) = &input.business_hours {
        if !hours.is_valid() {
            return Err(ServiceError::invalid("business_hours", "error-auto-reply-hours"));
        }
    }
    if let Some(text) = &input.outside_hours_reply {
        if input.business_hours.is_none() {
            return Err(ServiceError::invalid("outside_hours_reply", "error-auto-reply-outside-without-hours"));
        }
        check_text(state, owner, "outside_hours_reply", text).await?;
    }
    crate::services::outlets::chosen(state, owner, &input.outlet_ids).await
}

/// A reply text: a template body (variables the owner's contacts have, spintax), not too long.
async fn check_text(state: &AppState, owner: UserId, field: &'static str, text: &str) -> ServiceResult<()> {
    if has_control(text) {
        return Err(ServiceError::invalid(field, "error-text-control"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ServiceError::invalid(field, Text::new("error-too-long").arg("max", MAX_TEXT_CHARS)));
    }
    let known = state.store.contact_field_names(owner).await?;
    Template::parse(text, &|name| known.iter().any(|k| k == name)).map_err(|e| ServiceError::invalid(field, &e))?;
    Ok(())
}

/// Control characters other than line breaks and tabs (PostgreSQL text cannot even hold NUL).
fn has_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// The rule that answers `text`, with the index of the trigger that matched (none for a
/// welcome rule). `rules` are in the order they are tried; `first_message` says whether this
/// is the first message ever received from the number. A stored rule whose triggers no longer
/// compile (they were checked when saved) is passed over.
pub(crate) fn choose<'a>(
    matchers: &mut Matchers,
    rules: &'a [AutoReply],
    text: &str,
    first_message: bool,
) -> Option<(&'a AutoReply, Option<usize>)> {
    for rule in rules.iter().filter(|r| r.active) {
        match matchers.get(rule) {
            Ok(None) if first_message => return Some((rule, None)),
            Ok(None) => {}
            Ok(Some(m)) => {
                if let Some(i) = m.find(text) {
                    return Some((rule, Some(i)));
                }
            }
            Err(e) => tracing::warn!(rule = rule.id, error = %e, "an auto-reply rule's triggers do not compile"),
        }
    }
    None
}

/// What a rule sends now: its reply inside business hours, else the outside-hours reply (or
/// nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer<'a> {
    Text(&'a str),
    Template(i64),
    Nothing,
}

pub(crate) fn answer_at<'a>(rule: &'a AutoReply, now: Timestamp, time_zone: &str) -> (Answer<'a>, bool) {
    let open = rule.business_hours.as_ref().is_none_or(|h| h.is_open(now, time_zone));
    let answer = match (open, &rule.reply, rule.template_id, &rule.outside_hours_reply) {
        (true, Some(text), _, _) => Answer::Text(text),
        (true, None, Some(t), _) => Answer::Template(t),
        (false, _, _, Some(text)) => Answer::Text(text),
        _ => Answer::Nothing,
    };
    (answer, !open)
}

/// What the tester is asked.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AutoReplyTest)]
pub struct TestInput {
    #[schema(example = "Berapa harganya?", max_length = 4096)]
    pub text: String,
    /// Only the rules that answer on this outlet; all of the owner's active rules without it.
    pub outlet_id: Option<i64>,
    /// The contact whose values fill the reply; sample values without it.
    pub contact_id: Option<i64>,
    /// As the first message ever from the number: welcome rules answer.
    #[serde(default)]
    pub first_message: bool,
}

/// The tester's answer.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = AutoReplyTestResult)]
pub struct TestResult {
    /// The rule that answers; none when no rule does.
    pub rule_id: Option<i64>,
    pub rule_name: Option<String>,
    /// The trigger that matched (none for a welcome rule).
    pub trigger: Option<String>,
    /// Outside the rule's business hours now.
    pub outside_hours: bool,
    /// The text that would be sent, rendered; none when the rule stays silent now.
    pub reply: Option<String>,
    /// The template's image or document that would go with it.
    pub media: Option<TemplateMedia>,
}

/// Which rule would answer `input.text` now, and with what. Writes nothing.
pub async fn test(state: &AppState, actor: Actor, input: TestInput) -> ServiceResult<TestResult> {
    let scope = whatsapp_scope(actor)?;
    if input.text.trim().is_empty() {
        return Err(ServiceError::invalid("text", "error-auto-reply-text-required"));
    }
    let outlet = match input.outlet_id {
        Some(id) => Some(
            state
                .store
                .outlet(scope, OutletId(id))
                .await?
                .ok_or_else(|| ServiceError::invalid("outlet_id", "error-outlet-not-found"))?,
        ),
        None => None,
    };
    let contact = match input.contact_id {
        Some(id) => Some(
            state
                .store
                .contact(scope, id)
                .await?
                .ok_or_else(|| ServiceError::invalid("contact_id", "error-contact-not-found"))?,
        ),
        None => None,
    };
    // A staff member testing a tenant's outlet or contact tests that tenant's rules.
    let owner = outlet.as_ref().map(|o| o.owner_id).or(contact.as_ref().map(|c| c.owner_id)).unwrap_or(actor.user_id);
    let rules = state.store.active_auto_replies(owner, outlet.as_ref().map(|o| o.id)).await?;
    let mut result =
        TestResult { rule_id: None, rule_name: None, trigger: None, outside_hours: false, reply: None, media: None };
    let chosen = choose(&mut Matchers::default(), &rules, &input.text, input.first_message);
    let Some((rule, trigger)) = chosen else { return Ok(result) };
    let user = state.store.user(owner).await?.ok_or_else(|| ServiceError::internal("rule owner missing"))?;
    let (answer, outside) = answer_at(rule, state.clock.now(), &user.time_zone);
    result.rule_id = Some(rule.id);
    result.rule_name = Some(rule.name.clone());
    result.trigger = trigger.and_then(|i| rule.triggers.get(i).cloned());
    result.outside_hours = outside;
    let values = match &contact {
        Some(c) => templates::contact_values(state, scope, c, outlet.as_ref().map(|o| o.name.as_str())).await?,
        None => templates::sample_values(state, owner).await?,
    };
    let body = match answer {
        Answer::Nothing => return Ok(result),
        Answer::Text(text) => text.to_string(),
        Answer::Template(id) => {
            let saved = state.store.template(system_scope(), id).await?.filter(|t| t.owner_id == owner);
            let Some(saved) = saved else { return Ok(result) };
            result.media = saved.media.clone();
            saved.body
        }
    };
    let template = Template::parse(&body, &|_| true).map_err(|e| ServiceError::invalid("reply", &e))?;
    result.reply = Some(templates::render(&template, &values, templates::PREVIEW_SEED));
    Ok(result)
}
