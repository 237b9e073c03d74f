//! `/api/messages`: send (written to the outbox first) and read messages.
//!
//! `POST` answers 202 with the `pending` message; the outlet's device session sends it when it
//! is connected, paced per device, and records `sent`, then `delivered` and `read` from the
//! receipts, or `failed` with the reason. An `Idempotency-Key` header makes a retried request
//! return the first message (200) instead of writing, and sending, another.

use crate::app::AppState;
use crate::http::error::{phone, AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use domain::policy::whatsapp_scope;
use domain::{Direction, MessageStatus, OutletId, Timestamp};
use serde::Deserialize;
use store::{Message, MessageFilter, NewOutgoing, Paged};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/messages", get(list).post(send)).route("/api/messages/{id}", get(show))
}

/// WhatsApp itself accepts longer texts; the original product capped blasts at 4,000.
pub const MAX_TEXT_CHARS: usize = 4096;
const MAX_IDEMPOTENCY_KEY: usize = 200;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    outlet_id: i64,
    to: String,
    #[serde(rename = "type", default = "text_type")]
    kind: String,
    text: Option<String>,
    media_url: Option<String>,
    caption: Option<String>,
}

fn text_type() -> String {
    "text".into()
}

async fn send(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SendBody>,
) -> AppResult<(StatusCode, Json<Message>)> {
    let scope = whatsapp_scope(caller.actor)?;
    let outlet =
        state.store.outlet(scope, OutletId(body.outlet_id)).await?.ok_or_else(|| AppError::not_found("outlet"))?;
    let to = phone("to", &body.to)?;
    match body.kind.as_str() {
        "text" => {}
        "image" | "document" => {
            return Err(AppError::invalid("type", "only text messages can be sent yet; image and document follow"))
        }
        other => return Err(AppError::invalid("type", format!("'{other}' is not one of text, image, document"))),
    }
    if body.media_url.is_some() || body.caption.is_some() {
        return Err(AppError::invalid("media_url", "media_url and caption go with image and document messages"));
    }
    let text = body.text.unwrap_or_default();
    if text.trim().is_empty() {
        return Err(AppError::invalid("text", "is required for a text message"));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(AppError::invalid("text", "must not contain control characters other than line breaks and tabs"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(AppError::invalid("text", format!("must be at most {MAX_TEXT_CHARS} characters")));
    }
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let key = v.to_str().map_err(|_| AppError::bad_request("Idempotency-Key must be plain text"))?.trim();
            if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
                return Err(AppError::bad_request(format!(
                    "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters"
                )));
            }
            Some(key.to_string())
        }
    };
    let now = state.clock.now();
    let expiry = state.config.message_expiry_secs;
    let new = NewOutgoing {
        owner: outlet.owner_id,
        outlet: outlet.id,
        to: to.as_str(),
        body: &text,
        api_key_id: caller.api_key(),
        idempotency_key: key.as_deref(),
        expires_at: (expiry > 0).then(|| now.plus_secs(i64::try_from(expiry).unwrap_or(i64::MAX))),
    };
    let (message, created) = state.store.create_outgoing(new, now).await?;
    if message.outlet_id != outlet.id {
        return Err(AppError::conflict("this Idempotency-Key was already used for a message from another outlet"));
    }
    if created {
        if let Some(device) = state.store.device_of_outlet(scope, outlet.id).await? {
            state.sessions.wake_sender(device.id);
        }
    }
    Ok((if created { StatusCode::ACCEPTED } else { StatusCode::OK }, Json(message)))
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
