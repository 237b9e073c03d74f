//! The multipart form that puts an image or document on a template or a draft blast: a `file`
//! part (read up to `media_max_kib`, 413 beyond), an optional `kind`, and the text fields the
//! caller names (a blast's `caption_mode`); any other part is refused with `unknown`.

use crate::http::error::{AppError, AppResult};
use app::i18n::Text;
use app::services::media;
use app::services::messages::Upload;
use app::AppState;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use std::collections::HashMap;

pub(super) struct MediaForm {
    pub upload: Upload,
    pub kind: Option<String>,
    /// The named text fields that were sent.
    pub texts: HashMap<&'static str, String>,
}

/// Reads the form; `unknown` is the message key for a part it does not take (with `field`).
pub(super) async fn read(
    state: &AppState,
    request: Request,
    texts: &[&'static str],
    unknown: &'static str,
) -> AppResult<MediaForm> {
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
    let (mut upload, mut kind, mut found) = (None, None, HashMap::new());
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                let mime = field.content_type().unwrap_or("").to_string();
                let file_name = field.file_name().unwrap_or("").to_string();
                let mut data = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                    if data.len() + chunk.len() > limit {
                        return Err(media::too_large(limit).into());
                    }
                    data.extend_from_slice(&chunk);
                }
                upload = Some(Upload { data, mime, file_name });
            }
            "kind" => kind = Some(field.text().await.map_err(unreadable)?),
            other => match texts.iter().find(|t| **t == other) {
                Some(text) => {
                    found.insert(*text, field.text().await.map_err(unreadable)?);
                }
                None => return Err(AppError::bad_request(Text::new(unknown).arg("field", other))),
            },
        }
    }
    let upload = upload.ok_or_else(|| AppError::invalid("file", "error-template-media-no-file"))?;
    Ok(MediaForm { upload, kind, texts: found })
}
