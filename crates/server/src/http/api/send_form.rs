//! The body of `POST /api/messages`, as JSON or as a multipart form, and what it asks to send.

use crate::app::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::ApiJson;
use crate::media::{self, Media, MediaKind};
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, HeaderMap, StatusCode};
use serde::Deserialize;

/// WhatsApp itself accepts longer texts; the original product capped blasts at 4,000.
pub const MAX_TEXT_CHARS: usize = 4096;
/// WhatsApp's limit for an image or document caption.
pub const MAX_CAPTION_CHARS: usize = 1024;

/// The JSON form of a send; a multipart form carries the same fields plus `file`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    pub outlet_id: i64,
    pub to: String,
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

/// What a send carries: the text (or caption), and the image or document if any.
pub struct Content {
    pub text: String,
    pub media: Option<(MediaKind, Media)>,
}

impl SendBody {
    /// Parses the body as a multipart form or as JSON, by its content type.
    pub async fn read(state: &AppState, headers: &HeaderMap, request: Request) -> AppResult<SendBody> {
        let multipart = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
        if multipart {
            read_form(state, request).await
        } else {
            Ok(ApiJson::<SendBody>::from_request(request, state).await?.0)
        }
    }

    /// Checks the fields that go together and fetches a `media_url`.
    pub async fn content(self, state: &AppState) -> AppResult<Content> {
        let kind = match self.kind.as_str() {
            "text" => return self.text_content(),
            "image" => MediaKind::Image,
            "document" => MediaKind::Document,
            other => return Err(AppError::invalid("type", format!("'{other}' is not one of text, image, document"))),
        };
        if self.text.is_some() {
            return Err(AppError::invalid("text", "an image or document carries a caption, not text"));
        }
        let caption = self.caption.unwrap_or_default();
        check_text("caption", &caption, MAX_CAPTION_CHARS)?;
        let limit = state.config.media_max_bytes;
        let (data, mime, name) = match (self.file, self.media_url) {
            (Some(u), None) => (u.data, u.mime, u.file_name),
            (None, Some(url)) => media::fetch(&state.outbound, &url, limit).await?,
            (Some(_), Some(_)) => return Err(AppError::invalid("media_url", "send a file or a media_url, not both")),
            (None, None) => {
                return Err(AppError::invalid(
                    "media_url",
                    "an image or document needs a media_url or an uploaded file",
                ))
            }
        };
        let media = media::accept(kind, data, &mime, self.file_name.as_deref().unwrap_or(&name))?;
        Ok(Content { text: caption, media: Some((kind, media)) })
    }

    fn text_content(self) -> AppResult<Content> {
        if self.media_url.is_some() || self.caption.is_some() || self.file.is_some() || self.file_name.is_some() {
            return Err(AppError::invalid(
                "type",
                "media_url, file, file_name and caption go with image and document messages",
            ));
        }
        let text = self.text.unwrap_or_default();
        if text.trim().is_empty() {
            return Err(AppError::invalid("text", "is required for a text message"));
        }
        check_text("text", &text, MAX_TEXT_CHARS)?;
        Ok(Content { text, media: None })
    }
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
