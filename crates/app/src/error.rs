//! The one error type of the service layer. It says what kind of failure happened and, for the
//! caller's mistakes, what to fix; the HTTP layer maps each kind to a status, the CLI to an
//! exit code. `code` is the stable machine-readable name clients switch on.

use domain::policy::Denied;
use engine::EngineError;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input parsed but is not acceptable; `field` names it.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The request as a whole makes no sense (wrong kind of credential, malformed header).
    #[error("{0}")]
    BadRequest(String),
    /// No valid credential.
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// Missing, or another tenant's (which must look the same).
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    /// The resource's state does not allow this now.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    TooLarge { code: &'static str, message: String },
    #[error("{message}")]
    RateLimited { retry_after_secs: i64, message: String },
    /// Something this process depends on cannot serve the request now.
    #[error("{message}")]
    Unavailable { code: &'static str, message: String },
    /// Our fault; the text is logged, never shown.
    #[error("{0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn invalid(field: &'static str, message: impl std::fmt::Display) -> Self {
        ServiceError::Invalid { field, message: message.to_string() }
    }

    pub fn not_found(what: &str) -> Self {
        ServiceError::NotFound { code: "not_found", message: format!("{what} not found") }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        ServiceError::Conflict { code: "conflict", message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ServiceError::Forbidden { code: "forbidden", message: message.into() }
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        ServiceError::Internal(err.to_string())
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound { code: "not_found", message: "not found".into() },
            StoreError::Conflict(msg) | StoreError::Refused(msg) => ServiceError::conflict(msg),
            other => ServiceError::internal(other),
        }
    }
}

/// Maps a store error, naming what was not found: `.map_err(not_found_as("outlet"))`.
pub fn not_found_as(what: &'static str) -> impl Fn(StoreError) -> ServiceError {
    move |e| match e {
        StoreError::NotFound => ServiceError::not_found(what),
        other => other.into(),
    }
}

/// Parses a phone number field, answering "invalid" with the reason.
pub fn phone(field: &'static str, input: &str) -> ServiceResult<domain::PhoneNumber> {
    domain::PhoneNumber::parse(input).map_err(|e| ServiceError::invalid(field, e))
}

impl From<Denied> for ServiceError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Forbidden(msg) => ServiceError::forbidden(msg),
            Denied::LastSuperadmin => ServiceError::conflict(d.to_string()),
        }
    }
}

impl From<anyhow::Error> for ServiceError {
    fn from(e: anyhow::Error) -> Self {
        ServiceError::Internal(format!("{e:#}"))
    }
}

impl From<EngineError> for ServiceError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::NotConnected => ServiceError::Conflict {
                code: "not_connected",
                message: "the device is not connected; connect it first (POST …/device/connect)".into(),
            },
            EngineError::AlreadyPaired => {
                ServiceError::Conflict { code: "already_paired", message: "the device is already paired".into() }
            }
            EngineError::Rejected(msg) => ServiceError::Conflict { code: "rejected", message: msg },
            EngineError::Unavailable(msg) => ServiceError::Unavailable { code: "engine_unavailable", message: msg },
        }
    }
}

impl From<crate::sessions::SessionError> for ServiceError {
    fn from(e: crate::sessions::SessionError) -> Self {
        match e {
            crate::sessions::SessionError::NotRunning => ServiceError::Conflict {
                code: "not_running",
                message: "the device has no running session; connect it first (POST …/device/connect)".into(),
            },
            crate::sessions::SessionError::Standby => standby(),
            crate::sessions::SessionError::Engine(e) => e.into(),
        }
    }
}

/// Another process on this database runs the WhatsApp sessions.
pub fn standby() -> ServiceError {
    ServiceError::Unavailable {
        code: "sessions_standby",
        message: "another kewhats process on this database runs the WhatsApp sessions; use that one (see /healthz)"
            .into(),
    }
}
