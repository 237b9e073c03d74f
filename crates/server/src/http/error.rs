//! The one error type of the HTTP layer: `{"error":{"code","message"[,"field"]}}`.
//! 4xx messages say what to fix; 5xx are logged in full and say nothing internal.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::policy::Denied;
use serde_json::json;
use store::StoreError;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<&'static str>,
    pub retry_after_secs: Option<i64>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError { status, code, message: message.into(), field: None, retry_after_secs: None }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 422 for input that parsed but is not acceptable; `field` names the JSON field.
    pub fn invalid(field: &'static str, message: impl std::fmt::Display) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", format!("{field}: {message}"));
        e.field = Some(field);
        e
    }

    pub fn too_many(retry_after_secs: i64, message: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
        e.retry_after_secs = Some(retry_after_secs);
        e
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side; it has been logged")
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut body = json!({"code": self.code, "message": self.message});
        if let Some(field) = self.field {
            body["field"] = json!(field);
        }
        let mut res = (self.status, axum::Json(json!({ "error": body }))).into_response();
        if let Some(secs) = self.retry_after_secs {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::new(StatusCode::NOT_FOUND, "not_found", "not found"),
            StoreError::Conflict(msg) => AppError::conflict(msg),
            StoreError::Refused(msg) => AppError::conflict(msg),
            other => AppError::internal(other),
        }
    }
}

/// Maps a store error, naming what was not found: `.map_err(not_found_as("outlet"))`.
pub fn not_found_as(what: &'static str) -> impl Fn(StoreError) -> AppError {
    move |e| match e {
        StoreError::NotFound => AppError::not_found(what),
        other => other.into(),
    }
}

/// Parses a phone number field, answering 422 with the reason.
pub fn phone(field: &'static str, input: &str) -> AppResult<domain::PhoneNumber> {
    domain::PhoneNumber::parse(input).map_err(|e| AppError::invalid(field, e))
}

impl From<Denied> for AppError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Forbidden(msg) => AppError::forbidden(msg),
            Denied::LastSuperadmin => AppError::conflict(d.to_string()),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::internal(format!("{e:#}"))
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with the header Content-Type: application/json",
            ),
            JsonRejection::JsonSyntaxError(e) => AppError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: {}", e.body_text()),
            ),
            JsonRejection::JsonDataError(e) => {
                AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", e.body_text())
            }
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large; see max_body_kib in the README",
            ),
            other => AppError::new(other.status(), "bad_request", other.body_text()),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::bad_request(format!("invalid query string: {}", r.body_text()))
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        AppError::bad_request(format!("invalid path: {}", r.body_text()))
    }
}

impl From<engine::EngineError> for AppError {
    fn from(e: engine::EngineError) -> Self {
        use engine::EngineError::*;
        match e {
            NotConnected => AppError::new(
                StatusCode::CONFLICT,
                "not_connected",
                "the device is not connected; connect it first (POST …/device/connect)",
            ),
            AlreadyPaired => AppError::new(StatusCode::CONFLICT, "already_paired", "the device is already paired"),
            Rejected(msg) => AppError::new(StatusCode::CONFLICT, "rejected", msg),
            Unavailable(msg) => AppError::new(StatusCode::SERVICE_UNAVAILABLE, "engine_unavailable", msg),
        }
    }
}

impl From<crate::sessions::SessionError> for AppError {
    fn from(e: crate::sessions::SessionError) -> Self {
        match e {
            crate::sessions::SessionError::NotRunning => AppError::new(
                StatusCode::CONFLICT,
                "not_running",
                "the device has no running session; connect it first (POST …/device/connect)",
            ),
            crate::sessions::SessionError::Engine(e) => e.into(),
        }
    }
}
