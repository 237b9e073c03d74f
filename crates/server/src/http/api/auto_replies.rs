//! `/api/auto-replies`: see `app::services::auto_replies` (the rules) and
//! `app::services::automations` (when and how they answer).

use crate::http::api::PageParams;
use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::auto_replies::{self, RuleChanges, RuleInput, TestInput, TestResult, DEFAULT_PRIORITY};
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::{BusinessHours, MatchType};
use serde::{Deserialize, Deserializer};
use store::{AutoReply, Paged};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(show, update, remove)).routes(routes!(test))
}

/// List auto-reply rules
///
/// The caller's rules (staff: every tenant's), in the order they are tried: by priority, then
/// the older first.
#[utoipa::path(get, path = "/api/auto-replies", tag = "auto-replies", operation_id = "listAutoReplies",
    params(PageParams), responses((status = 200, body = Paged<AutoReply>)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<PageParams>,
) -> AppResult<Json<Paged<AutoReply>>> {
    Ok(Json(auto_replies::list(&state, caller.actor, store::Page::new(p.page, p.per_page)).await?))
}

fn yes() -> bool {
    true
}

fn default_priority() -> i64 {
    DEFAULT_PRIORITY
}

/// A new rule.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewAutoReply)]
struct NewRule {
    #[schema(example = "Harga", max_length = 100)]
    name: String,
    /// Words or phrases (at most 50, each at most 200 characters); one matching is enough.
    /// Leave empty for a welcome rule. A `regex` trigger that does not compile is refused (422,
    /// field `triggers`) with the reason.
    #[serde(default)]
    #[schema(example = json!(["harga", "price list"]))]
    triggers: Vec<String>,
    /// `contains` by default.
    #[serde(default)]
    match_type: MatchType,
    /// Off by default: case and accents do not matter.
    #[serde(default)]
    case_sensitive: bool,
    /// Lower is tried first (0 to 1,000,000; 100 by default).
    #[serde(default = "default_priority")]
    priority: i64,
    /// The reply, with `{{variables}}` and `{a|b}` spintax as in templates. Give this or
    /// `template_id`.
    #[schema(example = "Halo {{name}}, daftar harga kami: ...", max_length = 4096)]
    reply: Option<String>,
    /// A template of the caller's whose text (and image or document) answers.
    template_id: Option<i64>,
    /// The caller's outlets it answers on; every outlet when empty or left out.
    #[serde(default)]
    outlet_ids: Vec<i64>,
    /// Answers only inside these hours, in the owner's time zone.
    business_hours: Option<BusinessHours>,
    /// Sent instead outside the business hours; nothing then when left out.
    #[schema(max_length = 4096)]
    outside_hours_reply: Option<String>,
    /// Stays silent to a number for this long after answering it (0 to 604,800).
    #[serde(default)]
    cooldown_secs: i64,
    /// Answers the first message ever received from a number.
    #[serde(default)]
    is_welcome: bool,
    #[serde(default = "yes")]
    active: bool,
}

/// Create an auto-reply rule
///
/// Names are unique per owner (409 for a second one).
#[utoipa::path(post, path = "/api/auto-replies", tag = "auto-replies", operation_id = "createAutoReply",
    request_body = NewRule, responses((status = 201, body = AutoReply)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<NewRule>,
) -> AppResult<(StatusCode, Json<AutoReply>)> {
    let input = RuleInput {
        name: b.name,
        triggers: b.triggers,
        match_type: b.match_type,
        case_sensitive: b.case_sensitive,
        priority: b.priority,
        reply: b.reply,
        template_id: b.template_id,
        outlet_ids: b.outlet_ids,
        business_hours: b.business_hours,
        outside_hours_reply: b.outside_hours_reply,
        cooldown_secs: b.cooldown_secs,
        is_welcome: b.is_welcome,
        active: b.active,
    };
    Ok((StatusCode::CREATED, Json(auto_replies::create(&state, caller.actor, input).await?)))
}

