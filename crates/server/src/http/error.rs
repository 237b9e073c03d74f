//! The one error type of the HTTP layer: `{"error":{"code","message"[,"field"]}}`.
//! 4xx messages say what to fix; 5xx are logged in full and say nothing internal.
//!
//! The message is a catalogue [`Text`]: the answer carries it to [`localize`], which writes it
//! in the caller's language (profile, else `Accept-Language`, else `default_language`).

use app::i18n::{negotiate, Text, Tr};
use app::{AppState, ServiceError};
use axum::body::Body;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::policy::Denied;
use domain::{Language, LanguageChoice};
use serde::Serialize;
use std::sync::{Arc, OnceLock};

#[derive(Debug, Clone)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Text,
    pub field: Option<&'static str>,
    pub retry_after_secs: Option<i64>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<Text>) -> Self {
        AppError { status, code, message: message.into(), field: None, retry_after_secs: None }
    }

    pub fn bad_request(message: impl Into<Text>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthorized(message: impl Into<Text>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 422 for input that parsed but is not acceptable; `field` names the JSON field.
    pub fn invalid(field: &'static str, message: impl Into<Text>) -> Self {
        let message = Text::new("error-field").arg("field", field).arg_text("message", message.into());
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", message);
        e.field = Some(field);
        e
    }

    pub fn too_many(retry_after_secs: i64, message: impl Into<Text>) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
        e.retry_after_secs = Some(retry_after_secs);
        e
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "error-internal")
    }
}

/// Every error answer of the API (the OpenAPI document's `Error` response).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable and machine-readable, e.g. `validation_failed`, `not_found`, `csrf_failed`.
    #[schema(example = "validation_failed")]
    pub code: &'static str,
    /// What went wrong and what to fix, for a person.
    #[schema(example = "wa_number: WhatsApp number is required")]
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl AppError {
    fn body(&self, tr: Tr) -> axum::Json<ErrorBody> {
        let message = self.message.render(tr);
        axum::Json(ErrorBody { error: ErrorDetail { code: self.code, message, field: self.field } })
    }
}

/// Answers in English; [`localize`] rewrites the body in the caller's language.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut res = (self.status, self.body(Tr(Language::En))).into_response();
        if let Some(secs) = self.retry_after_secs {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res.extensions_mut().insert(self);
        res
    }
}

/// The authenticated caller's page language, set by the `Caller` extractor once it knows who
/// calls; read by [`localize`] after the handler.
#[derive(Clone, Default)]
pub struct CallerLanguage(Arc<OnceLock<LanguageChoice>>);

impl CallerLanguage {
    pub fn set(&self, choice: LanguageChoice) {
        let _ = self.0.set(choice);
    }

    /// The language this request is answered in, once the `Caller` extractor ran (for texts a
    /// handler renders itself, e.g. an import report's reasons).
    pub fn tr(&self, headers: &axum::http::HeaderMap, default: Language) -> Tr {
        let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Tr(negotiate(self.0.get().copied().unwrap_or_default(), accept, default))
    }
}

/// Writes an error answer's message in the language of whoever asked.
pub async fn localize(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    // A cheap clone (shared bytes); read only when an error needs it.
    let accept = request.headers().get(header::ACCEPT_LANGUAGE).cloned();
    let caller = CallerLanguage::default();
    request.extensions_mut().insert(caller.clone());
    let mut response = next.run(request).await;
    // Pages and errors differ by Accept-Language: caches must keep them apart.
    response.headers_mut().append(header::VARY, HeaderValue::from_static("accept-language"));
    let Some(error) = response.extensions_mut().remove::<AppError>() else { return response };
    let choice = caller.0.get().copied().unwrap_or_default();
    let accept = accept.as_ref().and_then(|v| v.to_str().ok());
    let tr = Tr(negotiate(choice, accept, state.config.default_language));
    if tr.0 != Language::En {
        let body = serde_json::to_vec(&error.body(tr).0).unwrap_or_default();
        response.headers_mut().remove(header::CONTENT_LENGTH);
        *response.body_mut() = Body::from(body);
    }
    response
}

/// A service's verdict, as HTTP: each kind of failure has its status.
impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid { field, message } => AppError::invalid(field, message),
            ServiceError::BadRequest(m) => AppError::bad_request(m),
            ServiceError::Unauthenticated(m) => AppError::unauthorized(m),
            ServiceError::Forbidden { code, message } => AppError::new(StatusCode::FORBIDDEN, code, message),
            ServiceError::NotFound { code, message } => AppError::new(StatusCode::NOT_FOUND, code, message),
            ServiceError::Conflict { code, message } => AppError::new(StatusCode::CONFLICT, code, message),
            ServiceError::TooLarge { code, message } => AppError::new(StatusCode::PAYLOAD_TOO_LARGE, code, message),
            ServiceError::PlanLimit { message } => AppError::new(StatusCode::PAYMENT_REQUIRED, "plan_limit", message),
            ServiceError::RateLimited { retry_after_secs, message } => AppError::too_many(retry_after_secs, message),
            ServiceError::Unavailable { code, message } => {
                AppError::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
            }
            ServiceError::Internal(m) => AppError::internal(m),
        }
    }
}

impl From<store::StoreError> for AppError {
    fn from(e: store::StoreError) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<Denied> for AppError {
    fn from(d: Denied) -> Self {
        ServiceError::from(d).into()
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                AppError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "error-json-content-type")
            }
            JsonRejection::JsonSyntaxError(e) => AppError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                Text::new("error-json-syntax").arg("detail", e.body_text()),
            ),
            // serde's own words name the field and what it expected.
            JsonRejection::JsonDataError(e) => {
                AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", Text::foreign(e.body_text()))
            }
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "error-body-too-large")
            }
            other => AppError::new(other.status(), "bad_request", Text::foreign(other.body_text())),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::bad_request(Text::new("error-query").arg("detail", r.body_text()))
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        AppError::bad_request(Text::new("error-path").arg("detail", r.body_text()))
    }
}
