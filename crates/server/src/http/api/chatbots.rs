//! `/api/chatbots`: see `app::services::chatbots` (flows, conversations, the simulator) and
//! `app::services::chatbots::run` (how flows answer on WhatsApp).

use crate::http::api::PageParams;
use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::chatbots::{self, Control, FlowChanges, FlowInput, SimulateInput, Simulation};
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use store::{Chatbot, ChatbotSession, Paged};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, patch, replace, remove))
        .routes(routes!(activate))
        .routes(routes!(deactivate))
        .routes(routes!(duplicate))
        .routes(routes!(export))
        .routes(routes!(import))
        .routes(routes!(simulate))
        .routes(routes!(sessions))
        .routes(routes!(hand_over))
        .routes(routes!(resume))
        .routes(routes!(close))
}

const ID: &str = "The chatbot's id";

/// List chatbots
///
/// The caller's flows (staff: every tenant's), oldest first.
#[utoipa::path(get, path = "/api/chatbots", tag = "chatbots", operation_id = "listChatbots",
    params(PageParams), responses((status = 200, body = Paged<Chatbot>)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<PageParams>,
) -> AppResult<Json<Paged<Chatbot>>> {
    Ok(Json(chatbots::list(&state, caller.actor, store::Page::new(p.page, p.per_page)).await?))
}

/// Create a chatbot
///
/// The steps are checked as a whole: every step reachable from the first, no edge to a
/// missing step, no loop without an `ask`; a refusal (422, field `steps`) names the step.
/// Names are unique per owner (409). Off until `active` is true.
#[utoipa::path(post, path = "/api/chatbots", tag = "chatbots", operation_id = "createChatbot",
    request_body = FlowInput, responses((status = 201, body = Chatbot)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<FlowInput>,
) -> AppResult<(StatusCode, Json<Chatbot>)> {
    Ok((StatusCode::CREATED, Json(chatbots::create(&state, caller.actor, b).await?)))
}

/// Import a chatbot
///
/// The JSON an export gives (the same shape as a create), as a new flow of the caller's.
#[utoipa::path(post, path = "/api/chatbots/import", tag = "chatbots", operation_id = "importChatbot",
    request_body = FlowInput, responses((status = 201, body = Chatbot)))]
async fn import(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<FlowInput>,
) -> AppResult<(StatusCode, Json<Chatbot>)> {
    Ok((StatusCode::CREATED, Json(chatbots::create(&state, caller.actor, b).await?)))
}

/// Show a chatbot
#[utoipa::path(get, path = "/api/chatbots/{id}", tag = "chatbots", operation_id = "getChatbot",
    params(("id" = i64, Path, description = ID)), responses((status = 200, body = Chatbot)))]
async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<Chatbot>> {
    Ok(Json(chatbots::show(&state, caller.actor, id).await?))
}

/// Change a chatbot
///
/// A field left out stays; the flow as changed is checked like a new one.
#[utoipa::path(patch, path = "/api/chatbots/{id}", tag = "chatbots", operation_id = "updateChatbot",
    params(("id" = i64, Path, description = ID)), request_body = FlowChanges, responses((status = 200, body = Chatbot)))]
async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<FlowChanges>,
) -> AppResult<Json<Chatbot>> {
    Ok(Json(chatbots::update(&state, caller.actor, id, b).await?))
}

/// Replace a chatbot
///
/// The whole flow, as in a create.
#[utoipa::path(put, path = "/api/chatbots/{id}", tag = "chatbots", operation_id = "replaceChatbot",
    params(("id" = i64, Path, description = ID)), request_body = FlowInput, responses((status = 200, body = Chatbot)))]
async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<FlowInput>,
) -> AppResult<Json<Chatbot>> {
    Ok(Json(chatbots::replace(&state, caller.actor, id, b).await?))
}

/// Delete a chatbot
///
/// Its conversations go with it; replies already written stay.
#[utoipa::path(delete, path = "/api/chatbots/{id}", tag = "chatbots", operation_id = "deleteChatbot",
    params(("id" = i64, Path, description = ID)), responses((status = 204, description = "Deleted")))]
async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    chatbots::delete(&state, caller.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Switch a chatbot on
#[utoipa::path(post, path = "/api/chatbots/{id}/activate", tag = "chatbots", operation_id = "activateChatbot",
    params(("id" = i64, Path, description = ID)), responses((status = 200, body = Chatbot)))]
async fn activate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Chatbot>> {
    Ok(Json(chatbots::set_active(&state, caller.actor, id, true).await?))
}

