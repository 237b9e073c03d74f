//! `/api/messages`: send (written to the outbox first) and read messages.
//!
//! A send is JSON, or `multipart/form-data` with the same fields and a `file` part for an image
//! or document; JSON media come from `media_url`, fetched at once (so a bad URL is a 4xx now,
//! not a failed message later) through the same private-address guard as webhooks.
//!
//! `POST` answers 202 with the `pending` message; the outlet's device session sends it when it
//! is connected, paced per device, and records `sent`, then `delivered` and `read` from the
//! receipts, or `failed` with the reason. An `Idempotency-Key` header makes a retried request
//! return the first message (200) instead of writing, and sending, another.

use super::send_form::SendBody;
use crate::app::AppState;
use crate::http::error::{phone, AppError, AppResult};
use crate::http::extract::{ApiPath, ApiQuery, Caller};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use domain::policy::whatsapp_scope;
use domain::{Direction, MessageStatus, OutletId, Timestamp};
use serde::Deserialize;
use store::{Message, MessageFilter, NewMedia, NewOutgoing, Paged};

pub fn router(config: &crate::Config) -> Router<AppState> {
    // Room for an uploaded file plus the form around it.
    let limit = DefaultBodyLimit::max(config.media_max_bytes.saturating_add(64 * 1024));
    Router::new().route("/api/messages", get(list).post(send).layer(limit)).route("/api/messages/{id}", get(show))
}

const MAX_IDEMPOTENCY_KEY: usize = 200;

async fn send(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    request: Request,
) -> AppResult<(StatusCode, Json<Message>)> {
    // Who may send is known before a large upload is read.
    let scope = whatsapp_scope(caller.actor)?;
    let key = idempotency_key(&headers)?;
    let body = SendBody::read(&state, &headers, request).await?;
    let outlet =
        state.store.outlet(scope, OutletId(body.outlet_id)).await?.ok_or_else(|| AppError::not_found("outlet"))?;
    let to = phone("to", &body.to)?;
    if let Some(key) = &key {
        // A retry gets the first message as it is now, without fetching its media again.
        if let Some(first) = state.store.message_by_idempotency_key(outlet.owner_id, key).await? {
            return replay(first, outlet.id);
        }
    }
    let content = body.content(&state).await?;
    let now = state.clock.now();
    let expiry = state.config.message_expiry_secs;
    let new = NewOutgoing {
        owner: outlet.owner_id,
        outlet: outlet.id,
        to: to.as_str(),
        body: &content.text,
        media: content.media.as_ref().map(|(kind, m)| NewMedia {
            kind: kind.as_str(),
            mime: &m.mime,
            file_name: &m.file_name,
            data: &m.data,
        }),
        api_key_id: caller.api_key(),
        idempotency_key: key.as_deref(),
        expires_at: (expiry > 0).then(|| now.plus_secs(i64::try_from(expiry).unwrap_or(i64::MAX))),
    };
    let (message, created) = state.store.create_outgoing(new, now).await?;
    if !created {
        return replay(message, outlet.id);
    }
    if let Some(device) = state.store.device_of_outlet(scope, outlet.id).await? {
        state.sessions.wake_sender(device.id);
    }
    Ok((StatusCode::ACCEPTED, Json(message)))
}

/// The answer to a repeated `Idempotency-Key`: the first message, unless it was another outlet's.
fn replay(first: Message, outlet: OutletId) -> AppResult<(StatusCode, Json<Message>)> {
    if first.outlet_id != outlet {
        return Err(AppError::conflict("this Idempotency-Key was already used for a message from another outlet"));
    }
    Ok((StatusCode::OK, Json(first)))
}

fn idempotency_key(headers: &HeaderMap) -> AppResult<Option<String>> {
    let Some(v) = headers.get("idempotency-key") else { return Ok(None) };
    let key = v.to_str().map_err(|_| AppError::bad_request("Idempotency-Key must be plain text"))?.trim();
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
        return Err(AppError::bad_request(format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")));
    }
    Ok(Some(key.to_string()))
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

fn time(field: &'static str, value: Option<&str>) -> AppResult<Option<Timestamp>> {
    let Some(v) = value else { return Ok(None) };
    let t = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
        .map_err(|_| AppError::bad_request(format!("{field} must be an RFC 3339 time like 2026-11-21T10:00:00Z")))?;
    Ok(Some(Timestamp(i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))))
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<Message>>> {
    let scope = whatsapp_scope(caller.actor)?;
    let filter = MessageFilter {
        outlet: p.outlet_id.map(OutletId),
        direction: p.direction,
        status: p.status,
        since: time("since", p.since.as_deref())?,
        until: time("until", p.until.as_deref())?,
    };
    Ok(Json(state.store.list_messages(scope, &filter, store::Page::new(p.page, p.per_page)).await?))
}

async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<Message>> {
    let scope = whatsapp_scope(caller.actor)?;
    Ok(Json(state.store.message(scope, id).await?.ok_or_else(|| AppError::not_found("message"))?))
}
