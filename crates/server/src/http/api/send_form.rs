//! The body of `POST /api/messages`, as JSON or as a multipart form, read into the service's
//! [`SendRequest`]. Checking what it asks for is the service's job.

use crate::http::error::{AppError, AppResult};
use crate::http::extract::ApiJson;
use app::i18n::Text;
use app::services::media;
use app::services::messages::{SendRequest, Upload};
use app::AppState;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, HeaderMap, StatusCode};
use serde::Deserialize;

/// A message to send, as JSON. `type` is `text` (needs `text`), `image` or `document` (need
/// `media_url`, a public http(s) URL we download, or, in the multipart form, a `file`).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SendJson {
    /// The outlet whose number sends it.
    outlet_id: i64,
    /// The recipient: `0812…`, `62812…` or `+62812…`.
    #[schema(example = "081234567890")]
    to: String,
    /// `text` (the default), `image` or `document`.
    #[serde(rename = "type", default = "text_type")]
    #[schema(example = "text")]
    kind: String,
    text: Option<String>,
    media_url: Option<String>,
    caption: Option<String>,
    file_name: Option<String>,
    /// A saved template to send instead of `text`, rendered for the contact (leave `type` at
    /// `text` and send no media: the template's own image or document, if any, goes with it).
    template_id: Option<i64>,
    /// With `template_id`: the contact whose name, fields and home outlet fill the variables;
    /// by default the caller's contact with the number `to`, if any.
    contact_id: Option<i64>,
}

// Only describes the form for the OpenAPI document; `read_form` reads it part by part.
/// The same send as `multipart/form-data`, with the image or document uploaded as `file`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct SendForm {
    outlet_id: i64,
    to: String,
    /// `text`, `image` or `document`.
    #[schema(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
    caption: Option<String>,
    media_url: Option<String>,
    file_name: Option<String>,
    /// The image or document; at most `media_max_kib`.
    #[schema(value_type = Option<String>, format = Binary)]
    file: Option<Vec<u8>>,
    template_id: Option<i64>,
    contact_id: Option<i64>,
}

fn text_type() -> String {
    "text".into()
}

/// Parses the body as a multipart form or as JSON, by its content type.
pub async fn read(state: &AppState, headers: &HeaderMap, request: Request) -> AppResult<SendRequest> {
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    if multipart {
        return read_form(state, request).await;
    }
    let ApiJson(j) = ApiJson::<SendJson>::from_request(request, state).await?;
    Ok(SendRequest {
        outlet_id: j.outlet_id,
        to: j.to,
        kind: j.kind,
        text: j.text,
        media_url: j.media_url,
        caption: j.caption,
        file_name: j.file_name,
        file: None,
        template_id: j.template_id,
        contact_id: j.contact_id,
    })
}

/// Reads a `multipart/form-data` send: the JSON fields as text parts, and `file`.
async fn read_form(state: &AppState, request: Request) -> AppResult<SendRequest> {
    let limit = state.config.media_max_bytes();
    let unreadable = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::from(media::too_large(limit))
        } else {
            AppError::bad_request(Text::new("error-form-unreadable").arg("detail", e.body_text()))
        }
    };
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|e| AppError::bad_request(Text::new("error-form-unreadable").arg("detail", e.body_text())))?;
    let mut body = SendRequest { kind: text_type(), outlet_id: -1, ..Default::default() };
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let mime = field.content_type().unwrap_or("").to_string();
            let file_name = field.file_name().unwrap_or("").to_string();
            let mut data = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                if data.len() + chunk.len() > limit {
                    return Err(media::too_large(limit).into());
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
                    value.trim().parse().map_err(|_| AppError::invalid("outlet_id", "error-must-be-number"))?;
            }
            "to" => body.to = value,
            "type" => body.kind = value,
            "text" => body.text = Some(value),
            "caption" => body.caption = Some(value),
            "media_url" => body.media_url = Some(value),
            "file_name" => body.file_name = Some(value),
            "template_id" => body.template_id = Some(number("template_id", &value)?),
            "contact_id" => body.contact_id = Some(number("contact_id", &value)?),
            other => return Err(AppError::bad_request(Text::new("error-form-unknown-field").arg("field", other))),
        }
    }
    if body.outlet_id < 0 {
        return Err(AppError::invalid("outlet_id", "error-required"));
    }
    Ok(body)
}

fn number(field: &'static str, value: &str) -> AppResult<i64> {
    value.trim().parse().map_err(|_| AppError::invalid(field, "error-must-be-number"))
}
