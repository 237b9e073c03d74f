//! `/api/integrations`: see `app::services::integrations` (the channels) and
//! `app::workers::integrations` (how forwards are sent and retried).

use super::PageParams;
use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::integrations::replies::{self, Received};
use app::services::integrations::{self, Created, IntegrationChanges, IntegrationInput};
use app::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::Json;
use store::{Forward, Integration, Paged};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, remove))
        .routes(routes!(test))
        .routes(routes!(log))
        .routes(routes!(replies_on, replies_off))
        .routes(routes!(telegram_update))
}

/// List integrations
#[utoipa::path(get, path = "/api/integrations", tag = "integrations", operation_id = "listIntegrations",
    params(PageParams), responses((status = 200, body = Paged<Integration>)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<PageParams>,
) -> AppResult<Json<Paged<Integration>>> {
    Ok(Json(integrations::list(&state, caller.actor, p.page()).await?))
}

/// Create an integration
///
/// The secret (a bot token, a webhook URL, an SMTP password) is kept encrypted and never shown
/// again in full; a custom webhook's signing secret is made here and shown this once.
#[utoipa::path(post, path = "/api/integrations", tag = "integrations", operation_id = "createIntegration",
    request_body = IntegrationInput, responses((status = 201, body = Created)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<IntegrationInput>,
) -> AppResult<(StatusCode, Json<Created>)> {
    Ok((StatusCode::CREATED, Json(integrations::create(&state, caller.actor, input).await?)))
}

/// Show an integration
#[utoipa::path(get, path = "/api/integrations/{id}", tag = "integrations", operation_id = "getIntegration",
    params(("id" = i64, Path, description = "The integration's id")), responses((status = 200, body = Integration)))]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Integration>> {
    Ok(Json(integrations::show(&state, caller.actor, id).await?))
}

/// Change an integration
///
/// `active: false` pauses it. Its type cannot change; a secret left out stays.
#[utoipa::path(patch, path = "/api/integrations/{id}", tag = "integrations", operation_id = "updateIntegration",
    params(("id" = i64, Path, description = "The integration's id")), request_body = IntegrationChanges,
    responses((status = 200, body = Integration)))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(changes): ApiJson<IntegrationChanges>,
) -> AppResult<Json<Integration>> {
    Ok(Json(integrations::update(&state, caller.actor, id, changes).await?))
}

/// Delete an integration
///
/// With its log; forwards not yet sent are dropped.
#[utoipa::path(delete, path = "/api/integrations/{id}", tag = "integrations", operation_id = "deleteIntegration",
    params(("id" = i64, Path, description = "The integration's id")), responses((status = 204, description = "Deleted")))]
async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    integrations::delete(&state, caller.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a test
///
/// 202: queues a test message to the channel (409 while it is paused); the log shows whether
/// it arrived, or the provider's answer.
#[utoipa::path(post, path = "/api/integrations/{id}/test", tag = "integrations", operation_id = "testIntegration",
    params(("id" = i64, Path, description = "The integration's id")), responses((status = 202, body = Forward)))]
async fn test(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<(StatusCode, Json<Forward>)> {
    Ok((StatusCode::ACCEPTED, Json(integrations::test(&state, caller.actor, id).await?)))
}

/// An integration's log
///
/// Its forwards, newest first: delivered, waiting for another try (with the provider's last
/// answer and when), or failed.
#[utoipa::path(get, path = "/api/integrations/{id}/log", tag = "integrations", operation_id = "listIntegrationForwards",
    params(("id" = i64, Path, description = "The integration's id"), PageParams),
    responses((status = 200, body = Paged<Forward>)))]
async fn log(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<PageParams>,
) -> AppResult<Json<Paged<Forward>>> {
    Ok(Json(integrations::log(&state, caller.actor, id, p.page()).await?))
}

/// Turn replies on
///
/// Telegram integrations only: a reply in the chat to a forwarded customer message goes back
/// to that customer through the outlet. Telegram is told (`setWebhook`) to post the bot's
/// messages to this server's `public_url`; 409 without it, or with Telegram's words when it
/// refuses.
#[utoipa::path(put, path = "/api/integrations/{id}/replies", tag = "integrations", operation_id = "enableIntegrationReplies",
    params(("id" = i64, Path, description = "The integration's id")), responses((status = 200, body = Integration)))]
async fn replies_on(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Integration>> {
    Ok(Json(replies::enable(&state, caller.actor, id).await?))
}

/// Turn replies off
#[utoipa::path(delete, path = "/api/integrations/{id}/replies", tag = "integrations", operation_id = "disableIntegrationReplies",
    params(("id" = i64, Path, description = "The integration's id")), responses((status = 200, body = Integration)))]
async fn replies_off(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Integration>> {
    Ok(Json(replies::disable(&state, caller.actor, id).await?))
}

/// Telegram's webhook (replies)
///
/// Where Telegram posts the bot's updates once replies are on; not for people. Each must carry
/// the secret token set with the webhook in `X-Telegram-Bot-Api-Secret-Token` (401 without it).
/// Every update is answered 200, so Telegram does not post it again; `result` says what became
/// of it.
#[utoipa::path(post, path = "/api/integrations/{id}/telegram", tag = "integrations", operation_id = "telegramUpdate",
    params(("id" = i64, Path, description = "The integration's id"),
        ("X-Telegram-Bot-Api-Secret-Token" = String, Header, description = "The secret token Telegram was given")),
    request_body(content = Object, description = "A Telegram Update"),
    responses((status = 200, body = Received), (status = 401, description = "No or a wrong secret token")))]
async fn telegram_update(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Json<Received>> {
    let token = headers.get("x-telegram-bot-api-secret-token").and_then(|v| v.to_str().ok());
    Ok(Json(replies::receive(&state, id, token, &body).await?))
}
