//! The one error type of the HTTP layer: `{"error":{"code","message"[,"field"]}}`.
//! 4xx messages say what to fix; 5xx are logged in full and say nothing internal.

use app::ServiceError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::policy::Denied;
use serde::Serialize;

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
    #[schema(example = "wa_number: expected an Indonesian mobile number such as 0812-3456-7890")]
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code, message: self.message, field: self.field } };
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
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
