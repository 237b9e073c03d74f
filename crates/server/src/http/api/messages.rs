//! `/api/messages`: send (written to the outbox first) and read messages; the rules are in
//! `app::services::messages`.
//!
//! A send is JSON, or `multipart/form-data` with the same fields and a `file` part for an image
//! or document (see `send_form`). `POST` answers 202 with the `pending` message, or 200 with
//! the first message for a repeated `Idempotency-Key`. A template whose media goes separately
//! writes two messages: the answer is the text message, with `media_message_id`.

use super::send_form::{self, SendForm, SendJson};
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ApiPath, ApiQuery, Caller};
use app::services::messages::{self, ListQuery, Sender};
use app::AppState;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use domain::{Direction, MessageStatus};
use serde::Deserialize;
use store::{Message, Paged};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router(config: &app::Config) -> OpenApiRouter<AppState> {
    // Room for an uploaded file plus the form around it.
    let limit = DefaultBodyLimit::max(config.media_max_bytes().saturating_add(64 * 1024));
    OpenApiRouter::new().routes(routes!(list, send)).layer(limit).routes(routes!(show))
}

/// Send a message
///
/// Written to the outbox first, then sent by the outlet's device in order: 202 with the
/// `pending` message, whose status moves to `sent`, `delivered`, `read` or `failed`. A repeated
/// `Idempotency-Key` (per account) returns the first message with 200 and sends nothing.
#[utoipa::path(post, path = "/api/messages", tag = "messages", operation_id = "sendMessage",
    params(("Idempotency-Key" = Option<String>, Header, description = "Up to 200 characters; a retry with the same key sends nothing twice")),
    request_body(content(
        (SendJson = "application/json"),
        (SendForm = "multipart/form-data"),
    )),
    responses(
        (status = 202, description = "Queued", body = SentMessage),
        (status = 200, description = "Already queued under this Idempotency-Key", body = SentMessage),
    ))]
async fn send(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    request: Request,
) -> AppResult<(StatusCode, Json<SentMessage>)> {
    // Who may send is known before a large upload is read.
    messages::may_send(caller.actor)?;
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(v.to_str().map_err(|_| AppError::bad_request("error-idempotency-key-text"))?),
        None => None,
    };
    let key = messages::idempotency_key(key)?;
    let body = send_form::read(&state, &headers, request).await?;
    let sender = Sender { actor: caller.actor, api_key: caller.api_key() };
    let sent = messages::send(&state, sender, key, body).await?;
    let status = if sent.created { StatusCode::ACCEPTED } else { StatusCode::OK };
    let media_message_id = sent.media_message.map(|m| m.id);
    Ok((status, Json(SentMessage { message: sent.message, media_message_id })))
}

/// The message written (as `GET /api/messages/{id}` shows it).
#[derive(serde::Serialize, utoipa::ToSchema)]
struct SentMessage {
    #[serde(flatten)]
    message: Message,
    /// Sending a template whose `caption_mode` is `separate` and that has media writes two
    /// messages: this one (the text) and, just before it, the image or document without
    /// caption, whose id this is. Absent otherwise, and on a repeated `Idempotency-Key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    media_message_id: Option<i64>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListParams {
    outlet_id: Option<i64>,
    direction: Option<Direction>,
    status: Option<MessageStatus>,
    /// RFC 3339, inclusive.
    since: Option<String>,
    /// RFC 3339, exclusive.
    until: Option<String>,
    #[param(minimum = 1)]
    page: Option<u32>,
    /// 25 by default, at most 200.
    #[param(minimum = 1)]
    per_page: Option<u32>,
}

/// List messages
///
/// Newest first, sent and received, filtered by outlet, direction, status and time.
#[utoipa::path(get, path = "/api/messages", tag = "messages", operation_id = "listMessages", params(ListParams),
    responses((status = 200, body = Paged<Message>)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<Message>>> {
    let query = ListQuery {
        outlet_id: p.outlet_id,
        direction: p.direction,
        status: p.status,
        since: p.since,
        until: p.until,
        page: store::Page::new(p.page, p.per_page),
    };
    Ok(Json(messages::list(&state, caller.actor, query).await?))
}

/// Show a message
#[utoipa::path(get, path = "/api/messages/{id}", tag = "messages", operation_id = "getMessage",
    params(("id" = i64, Path, description = "The message's id")),
    responses((status = 200, body = Message)))]
async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<Message>> {
    Ok(Json(messages::show(&state, caller.actor, id).await?))
}
