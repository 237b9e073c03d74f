//! `/api/messages`: send (written to the outbox first) and read messages; the rules are in
//! `app::services::messages`.
//!
//! A send is JSON, or `multipart/form-data` with the same fields and a `file` part for an image
//! or document (see `send_form`). `POST` answers 202 with the `pending` message, or 200 with
//! the first message for a repeated `Idempotency-Key`.

use super::send_form;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ApiPath, ApiQuery, Caller};
use app::services::messages::{self, ListQuery, Sender};
use app::AppState;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use domain::{Direction, MessageStatus};
use serde::Deserialize;
use store::{Message, Paged};

pub fn router(config: &app::Config) -> Router<AppState> {
    // Room for an uploaded file plus the form around it.
    let limit = DefaultBodyLimit::max(config.media_max_bytes().saturating_add(64 * 1024));
    Router::new().route("/api/messages", get(list).post(send).layer(limit)).route("/api/messages/{id}", get(show))
}

async fn send(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    request: Request,
) -> AppResult<(StatusCode, Json<Message>)> {
    // Who may send is known before a large upload is read.
    messages::may_send(caller.actor)?;
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(v.to_str().map_err(|_| AppError::bad_request("Idempotency-Key must be plain text"))?),
        None => None,
    };
    let key = messages::idempotency_key(key)?;
    let body = send_form::read(&state, &headers, request).await?;
    let sender = Sender { actor: caller.actor, api_key: caller.api_key() };
    let sent = messages::send(&state, sender, key, body).await?;
    let status = if sent.created { StatusCode::ACCEPTED } else { StatusCode::OK };
    Ok((status, Json(sent.message)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    outlet_id: Option<i64>,
    direction: Option<Direction>,
    status: Option<MessageStatus>,
    /// RFC 3339, inclusive.
    since: Option<String>,
    /// RFC 3339, exclusive.
    until: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

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

async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<Message>> {
    Ok(Json(messages::show(&state, caller.actor, id).await?))
}