/// Switch a chatbot off
///
/// Its conversations stop with it: the next message is tried on the other flows and the rules.
#[utoipa::path(post, path = "/api/chatbots/{id}/deactivate", tag = "chatbots", operation_id = "deactivateChatbot",
    params(("id" = i64, Path, description = ID)), responses((status = 200, body = Chatbot)))]
async fn deactivate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Chatbot>> {
    Ok(Json(chatbots::set_active(&state, caller.actor, id, false).await?))
}

/// Duplicate a chatbot
///
/// A copy, switched off, named "… (copy)".
#[utoipa::path(post, path = "/api/chatbots/{id}/duplicate", tag = "chatbots", operation_id = "duplicateChatbot",
    params(("id" = i64, Path, description = ID)), responses((status = 201, body = Chatbot)))]
async fn duplicate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<(StatusCode, Json<Chatbot>)> {
    Ok((StatusCode::CREATED, Json(chatbots::duplicate(&state, caller.actor, id).await?)))
}

/// Export a chatbot
///
/// The flow as JSON in the shape a create or an import takes.
#[utoipa::path(get, path = "/api/chatbots/{id}/export", tag = "chatbots", operation_id = "exportChatbot",
    params(("id" = i64, Path, description = ID)), responses((status = 200, body = FlowInput)))]
async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<FlowInput>> {
    Ok(Json(chatbots::export_of(&chatbots::show(&state, caller.actor, id).await?)))
}

/// Simulate a chatbot
///
/// Runs a saved flow (`chatbot_id`) or one being edited (`flow`) on the customer's messages so
/// far, as WhatsApp would, and answers the bot's replies to each and the flow's variables.
/// Sends and writes nothing; HTTP calls are not made (they fail) and delays go on at once.
#[utoipa::path(post, path = "/api/chatbots/simulate", tag = "chatbots", operation_id = "simulateChatbot",
    request_body = SimulateInput, responses((status = 200, body = Simulation)))]
async fn simulate(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<SimulateInput>,
) -> AppResult<Json<Simulation>> {
    Ok(Json(chatbots::simulate(&state, caller.actor, b).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SessionParams {
    page: Option<u32>,
    per_page: Option<u32>,
    /// `active`, `handed_over` or `closed`; all without it.
    status: Option<String>,
}

/// List chatbot conversations
///
/// The latest activity first.
#[utoipa::path(get, path = "/api/chatbots/sessions", tag = "chatbots", operation_id = "listChatbotSessions",
    params(SessionParams), responses((status = 200, body = Paged<ChatbotSession>)))]
async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<SessionParams>,
) -> AppResult<Json<Paged<ChatbotSession>>> {
    let page = store::Page::new(p.page, p.per_page);
    Ok(Json(chatbots::sessions(&state, caller.actor, p.status.as_deref(), page).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HandOverParams {
    /// How long the bot stays quiet, 1 to 10,080 (the flow's hand-over minutes without it).
    minutes: Option<i64>,
}

/// Hand a conversation over
///
/// The bot stays quiet to this contact for the minutes given; `chatbot.handed_over` goes out
/// on the event stream.
#[utoipa::path(post, path = "/api/chatbots/sessions/{id}/hand-over", tag = "chatbots", operation_id = "handOverChatbotSession",
    params(("id" = i64, Path, description = "The conversation's id"), HandOverParams),
    responses((status = 200, body = ChatbotSession)))]
async fn hand_over(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<HandOverParams>,
) -> AppResult<Json<ChatbotSession>> {
    Ok(Json(chatbots::control(&state, caller.actor, id, Control::HandOver(p.minutes)).await?))
}

/// Give a conversation back to the bot
#[utoipa::path(post, path = "/api/chatbots/sessions/{id}/resume", tag = "chatbots", operation_id = "resumeChatbotSession",
    params(("id" = i64, Path, description = "The conversation's id")), responses((status = 200, body = ChatbotSession)))]
async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<ChatbotSession>> {
    Ok(Json(chatbots::control(&state, caller.actor, id, Control::Resume).await?))
}

/// Close a conversation
///
/// The contact's next message is tried on the triggers afresh.
#[utoipa::path(post, path = "/api/chatbots/sessions/{id}/close", tag = "chatbots", operation_id = "closeChatbotSession",
    params(("id" = i64, Path, description = "The conversation's id")), responses((status = 200, body = ChatbotSession)))]
async fn close(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<ChatbotSession>> {
    Ok(Json(chatbots::control(&state, caller.actor, id, Control::Close).await?))
}
