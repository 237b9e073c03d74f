//! The one error type of the service layer. It says what kind of failure happened and, for the
//! caller's mistakes, what to fix — as a catalogue [`Text`], so that each reader gets it in their
//! language; the HTTP layer maps each kind to a status, the CLI to an exit code. `code` is the
//! stable machine-readable name clients switch on.

use crate::i18n::Text;
use domain::policy::Denied;
use engine::EngineError;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input parsed but is not acceptable; `field` names it.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: Text },
    /// The request as a whole makes no sense (wrong kind of credential, malformed header).
    #[error("{0}")]
    BadRequest(Text),
    /// No valid credential.
    #[error("{0}")]
    Unauthenticated(Text),
    #[error("{message}")]
    Forbidden { code: &'static str, message: Text },
    /// Missing, or another tenant's (which must look the same).
    #[error("{message}")]
    NotFound { code: &'static str, message: Text },
    /// The resource's state does not allow this now.
    #[error("{message}")]
    Conflict { code: &'static str, message: Text },
    #[error("{message}")]
    TooLarge { code: &'static str, message: Text },
    /// The plan has no room for this (402, `plan_limit`): the message names the limit, the plan
    /// and where to upgrade.
    #[error("{message}")]
    PlanLimit { message: Text },
    #[error("{message}")]
    RateLimited { retry_after_secs: i64, message: Text },
    /// Something this process depends on cannot serve the request now.
    #[error("{message}")]
    Unavailable { code: &'static str, message: Text },
    /// Our fault; the text is logged, never shown.
    #[error("{0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn invalid(field: &'static str, message: impl Into<Text>) -> Self {
        ServiceError::Invalid { field, message: message.into() }
    }

    /// "Not found", with `key` naming what (e.g. `error-outlet-not-found`).
    pub fn not_found(key: &'static str) -> Self {
        ServiceError::NotFound { code: "not_found", message: Text::new(key) }
    }

    pub fn conflict(message: impl Into<Text>) -> Self {
        ServiceError::Conflict { code: "conflict", message: message.into() }
    }

    pub fn forbidden(message: impl Into<Text>) -> Self {
        ServiceError::Forbidden { code: "forbidden", message: message.into() }
    }

    /// The error as a person reads it, in `tr`'s language (the HTTP layer shows the same).
    pub fn render(&self, tr: crate::i18n::Tr) -> String {
        match self {
            ServiceError::Invalid { field, message } => format!("{field}: {}", message.render(tr)),
            ServiceError::BadRequest(message) | ServiceError::Unauthenticated(message) => message.render(tr),
            ServiceError::Forbidden { message, .. }
            | ServiceError::NotFound { message, .. }
            | ServiceError::Conflict { message, .. }
            | ServiceError::TooLarge { message, .. }
            | ServiceError::PlanLimit { message }
            | ServiceError::RateLimited { message, .. }
            | ServiceError::Unavailable { message, .. } => message.render(tr),
            ServiceError::Internal(_) => tr.t("error-internal"),
        }
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        ServiceError::Internal(err.to_string())
    }
}

/// A message with no variables, by its key (e.g. `error-outlet-not-found`).
impl From<&'static str> for Text {
    fn from(key: &'static str) -> Text {
        Text::new(key)
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::not_found("error-not-found"),
            StoreError::Conflict(taken) => ServiceError::conflict(taken),
            StoreError::Refused(reason @ store::Refusal::PlanLimit { .. }) => {
                ServiceError::PlanLimit { message: (&reason).into() }
            }
            StoreError::Refused(reason) => ServiceError::conflict(&reason),
            other => ServiceError::internal(other),
        }
    }
}

/// Maps a store error, naming what was not found: `.map_err(not_found_as("error-outlet-not-found"))`.
pub fn not_found_as(key: &'static str) -> impl Fn(StoreError) -> ServiceError {
    move |e| match e {
        StoreError::NotFound => ServiceError::not_found(key),
        other => other.into(),
    }
}

/// Parses a phone number field, answering "invalid" with the reason.
pub fn phone(field: &'static str, input: &str) -> ServiceResult<domain::PhoneNumber> {
    domain::PhoneNumber::parse(input).map_err(|e| ServiceError::invalid(field, &e))
}

impl From<Denied> for ServiceError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::LastSuperadmin => ServiceError::conflict(&d),
            _ => ServiceError::forbidden(&d),
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
            EngineError::NotConnected => {
                ServiceError::Conflict { code: "not_connected", message: Text::new("error-device-not-connected") }
            }
            EngineError::AlreadyPaired => {
                ServiceError::Conflict { code: "already_paired", message: Text::new("error-device-already-paired") }
            }
            // WhatsApp's own words (or the simulation's): passed on as they are.
            EngineError::Rejected(msg) => ServiceError::Conflict { code: "rejected", message: Text::foreign(msg) },
            EngineError::Unavailable(msg) => {
                ServiceError::Unavailable { code: "engine_unavailable", message: Text::foreign(msg) }
            }
        }
    }
}

impl From<crate::sessions::SessionError> for ServiceError {
    fn from(e: crate::sessions::SessionError) -> Self {
        match e {
            crate::sessions::SessionError::NotRunning => {
                ServiceError::Conflict { code: "not_running", message: Text::new("error-device-not-running") }
            }
            crate::sessions::SessionError::Standby => standby(),
            crate::sessions::SessionError::Engine(e) => e.into(),
        }
    }
}

/// Another process on this database runs the WhatsApp sessions.
pub fn standby() -> ServiceError {
    ServiceError::Unavailable { code: "sessions_standby", message: Text::new("error-sessions-standby") }
}
