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

use crate::app::AppState;
use crate::http::error::{phone, AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::media::{self, MediaKind};
use axum::extract::multipart::MultipartError;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
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

/// WhatsApp itself accepts longer texts; the original product capped blasts at 4,000.
pub const MAX_TEXT_CHARS: usize = 4096;
/// WhatsApp's limit for an image or document caption.
pub const MAX_CAPTION_CHARS: usize = 1024;
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// The JSON form of a send; a multipart form carries the same fields plus `file`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SendBody {
    outlet_id: i64,
    to: String,
    #[serde(rename = "type", default = "text_type")]
    kind: String,
    text: Option<String>,
    media_url: Option<String>,
    caption: Option<String>,
    /// The name a document is shown with; taken from the URL or upload when omitted.
    file_name: Option<String>,
    #[serde(skip)]
    file: Option<Upload>,
}

struct Upload {
    data: Vec<u8>,
    mime: String,
    file_name: String,
}

fn text_type() -> String {
    "text".into()
}

async fn send(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    request: Request,
) -> AppResult<(StatusCode, Json<Message>)> {
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    // Who may send is known before a large upload is read.
    let scope = whatsapp_scope(caller.actor)?;
    let key = idempotency_key(&headers)?;
    let body = if multipart {
        read_form(&state, request).await?
    } else {
        ApiJson::<SendBody>::from_request(request, &state).await?.0
    };
    let outlet =
        state.store.outlet(scope, OutletId(body.outlet_id)).await?.ok_or_else(|| AppError::not_found("outlet"))?;
    let to = phone("to", &body.to)?;
    if let Some(key) = &key {
        // A retry gets the first message as it is now, without fetching its media again.
        if let Some(first) = state.store.message_by_idempotency_key(outlet.owner_id, key).await? {
            return replay(first, outlet.id);
        }
    }
    let kind = match body.kind.as_str() {
        "text" => None,
        "image" => Some(MediaKind::Image),
        "document" => Some(MediaKind::Document),
        other => return Err(AppError::invalid("type", format!("'{other}' is not one of text, image, document"))),
    };
    let (text, media) = match kind {
        None => {
            if body.media_url.is_some() || body.caption.is_some() || body.file.is_some() || body.file_name.is_some() {
                return Err(AppError::invalid(
                    "type",
                    "media_url, file, file_name and caption go with image and document messages",
                ));
            }
            let text = body.text.unwrap_or_default();
            if text.trim().is_empty() {
                return Err(AppError::invalid("text", "is required for a text message"));
            }
            check_text("text", &text, MAX_TEXT_CHARS)?;
            (text, None)
        }
        Some(kind) => {
            if body.text.is_some() {
                return Err(AppError::invalid("text", "an image or document carries a caption, not text"));
            }
            let caption = body.caption.unwrap_or_default();
            check_text("caption", &caption, MAX_CAPTION_CHARS)?;
            let limit = state.config.media_max_bytes;
            let (data, mime, name) = match (body.file, body.media_url) {
                (Some(u), None) => (u.data, u.mime, u.file_name),
                (None, Some(url)) => media::fetch(&state.outbound, &url, limit).await?,
                (Some(_), Some(_)) => {
                    return Err(AppError::invalid("media_url", "send a file or a media_url, not both"))
                }
                (None, None) => {
                    return Err(AppError::invalid(
                        "media_url",
                        "an image or document needs a media_url or an uploaded file",
                    ))
                }
            };
            (caption, Some(media::accept(kind, data, &mime, body.file_name.as_deref().unwrap_or(&name))?))
        }
    };
    let now = state.clock.now();
    let expiry = state.config.message_expiry_secs;
    let new = NewOutgoing {
        owner: outlet.owner_id,
        outlet: outlet.id,
        to: to.as_str(),
        body: &text,
        media: media.as_ref().map(|m| NewMedia {
            kind: kind.map_or("text", MediaKind::as_str),
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

fn check_text(field: &'static str, text: &str, max: usize) -> AppResult<()> {
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(AppError::invalid(field, "must not contain control characters other than line breaks and tabs"));
    }
    if text.chars().count() > max {
        return Err(AppError::invalid(field, format!("must be at most {max} characters")));
    }
    Ok(())
}

fn idempotency_key(headers: &HeaderMap) -> AppResult<Option<String>> {
    let Some(v) = headers.get("idempotency-key") else { return Ok(None) };
    let key = v.to_str().map_err(|_| AppError::bad_request("Idempotency-Key must be plain text"))?.trim();
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
        return Err(AppError::bad_request(format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")));
    }
    Ok(Some(key.to_string()))
}

/// Reads a `multipart/form-data` send: the JSON fields as text parts, and `file`.
async fn read_form(state: &AppState, request: Request) -> AppResult<SendBody> {
    let limit = state.config.media_max_bytes;
    let unreadable = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            media::too_large(limit)
        } else {
            AppError::bad_request(format!("the form could not be read: {}", e.body_text()))
        }
    };
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|e| AppError::bad_request(format!("the form could not be read: {}", e.body_text())))?;
    let mut body = SendBody { kind: text_type(), outlet_id: -1, ..Default::default() };
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let mime = field.content_type().unwrap_or("").to_string();
            let file_name = field.file_name().unwrap_or("").to_string();
            let mut data = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                if data.len() + chunk.len() > limit {
                    return Err(media::too_large(limit));
                }
                data.extend_from_slice(&chunk);
            }
            body.file = Some(Upload { data, mime, file_name });
            continue;
        }
        let value = field.text().await.map_err(unreadable)?;
        match name.as_str() {
            "outlet_id" => {
                body.outlet_id =
                    value.trim().parse().map_err(|_| AppError::invalid("outlet_id", "must be a number"))?;
            }
            "to" => body.to = value,
            "type" => body.kind = value,
            "text" => body.text = Some(value),
            "caption" => body.caption = Some(value),
            "media_url" => body.media_url = Some(value),
            "file_name" => body.file_name = Some(value),
            other => {
                return Err(AppError::bad_request(format!(
                    "unknown form field '{other}': use outlet_id, to, type, text, caption, media_url, file_name, file"
                )))
            }
        }
    }
    if body.outlet_id < 0 {
        return Err(AppError::invalid("outlet_id", "is required"));
    }
    Ok(body)
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