/// Show an auto-reply rule
#[utoipa::path(get, path = "/api/auto-replies/{id}", tag = "auto-replies", operation_id = "getAutoReply",
    params(("id" = i64, Path, description = "The rule's id")), responses((status = 200, body = AutoReply)))]
async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<AutoReply>> {
    Ok(Json(auto_replies::show(&state, caller.actor, id).await?))
}

/// What to change; a field left out stays as it is.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AutoReplyChanges)]
struct Changes {
    #[schema(max_length = 100)]
    name: Option<String>,
    triggers: Option<Vec<String>>,
    match_type: Option<MatchType>,
    case_sensitive: Option<bool>,
    priority: Option<i64>,
    /// A reply text replaces the rule's template.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 4096)]
    reply: Option<Option<String>>,
    /// A template replaces the rule's reply text.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    template_id: Option<Option<i64>>,
    /// Empty: every outlet.
    outlet_ids: Option<Vec<i64>>,
    /// `null` removes the business hours (and the rule answers at any time).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<BusinessHours>)]
    business_hours: Option<Option<BusinessHours>>,
    /// `null` sends nothing outside the business hours.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 4096)]
    outside_hours_reply: Option<Option<String>>,
    cooldown_secs: Option<i64>,
    is_welcome: Option<bool>,
    active: Option<bool>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`, by `default`).
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Change an auto-reply rule
///
/// The rule as changed is checked like a new one.
#[utoipa::path(patch, path = "/api/auto-replies/{id}", tag = "auto-replies", operation_id = "updateAutoReply",
    params(("id" = i64, Path, description = "The rule's id")), request_body = Changes,
    responses((status = 200, body = AutoReply)))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Changes>,
) -> AppResult<Json<AutoReply>> {
    let changes = RuleChanges {
        name: b.name,
        triggers: b.triggers,
        match_type: b.match_type,
        case_sensitive: b.case_sensitive,
        priority: b.priority,
        reply: b.reply,
        template_id: b.template_id,
        outlet_ids: b.outlet_ids,
        business_hours: b.business_hours,
        outside_hours_reply: b.outside_hours_reply,
        cooldown_secs: b.cooldown_secs,
        is_welcome: b.is_welcome,
        active: b.active,
    };
    Ok(Json(auto_replies::update(&state, caller.actor, id, changes).await?))
}

/// Delete an auto-reply rule
///
/// Replies it already wrote stay as they are.
#[utoipa::path(delete, path = "/api/auto-replies/{id}", tag = "auto-replies", operation_id = "deleteAutoReply",
    params(("id" = i64, Path, description = "The rule's id")), responses((status = 204, description = "Deleted")))]
async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    auto_replies::delete(&state, caller.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A message to try the rules on.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AutoReplyTest)]
struct TestRequest {
    #[schema(example = "Berapa harganya?", max_length = 4096)]
    text: String,
    /// Only the rules that answer on this outlet; without it, all the owner's active rules.
    outlet_id: Option<i64>,
    /// The contact whose values fill the reply; sample values without it.
    contact_id: Option<i64>,
    /// As the first message ever from the number: welcome rules answer.
    #[serde(default)]
    first_message: bool,
}

/// Test the auto-reply rules
///
/// Which rule would answer this message now, and the reply it would send (rendered, with its
/// business hours applied). Sends and writes nothing.
#[utoipa::path(post, path = "/api/auto-replies/test", tag = "auto-replies", operation_id = "testAutoReplies",
    request_body = TestRequest, responses((status = 200, body = TestResult)))]
async fn test(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<TestRequest>,
) -> AppResult<Json<TestResult>> {
    let input =
        TestInput { text: b.text, outlet_id: b.outlet_id, contact_id: b.contact_id, first_message: b.first_message };
    Ok(Json(auto_replies::test(&state, caller.actor, input).await?))
}
