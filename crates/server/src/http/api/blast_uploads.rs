//! What blasts take as files: a draft's image or document (`/api/blasts/{id}/media`), and the
//! multipart form of `POST /api/blasts` and `POST /api/blasts/preview` (the same JSON request as
//! a `request` part, with a CSV or `.xlsx` `recipients_file`). The checks are the services'
//! (`app::services::blasts`, `media`, `contact_import`).

use super::media_form;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, Caller};
use app::i18n::Text;
use app::services::blasts::{self, BlastRequest, BlastView, Extras, RecipientFile};
use app::services::contact_import::{self as import, MAX_FILE_BYTES};
use app::AppState;
use axum::extract::multipart::MultipartError;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The media routes, with room for the largest media plus the form around it.
pub fn router(config: &app::Config) -> OpenApiRouter<AppState> {
    let limit = DefaultBodyLimit::max(config.media_max_bytes().saturating_add(64 * 1024));
    OpenApiRouter::new().routes(routes!(put_media, get_media, remove_media)).layer(limit)
}

/// What `POST /api/blasts` and `/preview` allow as a body: a recipients file plus the form.
pub fn form_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_FILE_BYTES + 64 * 1024)
}

// Only describes the form for the OpenAPI document; `read_request` reads it part by part.
/// A blast with its recipients from a file, as `multipart/form-data`.
#[derive(ToSchema)]
#[schema(as = BlastForm)]
#[allow(dead_code)]
pub(super) struct BlastForm {
    /// The blast as JSON, exactly as the `application/json` body (`BlastRequest`).
    #[schema(example = r#"{"name": "Promo", "body": "Halo {{name}}", "start": "draft"}"#)]
    request: String,
    /// CSV (`,` or `;`, UTF-8) or `.xlsx` (the first sheet), at most 32 MB and 200,000 rows, read
    /// as the contact import reads it: the first row names the columns (`name`/`nama`,
    /// `phone`/`no_wa`/…, `email`; any other column is a custom field for `{{field}}`). Every
    /// good row is a recipient besides those `request.recipients` names; a refused row is
    /// `skipped` with the reason and its line. Not for recurring blasts.
    #[schema(value_type = Option<String>, format = Binary)]
    recipients_file: Option<Vec<u8>>,
}

fn unreadable_form(e: MultipartError, too_large: fn() -> AppError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        AppError::bad_request(Text::new("error-form-unreadable").arg("detail", e.body_text()))
    }
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// The body of `POST /api/blasts` or `/preview`: JSON, or the multipart form by its content type.
pub(super) async fn read_request(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    request: Request,
) -> AppResult<(BlastRequest, Extras)> {
    if !is_multipart(headers) {
        let ApiJson(body) = ApiJson::<BlastRequest>::from_request(request, state).await?;
        return Ok((body, Extras::default()));
    }
    // Who may make blasts is known before a large upload is read.
    blasts::may_attach(caller.actor)?;
    let too_large = || AppError::from(import::too_large());
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|e| AppError::bad_request(Text::new("error-form-unreadable").arg("detail", e.body_text())))?;
    let mut body = None;
    let mut file = None;
    while let Some(mut field) = form.next_field().await.map_err(|e| unreadable_form(e, too_large))? {
        match field.name().unwrap_or("") {
            "request" => {
                let text = field.text().await.map_err(|e| unreadable_form(e, too_large))?;
                let parsed: BlastRequest = serde_json::from_str(&text)
                    .map_err(|e| AppError::bad_request(Text::new("error-json-syntax").arg("detail", e.to_string())))?;
                body = Some(parsed);
            }
            "recipients_file" => {
                let name = field.file_name().unwrap_or("").to_string();
                let mut data = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| unreadable_form(e, too_large))? {
                    if data.len() + chunk.len() > MAX_FILE_BYTES {
                        return Err(too_large());
                    }
                    data.extend_from_slice(&chunk);
                }
                file = Some(RecipientFile { name, data });
            }
            other => {
                return Err(AppError::bad_request(Text::new("error-blast-form-unknown-field").arg("field", other)))
            }
        }
    }
    let body = body.ok_or_else(|| AppError::invalid("request", "error-blast-form-no-request"))?;
    let extras = match file {
        Some(f) => Extras::with_file(f),
        None => Extras::default(),
    };
    Ok((body, extras))
}

// Only describes the form for the OpenAPI document; `put_media` reads it part by part.
/// An image or document for a draft blast.
#[derive(ToSchema)]
#[schema(as = BlastMediaForm)]
#[allow(dead_code)]
struct MediaForm {
    /// The file: an image (JPEG, PNG or WebP, recognised by its bytes) or any document, at most
    /// `media_max_kib` (413 beyond).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// `image` or `document`; by default an image when the file says it is one, else a document.
    kind: Option<String>,
    /// `caption` (the default: one media message whose caption is each recipient's text) or
    /// `separate` (the media message, then the text).
    caption_mode: Option<String>,
}

/// Attach media to a draft blast
///
/// Puts an image or document on a draft blast, replacing the one it had; checked as a
/// template's media is (422 with the reason; 413 beyond `media_max_kib`). As a caption the
/// blast's text may be at most 1,024 characters (422). 409 once the blast is not a draft.
/// Answers with the blast, whose `media` describes the file.
#[utoipa::path(put, path = "/api/blasts/{id}/media", tag = "blasts", operation_id = "putBlastMedia",
    params(("id" = i64, Path, description = "The blast's id")),
    request_body(content = MediaForm, content_type = "multipart/form-data"),
    responses((status = 200, body = BlastView), (status = 409, description = "Not a draft"),
        (status = 413, description = "Larger than media_max_kib")))]
async fn put_media(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    request: Request,
) -> AppResult<Json<BlastView>> {
    blasts::may_attach(caller.actor)?;
    let form = media_form::read(&state, request, &["caption_mode"], "error-blast-media-unknown-field").await?;
    let mode = form.texts.get("caption_mode").map(String::as_str);
    Ok(Json(blasts::attach_media(&state, caller.actor, id, form.upload, form.kind.as_deref(), mode).await?))
}

/// Get a blast's media
///
/// The file itself, with its content type: images inline (for a thumbnail), documents as a
/// download. 404 when the blast has none.
#[utoipa::path(get, path = "/api/blasts/{id}/media", tag = "blasts", operation_id = "getBlastMedia",
    params(("id" = i64, Path, description = "The blast's id")),
    responses((status = 200, description = "The image (JPEG, PNG or WebP) or the document, with the type it was uploaded as",
        content((Vec<u8> = "image/*"), (Vec<u8> = "*/*")))))]
async fn get_media(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Response> {
    let (about, data) = blasts::media_file(&state, caller.actor, id).await?;
    Ok(super::templates::media_response(&about.kind, about.mime, &about.file_name, data))
}

/// Remove a draft blast's media
///
/// The blast goes on without an image or document (nothing to remove is fine); 409 once it is
/// not a draft.
#[utoipa::path(delete, path = "/api/blasts/{id}/media", tag = "blasts", operation_id = "deleteBlastMedia",
    params(("id" = i64, Path, description = "The blast's id")),
    responses((status = 200, body = BlastView), (status = 409, description = "Not a draft")))]
async fn remove_media(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<BlastView>> {
    Ok(Json(blasts::remove_media(&state, caller.actor, id).await?))
}
